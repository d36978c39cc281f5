"""Deployable binary SR networks: integer head and tail, binary body, integer residual stream.

Data path (all integers times power-of-two scales, see train/quant.py):

    pixels -> head IntConv (uint8 in) -> [act] -> res_quant            = r0 (int, 2**res_scale_log2)
    r -> BinaryResBlock x N: units (binary act -> binary conv -> affine -> act)
         -> branch_quant (int, same scale) -> + r -> res_quant         (integer add)
    r0 + body(r0) -> res_quant                                          (integer long skip)
    -> tail IntConv -> tail_quant (int, 2**-8) -> + skip (uint8, 2**-8)  (integer global skip)
    skip: bicubic upsampling as a fixed integer 5x5 conv to s*s phases (or nearest: the
    input repeated s*s times), laid out in PixelShuffle order
    -> out_quant (uint8, 2**-8) -> PixelShuffle -> pixels

Every monotone per-channel function between an integer sum and a quantizer becomes
thresholds in hardware, which is why PReLU slopes are kept >= 0.
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from train.data.matlab_bicubic import cubic

from train.quant import (ActQuant, BinaryAct, BinaryConv2d, IntConv2d, IntegerSRBConv2d,
                         check_choice, require_exact_accumulation, require_exact_sum)
from train.registry import ARCH_REGISTRY

PIXEL_SCALE_LOG2 = -8  # pixels enter as p / 256: exact uint8 on a power-of-two grid
ACTIVATIONS = ("none", "relu", "prelu", "rprelu", "tanh")
GLOBAL_SKIPS = ("bicubic", "nearest")
BICUBIC_TAPS = 5  # LR taps per axis covering every phase of x2, x3 and x4
BICUBIC_FRAC_BITS = 12  # x2 and x4 phase weights are exact on this grid; x3 is rounded


class MonotonePReLU(nn.Module):
    """PReLU with per-channel slope clamped to >= 0, so it stays monotone (threshold-able)."""

    def __init__(self, channels, init=0.25):
        super().__init__()
        self.slope = nn.Parameter(torch.full((1, channels, 1, 1), init))

    def forward(self, x):
        return torch.where(x >= 0, x, x * self.slope.clamp(min=0))


class RPReLU(nn.Module):
    """BBCU/ReActNet RPReLU: shift, monotone PReLU, shift."""

    def __init__(self, channels):
        super().__init__()
        self.shift_in = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.prelu = MonotonePReLU(channels)
        self.shift_out = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        return self.prelu(x - self.shift_in) + self.shift_out


def make_activation(kind, channels):
    check_choice("activation", kind, ACTIVATIONS)
    return {"none": nn.Identity, "relu": lambda c: nn.ReLU(), "prelu": MonotonePReLU,
            "rprelu": RPReLU, "tanh": lambda c: nn.Tanh()}[kind](channels)


AFFINES = ("mean_abs", "learned", "batchnorm")


class ChannelAffine(nn.Module):
    """y -> y * a_c + b_c after a binary conv.

    ``mean_abs``: a = gamma * mean|W_c| (XNOR-Net scale); ``learned``: a = gamma;
    ``batchnorm``: BatchNorm statistics while training. In eval mode the folded (a, b) are
    applied as one Mul and one Add in float32: exactly what export and thresholds reproduce.
    """

    def __init__(self, channels, mode):
        super().__init__()
        check_choice("affine", mode, AFFINES)
        self.mode = mode
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))
        if mode == "batchnorm":
            self.register_buffer("running_mean", torch.zeros(channels))
            self.register_buffer("running_var", torch.ones(channels))
        self.eps, self.momentum = 1e-5, 0.1

    def folded(self, weight):
        """Per-channel (a, b) of the eval-mode affine of a conv with latent ``weight``."""
        if self.mode == "learned":
            return self.gamma, self.beta
        if self.mode == "mean_abs":
            return self.gamma * weight.abs().mean(dim=(1, 2, 3)), self.beta
        inv_std = torch.rsqrt(self.running_var + self.eps)
        return self.gamma * inv_std, self.beta - self.gamma * self.running_mean * inv_std

    def forward(self, y, weight):
        if self.mode == "batchnorm" and self.training:
            return F.batch_norm(y, self.running_mean, self.running_var, self.gamma, self.beta,
                                training=True, momentum=self.momentum, eps=self.eps)
        a, b = self.folded(weight)
        return y * a.view(1, -1, 1, 1) + b.view(1, -1, 1, 1)


class BinaryConvUnit(nn.Module):
    """Binary activation -> binary conv (exact integer sum; 3x3 unless ``kernel_size``, e.g.
    (1, 5)) -> affine -> activation.

    ``srb_ratio_log2`` m: the conv's weights are SRB's two binary planes as one integer plane
    with the scale ratio quantized to k / 2**m (``IntegerSRBConv2d``); None: +-1 weights.
    """

    def __init__(self, channels, act, affine, weight_grad, act_grad, backend,
                 srb_ratio_log2=None, kernel_size=3):
        super().__init__()
        self.binact = BinaryAct(channels, act_grad, backend)
        self.conv = (BinaryConv2d(channels, channels, kernel_size, weight_grad, backend)
                     if srb_ratio_log2 is None
                     else IntegerSRBConv2d(channels, channels, kernel_size, srb_ratio_log2,
                                           backend))
        self.affine = ChannelAffine(channels, affine)
        self.act = make_activation(act, channels)

    def forward(self, r):
        y = self.conv(self.binact(r))
        return self.act(self.affine(y, self.conv.weight))


class BinaryResBlock(nn.Module):
    """``convs`` binary units, their output quantized onto the residual grid, integer add.

    convs=2 is the SRResNet/EDSR block; convs=1 puts a residual around every binary conv
    (a residual around every binary conv, as in BBCU), which keeps full information flow through
    a binary body. ``post_add_act`` is applied to the sum before it is requantized (BBCU's
    position option); monotone, so it folds into the thresholds of ``res_quant``.
    """

    def __init__(self, channels, convs, inner_act, out_act, affine, weight_grad, act_grad,
                 branch_bits, res_bits, res_scale_log2, backend, post_add_act="none",
                 srb_ratio_log2=None, kernel_size=3):
        super().__init__()
        acts = [inner_act] * (convs - 1) + [out_act]
        self.units = nn.ModuleList(
            BinaryConvUnit(channels, a, affine, weight_grad, act_grad, backend, srb_ratio_log2,
                           kernel_size)
            for a in acts)
        self.branch_quant = ActQuant(branch_bits, res_scale_log2, True, backend)
        self.res_quant = ActQuant(res_bits, res_scale_log2, True, backend)
        self.post_add_act = make_activation(post_add_act, channels)

    def forward(self, r):
        z = r
        for unit in self.units:
            z = unit(z)
        return self.res_quant(self.post_add_act(r + self.branch_quant(z)))


class ParallelResBlock(nn.Module):
    """One binary unit per kernel size, side by side on r, each quantized onto the residual
    grid, all added to r in integers, one requantization: r + q(L_a(r)) + q(L_b(r)) ...
    (BTM's 1x5 + 5x1 half of an MRB). Options as BinaryResBlock's."""

    def __init__(self, channels, kernel_sizes, out_act, affine, weight_grad, act_grad,
                 branch_bits, res_bits, res_scale_log2, backend, post_add_act="none",
                 srb_ratio_log2=None):
        super().__init__()
        self.units = nn.ModuleList(
            BinaryConvUnit(channels, out_act, affine, weight_grad, act_grad, backend,
                           srb_ratio_log2, kernel_size=k)
            for k in kernel_sizes)
        self.branch_quants = nn.ModuleList(
            ActQuant(branch_bits, res_scale_log2, True, backend) for _ in kernel_sizes)
        self.res_quant = ActQuant(res_bits, res_scale_log2, True, backend)
        self.post_add_act = make_activation(post_add_act, channels)

    def forward(self, r):
        total = r
        for unit, quant in zip(self.units, self.branch_quants):
            total = total + quant(unit(r))
        return self.res_quant(self.post_add_act(total))


def bicubic_phase_weights(scale):
    """(s*s, 5, 5) integer weights (units 2**-12) of MATLAB bicubic upsampling by ``scale``.

    Output phase (i, j) of an LR pixel is HR pixel (s*h + i, s*w + j); its LR-space centre
    is offset by (k + 0.5) / s - 0.5 from the pixel, and the taps are the cubic kernel there.
    """
    offsets = np.arange(BICUBIC_TAPS) - BICUBIC_TAPS // 2
    phases = [cubic(offsets - ((k + 0.5) / scale - 0.5)) for k in range(scale)]
    weights = np.stack([np.outer(wy, wx) for wy in phases for wx in phases])
    weights = np.round(weights * 2 ** BICUBIC_FRAC_BITS).astype(np.int64).reshape(scale ** 2, -1)
    # rounding residue goes to the largest tap, so flat areas stay exactly flat
    largest = np.abs(weights).argmax(axis=1)
    weights[np.arange(scale ** 2), largest] += 2 ** BICUBIC_FRAC_BITS - weights.sum(axis=1)
    return weights.reshape(scale ** 2, BICUBIC_TAPS, BICUBIC_TAPS)


class BicubicSkip(nn.Module):
    """Bicubic upsampling as a frozen integer conv in -> in*s*s channels (PixelShuffle order),
    rounded onto the uint8 pixel grid."""

    def __init__(self, scale, in_channels, backend):
        super().__init__()
        phases = torch.from_numpy(bicubic_phase_weights(scale)).float()
        weight = torch.zeros(in_channels * scale * scale, in_channels, BICUBIC_TAPS, BICUBIC_TAPS)
        for c in range(in_channels):
            weight[c * scale * scale:(c + 1) * scale * scale, c] = phases
        bits = int(weight.abs().max()).bit_length() + 1
        require_exact_sum("bicubic skip", weight.abs().sum(dim=(1, 2, 3)).max() * 255)
        self.conv = IntConv2d(in_channels, weight.shape[0], BICUBIC_TAPS, bits, 8,
                              PIXEL_SCALE_LOG2, False, backend)
        with torch.no_grad():
            self.conv.weight.copy_(weight * 2.0 ** -BICUBIC_FRAC_BITS)
            # half an output step: the floor quantizer below then rounds half up
            self.conv.conv.bias.fill_(2.0 ** (PIXEL_SCALE_LOG2 - 1))
        for p in self.conv.parameters():
            p.requires_grad_(False)
        self.quant = ActQuant(8, PIXEL_SCALE_LOG2, False, backend)

    def forward(self, x):
        return self.quant(self.conv(x))


class NearestSkip(nn.Module):

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return torch.repeat_interleave(x, self.scale ** 2, dim=1)


class BinarySR(nn.Module):
    """Binary SR network; see the module docstring for the integer data path."""

    def __init__(self, scale, in_channels, channels=32, blocks=4, convs_per_block=2,
                 head_act="prelu", inner_act="prelu", out_act="none", affine="batchnorm",
                 weight_grad="clipped_ste", act_grad="approx_sign", weight_bits=8,
                 res_bits=8, branch_bits=8, res_scale_log2=-6, tail_bits=9,
                 long_skip=True, global_skip="bicubic", tail_init_gain=0.1, backend="brevitas",
                 post_add_act="none", input_gain_log2=0, srb_ratio_log2=None,
                 block_kernels=None):
        """block_kernels: kernel sizes of the body's blocks, a list repeated over ``blocks``:
        one size, a BinaryResBlock of ``convs_per_block`` units of it; several, a
        ParallelResBlock (one unit each). None: every block a 3x3 BinaryResBlock."""
        super().__init__()
        if scale not in (2, 3, 4):
            raise ValueError(f"scale must be 2, 3 or 4, got {scale}")
        if convs_per_block < 1 or blocks < 0 or channels < 1:
            raise ValueError("channels and convs_per_block must be >= 1, blocks >= 0")
        self.scale, self.in_channels = scale, in_channels
        out_ch = in_channels * scale * scale
        require_exact_accumulation("head", 9 * in_channels, 8, weight_bits)
        require_exact_accumulation("tail", 9 * channels, res_bits, weight_bits)
        self.in_quant = ActQuant(8, PIXEL_SCALE_LOG2, False, backend)
        # BBCU's residual alignment: the head sees pixels * 2**input_gain_log2 (an exact shift
        # of the uint8 grid) and the tail output is divided by the same power of two
        self.input_gain_log2 = input_gain_log2
        self.head = IntConv2d(in_channels, channels, 3, weight_bits, 8,
                              PIXEL_SCALE_LOG2 + input_gain_log2, False, backend)
        self.head_act = make_activation(head_act, channels)
        self.head_quant = ActQuant(res_bits, res_scale_log2, True, backend)
        common = dict(out_act=out_act, affine=affine, weight_grad=weight_grad,
                      act_grad=act_grad, branch_bits=branch_bits, res_bits=res_bits,
                      res_scale_log2=res_scale_log2, backend=backend, post_add_act=post_add_act,
                      srb_ratio_log2=srb_ratio_log2)
        pattern = block_kernels or [(3,)]
        self.body = nn.ModuleList(
            BinaryResBlock(channels, convs_per_block, inner_act, kernel_size=kernels[0],
                           **common) if len(kernels) == 1
            else ParallelResBlock(channels, kernels, **common)
            for kernels in (pattern[i % len(pattern)] for i in range(blocks)))
        self.skip_quant = ActQuant(res_bits, res_scale_log2, True, backend) if long_skip else None
        self.tail = IntConv2d(channels, out_ch, 3, weight_bits, res_bits, res_scale_log2, True,
                              backend)
        with torch.no_grad():
            self.tail.weight.mul_(tail_init_gain)  # start close to the global skip alone
            # half a step of the floor quantizer that follows: rounds to nearest at init
            self.head.conv.bias.fill_(2.0 ** (res_scale_log2 - 1))
            self.tail.conv.bias.fill_(2.0 ** (PIXEL_SCALE_LOG2 - 1))
        self.tail_quant = ActQuant(tail_bits, PIXEL_SCALE_LOG2, True, backend)
        check_choice("global_skip", global_skip, GLOBAL_SKIPS)
        self.global_skip = (BicubicSkip(scale, in_channels, backend) if global_skip == "bicubic"
                            else NearestSkip(scale))
        self.out_quant = ActQuant(8, PIXEL_SCALE_LOG2, False, backend)

    def run_body(self, r):
        for block in self.body:
            r = block(r)
        return r

    def forward(self, pixels):
        x = self.in_quant(pixels * 2.0 ** PIXEL_SCALE_LOG2)
        gain = 2.0 ** self.input_gain_log2
        r0 = self.head_quant(self.head_act(self.head(x * gain if self.input_gain_log2 else x)))
        r = self.run_body(r0)
        if self.skip_quant is not None:
            r = self.skip_quant(r + r0)
        y = self.tail(r)
        y = self.tail_quant(y / gain if self.input_gain_log2 else y)
        y = self.out_quant(y + self.global_skip(x))
        return F.pixel_shuffle(y, self.scale) * 2.0 ** -PIXEL_SCALE_LOG2


@ARCH_REGISTRY.register()
class BinarySRResNet(BinarySR):
    """SRResNet-style binary body: PReLU head, conv-BN-PReLU-conv-BN blocks."""


@ARCH_REGISTRY.register()
class BinaryEDSR(BinarySR):
    """EDSR-style binary body: no BatchNorm, conv-ReLU-conv blocks, plain head."""

    def __init__(self, scale, in_channels, head_act="none", inner_act="relu", affine="mean_abs",
                 **kwargs):
        super().__init__(scale, in_channels, head_act=head_act, inner_act=inner_act,
                         affine=affine, **kwargs)
