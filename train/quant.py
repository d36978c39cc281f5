"""Quantizers of the deployable binary SR networks, in two interchangeable backends.

``brevitas``: Brevitas quantized layers; what is exported to QONNX/FINN.
``torch``: the same forward arithmetic with plain PyTorch ops and custom autograd
functions; a reference twin (tests check both agree) and the speed baseline.

Integer semantics, shared by both backends and by the export:
- every activation is an integer times a constant power-of-two scale;
- binary values are +-1 with sign(0) = +1 (as in Brevitas and FINN);
- binary convolutions see +-1 weights and inputs only, so their sums are exact
  integers; per-channel scales are applied afterwards as separate elementwise ops;
- activations are requantized with floor(x / scale) (QONNX rounding mode FLOOR), which is
  exactly a FINN MultiThreshold with thresholds at k * scale. Round-half-even, Brevitas'
  default, is not: FINN places thresholds at (k + 0.5) * scale, i.e. rounds ties up,
  and integer sums on power-of-two grids hit ties all the time. Biases learn the half step.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F

import brevitas.nn as qnn
from brevitas.core.bit_width import BitWidthConst
from brevitas.core.utils import StatelessBuffer
from brevitas.inject.enum import FloatToIntImplType
from brevitas.proxy import WeightQuantProxyFromInjector
from brevitas.quant.base import IntQuant, SignedBinaryClampedConst
from brevitas.quant.fixed_point import Int8WeightPerChannelFixedPoint
from brevitas.quant.scaled_int import Int32Bias
from brevitas.quant.solver import ActQuantSolver, WeightQuantSolver

from train.registry import ConfigError

BINARIZER_GRADS = ("ste", "clipped_ste", "approx_sign")
BACKENDS = ("brevitas", "torch")


class _SignSTE(torch.autograd.Function):
    """sign with sign(0) = +1; backward selected by ``grad``."""

    @staticmethod
    def forward(ctx, x, grad):
        ctx.save_for_backward(x)
        ctx.grad = grad
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.grad == "ste":
            return g, None
        if ctx.grad == "clipped_ste":
            return g * (x.abs() <= 1).to(g.dtype), None
        # ApproxSign (Bi-Real Net): derivative of the piecewise quadratic 2x + x|x| on |x| < 1
        return g * (2 - 2 * x.abs()).clamp(min=0), None


def binary_sign(x, grad="clipped_ste"):
    """+-1 binarizer with a selectable surrogate gradient."""
    check_choice("binarizer grad", grad, BINARIZER_GRADS)
    return _SignSTE.apply(x, grad)


def check_choice(what, value, choices):
    if value not in choices:
        raise ConfigError(f"unknown {what} {value!r} (choose from {', '.join(choices)})")


class _ConstScale(nn.Module):

    def __init__(self, value):
        super().__init__()
        self.value = StatelessBuffer(torch.tensor(float(value)))

    def forward(self, x):
        return self.value()


class SignBinaryQuant(nn.Module):
    """Brevitas tensor quantizer: scale * sign(x) with a selectable surrogate gradient.

    Follows the (value, scale, zero_point, bit_width) contract of Brevitas' BinaryQuant,
    so its proxy exports as a QONNX ``BipolarQuant``.
    """

    def __init__(self, scaling_const: float, binarizer_grad: str):
        super().__init__()
        self.scaling_impl = _ConstScale(scaling_const)
        self.bit_width = BitWidthConst(1)
        self.zero_point = StatelessBuffer(torch.tensor(0.0))
        self.binarizer_grad = binarizer_grad

    def forward(self, x):
        scale = self.scaling_impl(x)
        return binary_sign(x, self.binarizer_grad) * scale, scale, self.zero_point(), self.bit_width()


class BipolarActQuant(SignedBinaryClampedConst, ActQuantSolver):
    tensor_quant = SignBinaryQuant
    scaling_const = 1.0
    binarizer_grad = "clipped_ste"
    min_val = -1.0
    max_val = 1.0


class BipolarWeightQuant(SignedBinaryClampedConst, WeightQuantSolver):
    tensor_quant = SignBinaryQuant
    scaling_const = 1.0
    binarizer_grad = "clipped_ste"


def srb_integer_weight(w, ratio_log2):
    """SRB's two binary weight planes as one integer plane, per output channel:

        w_int = 2**m * sign(w) + k * sign(w - a1 * sign(w)),   k = round(2**m * a2 / a1)

    so ``a1 / 2**m * w_int = B_w1 + (k / 2**m) * a1 * sign(...)``, SRB with its scale ratio
    a2 / a1 quantized to k / 2**m (m = ``ratio_log2``). k is clamped to [0, 2**m - 1]: the
    plane then fits m + 2 signed bits (narrow range) and a ratio of 1 or more, a rare
    filter whose |w| are far from their mean, loses little. Straight-through gradients:
    both signs pass them (STE) and k's rounding passes those of the ratio.
    """
    dims = tuple(range(1, w.dim()))
    s1 = binary_sign(w, "ste")
    a1 = w.abs().mean(dim=dims, keepdim=True)
    residual = w - a1 * s1
    a2 = residual.abs().mean(dim=dims, keepdim=True)
    steps = 2 ** ratio_log2
    k = _StraightThrough.apply(a2 / a1.clamp(min=1e-12) * steps,
                               lambda r: r.round().clamp(0, steps - 1))
    return steps * s1 + k * binary_sign(residual, "ste")


class SRBIntegerWeightQuant(nn.Module):
    """Brevitas tensor quantizer: the SRB integer plane ``srb_integer_weight`` of the latent
    weight, scale 1, m + 2 bits. Its value is not a rounding of the weight, so it exports
    through its own proxy class (export/qonnx_export.py gives that a handler)."""

    def __init__(self, ratio_log2: int):
        super().__init__()
        self.ratio_log2 = int(ratio_log2)
        self.scaling_impl = _ConstScale(1.0)
        self.bit_width = BitWidthConst(self.ratio_log2 + 2)
        self.zero_point = StatelessBuffer(torch.tensor(0.0))

    def forward(self, x):
        return (srb_integer_weight(x, self.ratio_log2), self.scaling_impl(x), self.zero_point(),
                self.bit_width())


class SRBWeightQuantProxy(WeightQuantProxyFromInjector):
    """Weight proxy of ``SRBWeightQuant``: a class of its own so that export can find it."""


class SRBWeightQuant(SignedBinaryClampedConst, WeightQuantSolver):
    tensor_quant = SRBIntegerWeightQuant
    proxy_class = SRBWeightQuantProxy
    ratio_log2 = 2


class ConstScaleIntQuant(nn.Module):
    """Brevitas tensor quantizer: ``fake_quant_int`` with a constant scale.

    Brevitas' own const-scale activation quantizers derive the scale from a clipping
    threshold divided by the integer range; this one states the scale itself.
    """

    def __init__(self, scaling_const: float, bit_width: int, signed: bool, narrow_range: bool):
        super().__init__()
        self.scaling_impl = _ConstScale(scaling_const)
        self.bits, self.signed, self.narrow = int(bit_width), signed, narrow_range
        self.bit_width = BitWidthConst(self.bits)
        self.zero_point = StatelessBuffer(torch.tensor(0.0))

    def forward(self, x):
        scale = self.scaling_impl(x)
        y = fake_quant_int(x, scale, self.bits, self.signed, self.narrow, rounding="floor")
        return y, scale, self.zero_point(), self.bit_width()


class FixedPointActQuant(IntQuant, ActQuantSolver):
    """Integer activation with a constant power-of-two scale (set per instance)."""
    tensor_quant = ConstScaleIntQuant
    float_to_int_impl_type = FloatToIntImplType.FLOOR  # what the export records
    scaling_const = 1.0
    bit_width = 8


class FixedPointWeightQuant(Int8WeightPerChannelFixedPoint):
    """Narrow signed integer weights, per-output-channel power-of-two scale from max |w|."""


ROUNDINGS = {"round": torch.round, "floor": torch.floor}


def fake_quant_int(x, scale, bits, signed, narrow=False, rounding="round"):
    """Integer quantization with STE: ``round`` is half-to-even as in Brevitas' IntQuant."""
    lo = -(2 ** (bits - 1)) + int(narrow) if signed else 0
    hi = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1
    x = x / scale
    x = x + (ROUNDINGS[rounding](x) - x).detach()
    return torch.clamp(x, lo, hi) * scale


