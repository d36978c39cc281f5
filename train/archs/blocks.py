"""Building blocks shared by the seed binary SR methods (binsr, BTM, BBCU) in ``paper`` mode.

Paper mode is the method as published: float head, tail and residuals around binary convs.
The ``deployable`` mode of each method is a ``BinarySR`` (train/archs/binary_sr.py) whose
options are the nearest integer data path the export maps to the hardware exactly;
``split_mode_options`` checks that a recipe only sets keys its mode supports.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F

from train.quant import BINARIZER_GRADS, binary_sign, check_choice, kernel_pair
from train.registry import ConfigError

MODES = ("paper", "deployable")
ACT_SCALES = ("none", "xnor")
PIXEL_MAX = 255.0
# BBCU's fit of the best residual-alignment factor to the channel count (README of the code)
BBCU_K_PER_CHANNEL = 130 / 64


def split_mode_options(method, mode, options, paper_keys, deployable_keys):
    """Refuse keys that the chosen mode of ``method`` does not support, naming them."""
    check_choice(f"{method} mode", mode, MODES)
    allowed = paper_keys if mode == "paper" else deployable_keys
    other = deployable_keys if mode == "paper" else paper_keys
    for key in sorted(options):
        if key not in allowed:
            hint = (f" (a {MODES[mode == 'paper']}-mode option)" if key in other
                    else f" (allowed: {sorted(allowed)})")
            raise ConfigError(f"model.{key}: not an option of {method} in {mode} mode{hint}")
    return options


def bbcu_alignment_k(channels):
    """BBCU's residual-alignment factor k = 130 * n / 64 for n feature channels."""
    return BBCU_K_PER_CHANNEL * channels


def nearest_power_of_two_log2(value):
    """log2 of the power of two nearest to ``value`` in the log domain."""
    return int(round(math.log2(value)))


