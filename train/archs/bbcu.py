"""BBCU (Xia et al., ICLR'23): basic binary convolution unit, BBCU-L and BBCU-M for SR.

Paper mode, as the official code (github.com/Zj-BinXia/BBCU, BBCU-SR/bbcu/archs):
pixels in [0, 1] multiplied by the residual-alignment factor k (default 130 * n / 64 for
n channels), float head conv + LeakyReLU(0.1), ``blocks`` blocks of two BBCUs, upsampler,
conv_hr + LeakyReLU, conv_last, plus bilinear upsampling of the scaled input; all divided by
k. Binary convs: sign(x + b) with ApproxSign gradients, weights sign(W) * mean|W| with
clipped-STE gradients. BBCU-L: float upsampler (conv -> PixelShuffle -> LeakyReLU) and
conv_hr; BBCU-M: binarized upsampler (binary conv -> RPReLU -> PixelShuffle, plus the
nearest-upsampled input) and a BBCU as conv_hr. Float convs start Kaiming-normal x 0.1.

Deployable mode (BBCU-L only): ``BinarySR`` with one binary unit per residual (2 per
block), RPReLU in the branch (or after the add), mean|W| scale, integer head and tail and a
bicubic global skip (BBCU: bilinear). k becomes a power of two 2**m: the head sees the
pixels * 2**m (an exact shift of the uint8 grid), the tail output is divided by 2**m, and
the residual grid moves by m so the int8 stream holds the amplified features. Unset, m is
the nearest power of two to 130 * n / 64 (128 for 64 channels); an explicit k that is not
a power of two is refused with the nearest one named.
"""
import math

from torch import nn
from torch.nn import functional as F

from train.archs.binary_sr import BinarySR
from train.archs.blocks import (BBCUnit, PaperBinaryConv2d, PaperSR, RPReLU, bbcu_alignment_k,
                                nearest_power_of_two_log2, split_mode_options, to_model_range,
                                to_pixels)
from train.quant import check_choice
from train.registry import ARCH_REGISTRY, ConfigError

LRELU_SLOPE = 0.1
INIT_GAIN = 0.1  # BasicSR's default_init_weights scale
PAPER_KEYS = {"channels", "blocks", "weight_grad", "act_grad", "act_position", "k"}
DEPLOYABLE_KEYS = {"channels", "blocks", "weight_grad", "act_grad", "act_position", "k",
                   "weight_bits", "res_bits", "branch_bits", "res_scale_log2", "tail_bits",
                   "long_skip", "global_skip", "tail_init_gain", "backend"}
DEPLOY_RES_SCALE_LOG2 = -6  # BinarySR's default residual grid, before the alignment shift


def kaiming_init_scaled(modules, gain=INIT_GAIN):
    for module in modules:
        for m in module.modules():
            if isinstance(m, nn.Conv2d) or isinstance(m, PaperBinaryConv2d):
                nn.init.kaiming_normal_(m.weight)
                m.weight.data.mul_(gain)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)


def upsample_factors(scale):
    return [scale] if scale in (2, 3) else [2, 2]


class BinaryUpsampler(nn.Module):
    """BBCU-M: PixelShuffle(RPReLU(binary conv C -> C*f*f)) + nearest upsampling of the input."""

    def __init__(self, channels, factor, weight_grad, act_grad):
        super().__init__()
        out = channels * factor * factor
        self.conv = PaperBinaryConv2d(channels, out, 3, weight_grad, act_grad, act_bias=True)
        self.act = RPReLU(out)
        self.factor = factor

    def forward(self, x):
        y = F.pixel_shuffle(self.act(self.conv(x)), self.factor)
        return y + F.interpolate(x, scale_factor=self.factor, mode="nearest")


