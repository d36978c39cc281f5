"""BTM (Jiang et al., AAAI'21: training a binary SR network without BatchNorm).

Paper mode: input normalized by the training set's mean and std with the mean added back
(pixels in [0, 1], so the tail's output range is close to the normalized features'),
float head, N multiple-receptive-field blocks (MRB), float PixelShuffle upsampler and
output conv, Xavier-uniform init, no BatchNorm. Every binary conv carries XNOR-Net scales
(mean|W| on the weights, K on the activations) and a PReLU with free (also negative) slopes.

MRB, as this project reconstructs it from the method's description: a 3x3 binary conv with
its own residual, then a 1x5 and a 5x1 binary conv in parallel on its output, both added
to it (a cross-shaped receptive field of 5 next to the 3x3 one).

Deployable mode: ``BinarySR`` whose blocks alternate the two halves of an MRB, a 3x3
binary unit with its residual, then a 1x5 and a 5x1 unit side by side on its output, both
quantized and added to it in integers (``ParallelResBlock``); mean|W| weight scale, PReLU
slopes kept >= 0. The 1x5/5x1 windows run on the parallel-window sliding window RTL. What
does not deploy, and why:
- XNOR-Net activation scales K: a per-pixel real multiplier computed from the float input,
  not a per-channel monotone function of the integer sum, so not a threshold;
- negative PReLU slopes: PReLU then becomes non-monotone on x < 0 (it decreases, then
  sign or requantization makes it fold), and one ascending threshold set per channel cannot
  represent a folding function; a whole channel that decreases is fine (export flips it);
- the mean/std normalization: folded into the integer head it would change the zero padding.
"""
from torch import nn

from train.archs.binary_sr import BinarySR
from train.archs.blocks import (InputNormalization, MeanShiftedSR, PaperBinaryConv2d,
                                pixel_shuffle_upsampler, split_mode_options, xavier_uniform_init)
from train.registry import ARCH_REGISTRY

# mean and std of T91 in pixels, measured on ../shared/data/train/T91 (BT.601 Y and RGB);
# recipes training on other data set norm_mean/norm_std to their own statistics
T91_MEAN_Y, T91_STD_Y = 118.65, 47.91
T91_MEAN_RGB, T91_STD_RGB = (144.30, 114.42, 80.85), (67.29, 60.59, 68.36)

PAPER_KEYS = {"channels", "blocks", "weight_grad", "act_grad", "act_scale", "pixel_range",
              "norm_mean", "norm_std"}
DEPLOYABLE_KEYS = {"channels", "blocks", "weight_grad", "act_grad", "weight_bits", "res_bits",
                   "branch_bits", "res_scale_log2", "tail_bits", "long_skip", "global_skip",
                   "tail_init_gain", "backend"}


class BinaryPReLUConv(nn.Module):
    """PReLU(binary conv with XNOR-Net scales): one BTM binary layer."""

    def __init__(self, channels, kernel_size, weight_grad, act_grad, act_scale):
        super().__init__()
        self.conv = PaperBinaryConv2d(channels, channels, kernel_size, weight_grad, act_grad,
                                      act_scale=act_scale)
        self.act = nn.PReLU(channels)

    def forward(self, x):
        return self.act(self.conv(x))


class MRB(nn.Module):
    """u = x + L3x3(x); out = u + L1x5(u) + L5x1(u)."""

    def __init__(self, channels, weight_grad, act_grad, act_scale):
        super().__init__()
        self.square, self.wide, self.tall = (
            BinaryPReLUConv(channels, k, weight_grad, act_grad, act_scale)
            for k in (3, (1, 5), (5, 1)))

    def forward(self, x):
        u = x + self.square(x)
        return u + self.wide(u) + self.tall(u)


class BTMPaper(MeanShiftedSR):

    def __init__(self, scale, in_channels, channels=64, blocks=16, weight_grad="clipped_ste",
                 act_grad="clipped_ste", act_scale="xnor", pixel_range=1.0, norm_mean=None,
                 norm_std=None):
        super().__init__(scale, in_channels)
        self.pixel_range = pixel_range
        y = in_channels == 1
        self.norm = InputNormalization(
            norm_mean or ([T91_MEAN_Y] if y else list(T91_MEAN_RGB)),
            norm_std or ([T91_STD_Y] if y else list(T91_STD_RGB)), pixel_range)
        self.head = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.body = nn.Sequential(*(MRB(channels, weight_grad, act_grad, act_scale)
                                    for _ in range(blocks)))
        self.tail = nn.Sequential(pixel_shuffle_upsampler(channels, scale),
                                  nn.Conv2d(channels, in_channels, 3, padding=1))
        xavier_uniform_init(self)


@ARCH_REGISTRY.register()
def BTM(scale, in_channels, mode="paper", **options):
    """BTM with MRB blocks, paper or deployable."""
    split_mode_options("BTM", mode, options, PAPER_KEYS, DEPLOYABLE_KEYS)
    if mode == "paper":
        return BTMPaper(scale, in_channels, **options)
    options = {"channels": 64, "blocks": 16, **options}
    # an MRB: a 3x3 residual block, then the 1x5 + 5x1 parallel residual block
    options["blocks"] *= 2
    return BinarySR(scale, in_channels, convs_per_block=1, head_act="none", out_act="prelu",
                    affine="mean_abs", block_kernels=[(3,), ((1, 5), (5, 1))], **options)
