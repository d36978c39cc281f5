"""Deployable binary SR networks: integer head and tail, binary body, integer residual stream.

Data path (all integers times power-of-two scales, see train/quant.py):

    pixels -> head IntConv (uint8 in) -> [act] -> res_quant            = r0 (int, 2**res_scale_log2)
    r -> BinaryResBlock x N: units (binary act -> binary conv -> affine -> act)
         -> branch_quant (int, same scale) -> + r -> res_quant         (integer add)
    r0 + body(r0) -> res_quant                                          (integer long skip)
    -> tail IntConv -> tail_quant (int, 2**-8) -> + input repeated s*s  (nearest global skip)
    -> out_quant (uint8, 2**-8) -> PixelShuffle -> pixels

Every monotone per-channel function between an integer sum and a quantizer becomes
thresholds in hardware, which is why PReLU slopes are kept >= 0.
"""
import torch
from torch import nn
from torch.nn import functional as F

from train.quant import (ActQuant, BinaryAct, BinaryConv2d, IntConv2d, check_choice,
                         require_exact_accumulation)
from train.registry import ARCH_REGISTRY

PIXEL_SCALE_LOG2 = -8  # pixels enter as p / 256: exact uint8 on a power-of-two grid
ACTIVATIONS = ("none", "relu", "prelu", "rprelu")
NORMS = ("none", "batchnorm")


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
            "rprelu": RPReLU}[kind](channels)


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
    """Binary activation -> 3x3 binary conv (exact integer sum) -> affine -> activation."""

    def __init__(self, channels, act, affine, weight_grad, act_grad, backend):
        super().__init__()
        self.binact = BinaryAct(channels, act_grad, backend)
        self.conv = BinaryConv2d(channels, channels, 3, weight_grad, backend)
        self.affine = ChannelAffine(channels, affine)
        self.act = make_activation(act, channels)

    def forward(self, r):
        y = self.conv(self.binact(r))
        return self.act(self.affine(y, self.conv.weight))


class BinaryResBlock(nn.Module):
    """``convs`` binary units, their output quantized onto the residual grid, integer add.

    convs=2 is the SRResNet/EDSR block; convs=1 puts a residual around every binary conv
    (BAM/BTM/BBCU style), which keeps full information flow through a binary body.
    """

    def __init__(self, channels, convs, inner_act, out_act, affine, weight_grad, act_grad,
                 branch_bits, res_bits, res_scale_log2, backend):
        super().__init__()
        acts = [inner_act] * (convs - 1) + [out_act]
        self.units = nn.ModuleList(
            BinaryConvUnit(channels, a, affine, weight_grad, act_grad, backend) for a in acts)
        self.branch_quant = ActQuant(branch_bits, res_scale_log2, True, backend)
        self.res_quant = ActQuant(res_bits, res_scale_log2, True, backend)

    def forward(self, r):
        z = r
        for unit in self.units:
            z = unit(z)
        return self.res_quant(r + self.branch_quant(z))


class BinarySR(nn.Module):
    """Binary SR network; see the module docstring for the integer data path."""

    def __init__(self, scale, in_channels, channels=32, blocks=4, convs_per_block=2,
                 head_act="prelu", inner_act="prelu", out_act="none", affine="batchnorm",
                 weight_grad="clipped_ste", act_grad="approx_sign", weight_bits=8,
                 res_bits=8, branch_bits=8, res_scale_log2=-6, tail_bits=9,
                 long_skip=True, backend="brevitas"):
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
        self.head = IntConv2d(in_channels, channels, 3, weight_bits, 8, PIXEL_SCALE_LOG2, False,
                              backend)
        self.head_act = make_activation(head_act, channels)
        self.head_quant = ActQuant(res_bits, res_scale_log2, True, backend)
        self.body = nn.ModuleList(
            BinaryResBlock(channels, convs_per_block, inner_act, out_act, affine, weight_grad,
                           act_grad, branch_bits, res_bits, res_scale_log2, backend)
            for _ in range(blocks))
        self.skip_quant = ActQuant(res_bits, res_scale_log2, True, backend) if long_skip else None
        self.tail = IntConv2d(channels, out_ch, 3, weight_bits, res_bits, res_scale_log2, True,
                              backend)
        self.tail_quant = ActQuant(tail_bits, PIXEL_SCALE_LOG2, True, backend)
        self.out_quant = ActQuant(8, PIXEL_SCALE_LOG2, False, backend)

    def forward(self, pixels):
        x = self.in_quant(pixels * 2.0 ** PIXEL_SCALE_LOG2)
        r0 = self.head_quant(self.head_act(self.head(x)))
        r = r0
        for block in self.body:
            r = block(r)
        if self.skip_quant is not None:
            r = self.skip_quant(r + r0)
        y = self.tail_quant(self.tail(r))
        y = self.out_quant(y + torch.repeat_interleave(x, self.scale ** 2, dim=1))
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