class BBCUPaper(PaperSR):

    def __init__(self, scale, in_channels, binary_upsampler, channels=64, blocks=16,
                 weight_grad="clipped_ste", act_grad="approx_sign", act_position="branch", k=None):
        super().__init__(scale, in_channels)
        self.k = bbcu_alignment_k(channels) if k is None else float(k)
        unit = lambda: BBCUnit(channels, weight_grad, act_grad, act_position)  # noqa: E731
        self.head = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.body = nn.Sequential(*(nn.Sequential(unit(), unit()) for _ in range(blocks)))
        lrelu = lambda: nn.LeakyReLU(LRELU_SLOPE)  # noqa: E731
        if binary_upsampler:
            self.upsampler = nn.Sequential(*(BinaryUpsampler(channels, f, weight_grad, act_grad)
                                             for f in upsample_factors(scale)))
            self.conv_hr = unit()
        else:
            self.upsampler = nn.Sequential(*(
                layer for f in upsample_factors(scale)
                for layer in (nn.Conv2d(channels, channels * f * f, 3, padding=1),
                              nn.PixelShuffle(f), lrelu())))
            self.conv_hr = nn.Conv2d(channels, channels, 3, padding=1)
        self.lrelu = lrelu()
        self.conv_last = nn.Conv2d(channels, in_channels, 3, padding=1)
        kaiming_init_scaled([self.head, self.upsampler, self.conv_hr, self.conv_last])

    def forward(self, pixels):
        x = to_model_range(pixels, 1.0) * self.k
        y = self.upsampler(self.body(self.lrelu(self.head(x))))
        y = self.conv_last(self.lrelu(self.conv_hr(y)))
        y = y + F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
        return to_pixels(y / self.k, 1.0)


def deployable_gain_log2(k, channels):
    """The power-of-two exponent that realizes k in the integer data path."""
    if k is None:
        return nearest_power_of_two_log2(bbcu_alignment_k(channels))
    if k <= 0 or 2.0 ** round(math.log2(k)) != k:
        nearest = 2 ** nearest_power_of_two_log2(k) if k > 0 else 1
        raise ConfigError(f"model.k: {k} is not a power of two, which the deployable mode needs "
                          f"(a shift of the integer grid); nearest: k: {nearest}")
    return int(math.log2(k))


def build_bbcu(method, binary_upsampler, scale, in_channels, mode, options):
    split_mode_options(method, mode, options, PAPER_KEYS, DEPLOYABLE_KEYS)
    if mode == "paper":
        return BBCUPaper(scale, in_channels, binary_upsampler, **options)
    if binary_upsampler:
        raise ConfigError(
            f"model.mode: {method} does not deploy: its binarized upsampler and conv_hr are "
            "binary convs on the HR grid after PixelShuffle with a nearest-upsampled residual, "
            "which the export does not map (use BBCUL for a deployable BBCU)")
    options = {"channels": 64, "blocks": 16, "weight_grad": "clipped_ste",
               "act_grad": "approx_sign", **options}
    gain = deployable_gain_log2(options.pop("k", None), options["channels"])
    options.setdefault("res_scale_log2", DEPLOY_RES_SCALE_LOG2 + gain)
    options["blocks"] *= 2  # two BBCUs per block, each with its own residual
    position = options.pop("act_position", "branch")
    check_choice("act_position", position, BBCUnit.POSITIONS)
    after_add = position == "after_add"
    return BinarySR(scale, in_channels, convs_per_block=1, head_act="prelu",
                    out_act="none" if after_add else "rprelu",
                    post_add_act="rprelu" if after_add else "none", affine="mean_abs",
                    input_gain_log2=gain, **options)


@ARCH_REGISTRY.register()
def BBCUL(scale, in_channels, mode="paper", **options):
    """BBCU-L: 64 channels, 16 blocks of two BBCUs, float upsampler; paper or deployable."""
    return build_bbcu("BBCUL", False, scale, in_channels, mode, options)


@ARCH_REGISTRY.register()
def BBCUM(scale, in_channels, mode="paper", **options):
    """BBCU-M: BBCU-L with a binarized upsampler and conv_hr; paper mode only."""
    return build_bbcu("BBCUM", True, scale, in_channels, mode, options)