class _StraightThrough(torch.autograd.Function):
    """``op(x)`` forward, identity backward (Brevitas' ``*_ste`` functions)."""

    @staticmethod
    def forward(ctx, x, op):
        return op(x)

    @staticmethod
    def backward(ctx, g):
        return g, None


def pow2_weight_scale(w, bits):
    """Per-output-channel power-of-two scale covering max |w|, computed as Brevitas'
    ``Int8WeightPerChannelFixedPoint`` does, op for op, so that values and gradients are
    bit-identical: 2**ceil(log2 max|w|) / 2**(bits-1) (the narrow range then clamps a
    weight of exactly 2**k to 2**(bits-1) - 1), with straight-through ceil and clamp."""
    max_abs = torch.max(w.abs().flatten(1), dim=1)[0]
    max_abs = _StraightThrough.apply(max_abs, lambda x: x.clamp(min=1e-10))
    exp = _StraightThrough.apply(torch.log2(max_abs), torch.ceil)
    return (torch.pow(2.0, exp) / 2.0 ** (bits - 1)).view(-1, 1, 1, 1)


class ActQuant(nn.Module):
    """Integer activation quantizer: ``scale * clamp(floor(x / scale))``, scale = 2**scale_log2."""

    def __init__(self, bits, scale_log2, signed, backend):
        super().__init__()
        check_choice("backend", backend, BACKENDS)
        self.bits, self.signed, self.scale = bits, signed, 2.0 ** scale_log2
        self.quant = None
        if backend == "brevitas":
            self.quant = qnn.QuantIdentity(
                act_quant=FixedPointActQuant, bit_width=bits, signed=signed,
                scaling_const=self.scale, return_quant_tensor=False)

    def forward(self, x):
        if self.quant is not None:
            return self.quant(x)
        return fake_quant_int(x, self.scale, self.bits, self.signed, rounding="floor")