def xavier_uniform_init(module):
    """Xavier-uniform weights and zero biases for every conv, binary ones included (BTM)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, PaperBinaryConv2d)):
            nn.init.xavier_uniform_(m.weight)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)


def xnor_activation_scale(x, kernel_size):
    """XNOR-Net's K: mean over channels of |x|, averaged over each k_h x k_w window.

    Multiplies the +-1 convolution so it approximates the conv of the real-valued input.
    The average counts zero padding, like the zero-padded binary conv it scales.
    """
    kh, kw = kernel_pair(kernel_size)
    a = x.abs().mean(dim=1, keepdim=True)
    return F.avg_pool2d(a, (kh, kw), stride=1, padding=(kh // 2, kw // 2), count_include_pad=True)


class InputNormalization(nn.Module):
    """(x - mean) / std per channel on the way in; the mean is added back on the way out.

    ``mean``/``std``: one value per image channel, in pixel units (0..255), scaled to the
    model's ``pixel_range`` (EDSR's MeanShift with ``rgb_range``).
    """

    def __init__(self, mean, std, pixel_range):
        super().__init__()
        mean, std = torch.tensor(mean, dtype=torch.float32), torch.tensor(std, dtype=torch.float32)
        if mean.shape != std.shape or mean.ndim != 1 or (std <= 0).any():
            raise ConfigError("model.norm_mean/norm_std: one value per channel, std > 0")
        self.register_buffer("mean", mean.view(1, -1, 1, 1) * pixel_range / PIXEL_MAX)
        self.register_buffer("std", std.view(1, -1, 1, 1) * pixel_range / PIXEL_MAX)

    def normalize(self, x):
        return (x - self.mean) / self.std

    def add_mean(self, y):
        return y + self.mean


class RPReLU(nn.Module):
    """ReActNet/BBCU RPReLU with free slopes: shift, PReLU (any sign), shift."""

    def __init__(self, channels):
        super().__init__()
        self.shift_in = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.prelu = nn.PReLU(channels)
        self.shift_out = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        return self.prelu(x - self.shift_in) + self.shift_out


class PaperBinaryConv2d(nn.Module):
    """sign(x [+ b_c]) conv (mean|W_c| * sign(W)), zero padding, as in the papers' code.

    ``weight_scale``: XNOR-Net's per-output-channel mean|W| (gradient-free, as in binsr and
    BBCU). ``act_scale='xnor'``: multiply by XNOR-Net's K of the real input. ``act_bias``:
    a learnable per-channel shift before sign (BBCU's move0).
    """

    def __init__(self, in_ch, out_ch, kernel_size, weight_grad, act_grad, weight_scale=True,
                 act_scale="none", act_bias=False):
        super().__init__()
        check_choice("binarizer grad", weight_grad, BINARIZER_GRADS)
        check_choice("binarizer grad", act_grad, BINARIZER_GRADS)
        check_choice("act_scale", act_scale, ACT_SCALES)
        self.kernel = kernel_pair(kernel_size)
        self.weight = nn.Parameter(torch.empty(out_ch, in_ch, *self.kernel))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # nn.Conv2d's default
        self.weight_grad, self.act_grad = weight_grad, act_grad
        self.weight_scale, self.act_scale = weight_scale, act_scale
        self.act_bias = nn.Parameter(torch.zeros(1, in_ch, 1, 1)) if act_bias else None

    def binary_weight(self):
        w = binary_sign(self.weight, self.weight_grad)
        if self.weight_scale:
            w = w * self.weight.detach().abs().mean(dim=(1, 2, 3), keepdim=True)
        return w

    def forward(self, x):
        if self.act_bias is not None:
            x = x + self.act_bias
        a = binary_sign(x, self.act_grad)
        kh, kw = self.kernel
        y = F.conv2d(a, self.binary_weight(), padding=(kh // 2, kw // 2))
        if self.act_scale == "xnor":
            y = y * xnor_activation_scale(x, self.kernel)
        return y


class BBCUnit(nn.Module):
    """BBCU: x -> binary conv of sign(x + b) -> RPReLU, plus the identity.

    ``act_position='branch'`` (the official code): RPReLU(conv) + x;
    ``'after_add'``: RPReLU(conv + x). The paper reports that the position matters.
    """

    POSITIONS = ("branch", "after_add")

    def __init__(self, channels, weight_grad, act_grad, act_position="branch", kernel_size=3):
        super().__init__()
        check_choice("act_position", act_position, self.POSITIONS)
        self.conv = PaperBinaryConv2d(channels, channels, kernel_size, weight_grad, act_grad,
                                      act_bias=True)
        self.act = RPReLU(channels)
        self.after_add = act_position == "after_add"

    def forward(self, x):
        y = self.conv(x)
        return self.act(y + x) if self.after_add else self.act(y) + x


def pixel_shuffle_upsampler(channels, scale, act=None):
    """EDSR's upsampler: [conv C -> 4C, PixelShuffle(2)] per factor 2, or conv -> 9C for x3."""
    if scale not in (2, 3, 4):
        raise ConfigError(f"scale must be 2, 3 or 4, got {scale}")
    factors = [3] if scale == 3 else [2] * int(math.log2(scale))
    layers = []
    for f in factors:
        layers += [nn.Conv2d(channels, channels * f * f, 3, padding=1), nn.PixelShuffle(f)]
        if act is not None:
            layers.append(act(channels))
    return nn.Sequential(*layers)


def to_model_range(pixels, pixel_range):
    return pixels * (pixel_range / PIXEL_MAX)


def to_pixels(y, pixel_range):
    return y * (PIXEL_MAX / pixel_range)


class PaperSR(nn.Module):
    """A paper-mode network: pixels (0..255) in, pixels out; ``scale`` and ``in_channels``
    are what evaluation and upscaling read, as on ``BinarySR``."""

    def __init__(self, scale, in_channels):
        super().__init__()
        self.scale, self.in_channels = scale, in_channels


class MeanShiftedSR(PaperSR):
    """EDSR's outer structure: normalize -> head -> body + head -> tail -> add the mean back.

    Subclasses set ``pixel_range``, ``norm`` (InputNormalization), ``head``, ``body``, ``tail``.
    """

    def forward(self, pixels):
        x = self.norm.normalize(to_model_range(pixels, self.pixel_range))
        h = self.head(x)
        y = self.tail(self.body(h) + h)
        return to_pixels(self.norm.add_mean(y), self.pixel_range)
