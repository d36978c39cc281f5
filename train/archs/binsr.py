"""binsr: binary EDSR and SRResNet on the EDSR code (github.com/lixcli/binsr).

Paper mode, as in that code: input mean shift (EDSR's MeanShift, ``pixel_range`` 255),
float head, 16 blocks x 64 channels of [binary conv -> (BN) -> Tanh -> binary conv -> (BN)]
plus identity, binary weights with ApproxSign gradients and a gradient-free mean|W| scale,
binary activations with a clipped STE; EDSR: a binary conv closing the body and EDSR's
upsampler; SRResNet: 9x9 head and output convs, PReLU, a float conv + BN closing the body,
every conv initialized N(0, 2 / (k*k*out)).

Deployable mode: ``BinarySR`` with two binary units per block and Tanh as the inner
activation (monotone, so sign(tanh(y) + b) is a threshold on the integer sum); integer
head and tail, bicubic global skip instead of the float upsampler and mean shift.
"""
import math

from torch import nn

from train.archs.binary_sr import BinarySR
from train.archs.blocks import (InputNormalization, MeanShiftedSR, PaperBinaryConv2d,
                                pixel_shuffle_upsampler, split_mode_options)
from train.quant import check_choice
from train.registry import ARCH_REGISTRY

VARIANTS = ("edsr", "srresnet")
# EDSR's DIV2K RGB mean in pixels; for Y models its BT.601 luma
DIV2K_MEAN_RGB = (0.4488 * 255, 0.4371 * 255, 0.4040 * 255)
DIV2K_MEAN_Y = 16 + (65.481 * 0.4488 + 128.553 * 0.4371 + 24.966 * 0.4040)

PAPER_KEYS = {"channels", "blocks", "weight_grad", "act_grad", "res_scale", "pixel_range",
              "norm_mean", "norm_std"}
DEPLOYABLE_KEYS = {"channels", "blocks", "weight_grad", "act_grad", "weight_bits", "res_bits",
                   "branch_bits", "res_scale_log2", "tail_bits", "long_skip", "global_skip",
                   "tail_init_gain", "backend"}


def srresnet_init(module):
    """SRResNet's init in the binsr code: every conv weight ~ N(0, 2 / (k_h * k_w * out))."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, PaperBinaryConv2d)):
            out_ch, _, kh, kw = m.weight.shape
            nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / (kh * kw * out_ch)))
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)


def default_mean(in_channels):
    return [DIV2K_MEAN_Y] if in_channels == 1 else list(DIV2K_MEAN_RGB)


class BinSRBlock(nn.Module):
    """[binary conv -> (BN) -> Tanh -> binary conv -> (BN)] * res_scale + identity."""

    def __init__(self, channels, weight_grad, act_grad, batchnorm, res_scale):
        super().__init__()
        norm = (lambda: nn.BatchNorm2d(channels)) if batchnorm else nn.Identity
        conv = lambda: PaperBinaryConv2d(channels, channels, 3, weight_grad, act_grad)  # noqa: E731
        self.body = nn.Sequential(conv(), norm(), nn.Tanh(), conv(), norm())
        self.res_scale = res_scale

    def forward(self, x):
        return x + self.body(x) * self.res_scale


class BinSRPaper(MeanShiftedSR):

    def __init__(self, scale, in_channels, variant, channels=64, blocks=16,
                 weight_grad="approx_sign", act_grad="clipped_ste", res_scale=1.0,
                 pixel_range=255.0, norm_mean=None, norm_std=None):
        super().__init__(scale, in_channels)
        check_choice("binsr variant", variant, VARIANTS)
        self.pixel_range = pixel_range
        self.norm = InputNormalization(norm_mean or default_mean(in_channels),
                                       norm_std or [1.0] * in_channels, pixel_range)
        srresnet = variant == "srresnet"
        k = 9 if srresnet else 3
        self.head = nn.Sequential(nn.Conv2d(in_channels, channels, k, padding=k // 2, bias=False),
                                  nn.PReLU() if srresnet else nn.Identity())
        body = [BinSRBlock(channels, weight_grad, act_grad, srresnet, res_scale)
                for _ in range(blocks)]
        if srresnet:
            body += [nn.Conv2d(channels, channels, 3, padding=1, bias=False),
                     nn.BatchNorm2d(channels)]
        else:
            body.append(PaperBinaryConv2d(channels, channels, 3, weight_grad, act_grad))
        self.body = nn.Sequential(*body)
        self.tail = nn.Sequential(
            pixel_shuffle_upsampler(channels, scale, act=(lambda c: nn.PReLU()) if srresnet
                                    else None),
            nn.Conv2d(channels, in_channels, k, padding=k // 2))
        if srresnet:
            srresnet_init(self)


@ARCH_REGISTRY.register()
def BinSR(scale, in_channels, mode="paper", variant="edsr", **options):
    """binsr binary EDSR (``variant: edsr``) or SRResNet (``srresnet``), paper or deployable."""
    split_mode_options("BinSR", mode, options, PAPER_KEYS, DEPLOYABLE_KEYS)
    check_choice("binsr variant", variant, VARIANTS)
    if mode == "paper":
        return BinSRPaper(scale, in_channels, variant, **options)
    options = {"channels": 64, "blocks": 16, "weight_grad": "approx_sign",
               "act_grad": "clipped_ste", **options}
    if variant == "edsr":
        return BinarySR(scale, in_channels, convs_per_block=2, head_act="none", inner_act="tanh",
                        out_act="none", affine="mean_abs", **options)
    return BinarySR(scale, in_channels, convs_per_block=2, head_act="prelu", inner_act="tanh",
                    out_act="none", affine="batchnorm", **options)