class BinaryAct(nn.Module):
    """sign(x + b_c): binary activation with a learnable per-channel bias (threshold)."""

    def __init__(self, channels, grad, backend, learnable_bias=True):
        super().__init__()
        check_choice("binarizer grad", grad, BINARIZER_GRADS)
        check_choice("backend", backend, BACKENDS)
        self.grad = grad
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1), requires_grad=learnable_bias)
        self.quant = None
        if backend == "brevitas":
            self.quant = qnn.QuantIdentity(
                act_quant=BipolarActQuant, binarizer_grad=grad, return_quant_tensor=False)

    def forward(self, x):
        x = x + self.bias
        if self.quant is not None:
            return self.quant(x)
        return binary_sign(x, self.grad)


def kernel_pair(kernel_size):
    """(height, width) of an int or pair kernel size; sides must be odd (centred windows)."""
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    if kh % 2 == 0 or kw % 2 == 0 or min(kh, kw) < 1:
        raise ConfigError(f"kernel size {kernel_size!r}: sides must be odd and >= 1")
    return kh, kw


class BinaryConv2d(nn.Module):
    """+-1 weights on +-1 inputs; padding with -1 (bit 0 of the bipolar encoding).

    ``kernel_size``: an int or (height, width) with odd sides, e.g. 3, 1, (1, 5), (5, 1).
    Returns the exact integer sum; its per-channel scale is applied by the caller.
    """

    def __init__(self, in_ch, out_ch, kernel_size, grad, backend):
        super().__init__()
        check_choice("binarizer grad", grad, BINARIZER_GRADS)
        check_choice("backend", backend, BACKENDS)
        kh, kw = kernel_pair(kernel_size)
        self.pad = (kw // 2, kw // 2, kh // 2, kh // 2)  # F.pad order: left, right, top, bottom
        self.grad = grad
        if backend == "brevitas":
            self.conv = qnn.QuantConv2d(in_ch, out_ch, (kh, kw), bias=False,
                                        **self.brevitas_weight_quant())
        else:
            self.conv = nn.Conv2d(in_ch, out_ch, (kh, kw), bias=False)
        self.backend = backend

    def brevitas_weight_quant(self):
        """QuantConv2d keyword arguments of the weight quantizer."""
        return dict(weight_quant=BipolarWeightQuant, weight_binarizer_grad=self.grad)

    def quantized_weight(self):
        """The torch backend's weight: what the Brevitas quantizer computes."""
        return binary_sign(self.conv.weight, self.grad)

    @property
    def weight(self):
        return self.conv.weight

    def forward(self, a):
        a = F.pad(a, self.pad, value=-1.0)
        if self.backend == "brevitas":
            return self.conv(a)
        return F.conv2d(a, self.quantized_weight())


class IntegerSRBConv2d(BinaryConv2d):
    """Deployable SRB conv: +-1 inputs (padded with -1) on the integer plane
    ``srb_integer_weight`` (m = ``ratio_log2``), one exact integer sum; returns it times
    2**-m, i.e. in units of a1 = mean|w|, as ``BinaryConv2d`` returns units of its scale
    (the caller applies the per-channel scale)."""

    def __init__(self, in_ch, out_ch, kernel_size, ratio_log2, backend):
        if not isinstance(ratio_log2, int) or not 0 <= ratio_log2 <= 6:
            raise ConfigError(f"srb_ratio_log2: {ratio_log2!r} must be an integer in 0..6")
        self.ratio_log2 = ratio_log2  # read by brevitas_weight_quant in __init__
        super().__init__(in_ch, out_ch, kernel_size, "ste", backend)

    def brevitas_weight_quant(self):
        return dict(weight_quant=SRBWeightQuant, weight_ratio_log2=self.ratio_log2)

    def quantized_weight(self):
        return srb_integer_weight(self.conv.weight, self.ratio_log2)

    def forward(self, a):
        return super().forward(a) * 2.0 ** -self.ratio_log2


class IntConv2d(nn.Module):
    """Integer conv on an input that is an integer times 2**in_scale_log2: narrow signed
    ``weight_bits`` weights (per-channel power-of-two scale), int32 bias on the accumulator
    scale, zero padding."""

    def __init__(self, in_ch, out_ch, kernel_size, weight_bits, in_bits, in_scale_log2, in_signed,
                 backend, bias=True):
        super().__init__()
        check_choice("backend", backend, BACKENDS)
        self.backend, self.weight_bits = backend, weight_bits
        pad = kernel_size // 2
        if backend == "brevitas":
            self.conv = qnn.QuantConv2d(
                in_ch, out_ch, kernel_size, padding=pad, bias=bias,
                weight_quant=FixedPointWeightQuant, weight_bit_width=weight_bits,
                bias_quant=Int32Bias if bias else None, input_quant=FixedPointActQuant,
                input_bit_width=in_bits, input_signed=in_signed,
                input_scaling_const=2.0 ** in_scale_log2)
        else:
            self.conv = nn.Conv2d(in_ch, out_ch, kernel_size, padding=pad, bias=bias)
            self.in_quant = ActQuant(in_bits, in_scale_log2, in_signed, "torch")

    @property
    def weight(self):
        return self.conv.weight

    def forward(self, x):
        if self.backend == "brevitas":
            return self.conv(x)
        x = self.in_quant(x)
        w_scale = pow2_weight_scale(self.conv.weight, self.weight_bits)
        w = fake_quant_int(self.conv.weight, w_scale, self.weight_bits, signed=True, narrow=True)
        b = None
        if self.conv.bias is not None:
            b = fake_quant_int(self.conv.bias, self.in_quant.scale * w_scale.flatten(), 32, True)
        return F.conv2d(x, w, b, padding=self.conv.padding)


def require_exact_sum(layer_name, bound):
    """float32 sums of integers are exact only below 2**24 (in units of the finest grid)."""
    if bound >= 2 ** 24:
        raise ConfigError(
            f"{layer_name}: accumulator can reach 2**{math.log2(bound):.1f}; float32 sums are "
            f"exact only below 2**24 (use fewer channels or bits)")


def require_exact_accumulation(layer_name, terms, in_bits, weight_bits):
    require_exact_sum(f"{layer_name} ({terms} terms of {in_bits}-bit inputs and {weight_bits}-bit"
                      f" weights)", terms * 2 ** (in_bits - 1 + weight_bits - 1))
