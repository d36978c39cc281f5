"""BAM (Xin et al., ECCV'20): binary SR with a bit-accumulation mechanism, ``mode: paper``
(float head, upsampler and tail, float residual stream; only the body binary).

Weights. Conv n of the body is binarized from the accumulation of its own latent weight
and those of the earlier body convs of the same shape in the same HPB:

    S_n = sum_{i<=n} alpha_i * W_i,    W_n^b = E(|W_n|) * sign(BN(S_n))

E(|W_n|) is per output channel (XNOR-Net's scale) and BN standardizes S_n per output
channel (no affine: only the sign is used). The paper solves alpha instead of training it
and does not spell the solve out; here alpha_i = 1 / E(|W_i|) over the whole tensor,
held constant (no gradient): every accumulated layer enters with unit mean magnitude, so
no layer dominates the sum by the scale its weights happened to take, and the binarized
weight does not change when one accumulated weight tensor is rescaled (tested).

Activations. The input of binary conv n is accumulated the same way over the inputs of
the earlier binary convs of the HPB, binarized, and scaled by beta_n, a learnable
per-channel array (C x 1), the only trained scale:

    A_n^b = beta_n * sign(sum_{i<=n} alpha_i * A_i),    alpha_i = 1 / E(|A_i|)

E(|A_i|) is the batch's while training and a running average (as BatchNorm's statistics)
in eval mode, so a trained network is a fixed function of each pixel's neighbourhood:
tiles give the same result as the whole image, and alpha_i are constants a deployment
could fold.

Accumulation is short-range inside an LB (its 1x1 convs see the 3x3 conv's weights do
not: different shape) and long-range across the LBs of an HPB. Blocks: an LB is one 3x3
and two 1x1 binary convs, each with a float residual and BatchNorm (x + BN(conv(A^b))),
PReLU at the end; an HPB is ``lbs`` LBs with a residual around them.
"""
import torch
from torch import nn

from train.archs.frb import FloatHeadTailSR, paper_mode_only
from train.quant import binary_sign
from train.registry import ARCH_REGISTRY

EPS = 1e-8


def mean_abs(x, dims):
    return x.abs().mean(dim=dims, keepdim=True)


def accumulate(tensors, dims):
    """sum_i alpha_i * T_i with alpha_i = 1 / E(|T_i|) over ``dims``, alpha held constant."""
    return sum(t / mean_abs(t, dims).detach().clamp(min=EPS) for t in tensors)


class BitAccumulationConv2d(nn.Conv2d):
    """Binary conv whose weight is E(|W_n|) * sign(BN(sum alpha_i W_i)) over ``earlier``
    same-shape convs (not registered here: they belong to their own blocks)."""

    def __init__(self, in_ch, out_ch, kernel_size, earlier=()):
        super().__init__(in_ch, out_ch, kernel_size, padding=kernel_size // 2, bias=False)
        if any(conv.weight.shape != self.weight.shape for conv in earlier):
            raise ValueError("bit accumulation needs weights of one shape")
        self._earlier = tuple(earlier)

    def binary_weight(self):
        filter_dims = tuple(range(1, self.weight.dim()))
        acc = accumulate([conv.weight for conv in self._earlier] + [self.weight],
                         tuple(range(self.weight.dim())))
        standardized = ((acc - acc.mean(dim=filter_dims, keepdim=True))
                        / acc.std(dim=filter_dims, keepdim=True, correction=0).clamp(min=EPS))
        return mean_abs(self.weight, filter_dims) * binary_sign(standardized, "ste")

    def forward(self, a):
        return self._conv_forward(a, self.binary_weight(), None)


class AccumulatedSign(nn.Module):
    """beta_n * sign(sum_{i<=n} alpha_i A_i): appends alpha_n A_n to the HPB's ``history``."""

    def __init__(self, channels, momentum=0.1):
        super().__init__()
        self.beta = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.register_buffer("running_mean_abs", torch.ones(()))
        self.momentum = momentum

    def forward(self, a, history):
        if self.training:
            mean = a.detach().abs().mean()
            self.running_mean_abs.lerp_(mean, self.momentum)
        else:
            mean = self.running_mean_abs
        history.append(a / mean.clamp(min=EPS))
        return self.beta * binary_sign(sum(history), "approx_sign")


class BinaryUnit(nn.Module):
    """x + BN(conv(beta * sign(accumulated x)))."""

    def __init__(self, conv):
        super().__init__()
        self.sign = AccumulatedSign(conv.in_channels)
        self.conv = conv
        self.bn = nn.BatchNorm2d(conv.out_channels)

    def forward(self, x, history):
        return x + self.bn(self.conv(self.sign(x, history)))


class LB(nn.Module):
    """BAM's local block: 3x3, 1x1, 1x1 binary units, then PReLU."""

    def __init__(self, channels, earlier):
        super().__init__()
        convs = []
        for kernel in (3, 1, 1):
            same = [c for c in earlier + convs if c.kernel_size == (kernel, kernel)]
            convs.append(BitAccumulationConv2d(channels, channels, kernel, same))
        self.units = nn.ModuleList(BinaryUnit(conv) for conv in convs)
        self.act = nn.PReLU(channels)

    @property
    def convs(self):
        return [unit.conv for unit in self.units]

    def forward(self, x, history):
        for unit in self.units:
            x = unit(x, history)
        return self.act(x)


class HPB(nn.Module):
    """``lbs`` LBs sharing one accumulation range, with a residual around them."""

    def __init__(self, channels, lbs):
        super().__init__()
        self.lbs = nn.ModuleList()
        for _ in range(lbs):
            self.lbs.append(LB(channels, [c for lb in self.lbs for c in lb.convs]))

    def forward(self, x):
        history = []
        y = x
        for lb in self.lbs:
            y = lb(y, history)
        return x + y


@ARCH_REGISTRY.register()
class BAM(FloatHeadTailSR):
    """BAM on the SRResNet backbone: ``blocks`` HPBs of ``lbs`` LBs each."""

    def __init__(self, scale, in_channels, channels=64, blocks=4, lbs=4, mode="paper",
                 global_skip="none"):
        paper_mode_only("BAM", mode)
        body = nn.ModuleList(HPB(channels, lbs) for _ in range(blocks))
        super().__init__(scale, in_channels, channels, body, nn.Identity(), global_skip)
