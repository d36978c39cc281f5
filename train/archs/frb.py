"""FRB (flexible residual binarization): second-order residual weight binarization (SRB) and
FRBC, its SRResNet-backbone network, as published (``mode: paper``: float head, upsampler and
tail, float residual stream, only the body convs binary).

SRB approximates a latent weight ``w`` (one output filter, n elements) by two binary terms:

    B_w1 = a1 * sign(w),          a1 = ||w||_1 / n
    B_w2 = a2 * sign(w - B_w1),   a2 = ||w - B_w1||_1 / n
    o    = sign(a) * B_w1 + sign(a) * B_w2        (two XNOR-popcount convs, summed)

Scales are per output channel (n = in_ch * k * k), as XNOR-Net's; gradients reach ``w``
through both signs (STE) and through the scales. By linearity the two convolutions equal
one convolution with ``B_w1 + B_w2``, which is how training computes it.

Activations are binarized by ReActNet's RSign, sign(x - shift_c) with a learnable
per-channel shift and the ApproxSign surrogate gradient. ``binarize: none`` builds the
float twin of the same architecture (same parameter names and blocks), the DBT teacher;
``binarize: plain`` keeps only the first term (a1 * sign(w)), the ablation baseline.

Deployable mode (FRBC): ``BinarySR`` with the same unit, a residual around every binary conv
(RSign = sign(x + b_c) -> conv -> BatchNorm -> + x -> PReLU, slopes >= 0), 2 units per
block plus the body's closing unit, integer head and tail, bicubic global skip. SRB's scale
ratio a2 / a1 is quantized per output channel to k / 2**m (``srb_ratio_log2`` m, default
2; straight-through rounding), so o / a1 = sign(a) * (2**m s1 + k s2) / 2**m: one conv on
an integer weight plane of m + 2 bits whose scale a1 / 2**m, like BatchNorm's, ends in the
thresholds (``train.quant.srb_integer_weight``). ``binarize: plain`` deploys as +-1 weights;
``none`` (the float twin) does not deploy.
"""
import torch
from torch import nn
from torch.nn import functional as F

from train.archs.binary_sr import BinarySR
from train.archs.blocks import split_mode_options
from train.quant import binary_sign, check_choice
from train.registry import ARCH_REGISTRY, ConfigError

BINARIZATIONS = ("srb", "plain", "none")
GLOBAL_SKIPS = ("none", "bicubic")


def paper_mode_only(arch, mode):
    """These methods exist in ``paper`` mode only; say what blocks ``deployable``."""
    if mode == "deployable":
        raise ConfigError(
            f"model.mode: {arch} has no deployable mode yet: its float head, upsampler and "
            f"tail and float residual stream have no integer data path in export/ (use "
            f"mode: paper)")
    check_choice(f"{arch} mode", mode, ("paper",))


def sign_scale(w):
    """Per-output-channel ``||w||_1 / n`` (n elements per output filter), shaped like w."""
    return w.abs().mean(dim=tuple(range(1, w.dim())), keepdim=True)


def srb_terms(w):
    """(B_w1, B_w2) of second-order residual binarization, each a scale times sign."""
    b1 = sign_scale(w) * binary_sign(w, "ste")
    residual = w - b1
    b2 = sign_scale(residual) * binary_sign(residual, "ste")
    return b1, b2


class SRBConv2d(nn.Conv2d):
    """Conv whose weight is binarized as ``binarize`` says (its input is already binary).

    Zero padding, as the published code pads the binary activations.
    """

    def __init__(self, in_ch, out_ch, kernel_size, binarize="srb", bias=False):
        check_choice("binarize", binarize, BINARIZATIONS)
        super().__init__(in_ch, out_ch, kernel_size, padding=kernel_size // 2, bias=bias)
        self.binarize = binarize

    def binary_weight(self):
        """The weight the convolution uses: B_w1 + B_w2 (srb), B_w1 (plain), w (none)."""
        if self.binarize == "none":
            return self.weight
        b1, b2 = srb_terms(self.weight)
        return b1 + b2 if self.binarize == "srb" else b1

    def forward(self, a):
        return self._conv_forward(a, self.binary_weight(), self.bias)


class RSign(nn.Module):
    """ReActNet sign(x - shift_c), learnable per-channel shift, ApproxSign gradient."""

    def __init__(self, channels):
        super().__init__()
        self.shift = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        return binary_sign(x - self.shift, "approx_sign")


class SRBUnit(nn.Module):
    """x -> PReLU(BN(conv(RSign(x))) + x): a residual around every binary conv (BBCU/FRB),
    which keeps the float information flow through the binary body."""

    def __init__(self, channels, binarize):
        super().__init__()
        self.sign = RSign(channels) if binarize != "none" else nn.Identity()
        self.conv = SRBConv2d(channels, channels, 3, binarize)
        self.bn = nn.BatchNorm2d(channels)
        self.act = nn.PReLU(channels)

    def forward(self, x):
        return self.act(self.bn(self.conv(self.sign(x))) + x)


class SRBResBlock(nn.Sequential):
    """SRResNet's residual block with both convs binarized: two SRB units."""

    def __init__(self, channels, binarize):
        super().__init__(SRBUnit(channels, binarize), SRBUnit(channels, binarize))


class Upsampler(nn.Sequential):
    """SRResNet upsampler, float: (conv -> PixelShuffle(2) -> PReLU) per x2, or one x3."""

    def __init__(self, scale, channels):
        factors = [2] * (scale // 2) if scale in (2, 4) else [3]
        layers = []
        for factor in factors:
            layers += [nn.Conv2d(channels, channels * factor ** 2, 3, padding=1),
                       nn.PixelShuffle(factor), nn.PReLU(channels)]
        super().__init__(*layers)


class FloatHeadTailSR(nn.Module):
    """Float head conv -> ``body`` (ModuleList of blocks) -> ``body_end`` -> + head output ->
    float upsampler -> float tail conv, on pixels / 255; returns pixel values.

    ``body`` holds the blocks that DBT distills (train/distill.py hooks ``model.body``).
    """

    def __init__(self, scale, in_channels, channels, body, body_end, global_skip):
        super().__init__()
        if scale not in (2, 3, 4):
            raise ValueError(f"scale must be 2, 3 or 4, got {scale}")
        check_choice("global_skip", global_skip, GLOBAL_SKIPS)
        self.scale, self.in_channels, self.global_skip = scale, in_channels, global_skip
        self.head = nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1),
                                  nn.PReLU(channels))
        self.body = body
        self.body_end = body_end
        self.upsampler = Upsampler(scale, channels)
        self.tail = nn.Conv2d(channels, in_channels, 3, padding=1)
        if global_skip == "bicubic":  # start from bicubic exactly; the tail learns at step 1
            nn.init.zeros_(self.tail.weight)
            nn.init.zeros_(self.tail.bias)

    def forward(self, pixels):
        x = pixels / 255.0
        r0 = self.head(x)
        r = r0
        for block in self.body:
            r = block(r)
        y = self.tail(self.upsampler(self.body_end(r) + r0))
        if self.global_skip == "bicubic":
            y = y + F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return y * 255.0


class FRBCPaper(FloatHeadTailSR):
    """FRB's CNN: SRResNet backbone (16 blocks x 64 channels) with SRB body convs.

    ``global_skip: bicubic`` adds a bicubic upsampling of the input to the output (not in the
    paper; short CPU-budget runs start from bicubic quality with it).
    """

    def __init__(self, scale, in_channels, channels=64, blocks=16, binarize="srb",
                 global_skip="none"):
        check_choice("binarize", binarize, BINARIZATIONS)
        body = nn.ModuleList(SRBResBlock(channels, binarize) for _ in range(blocks))
        super().__init__(scale, in_channels, channels, body, SRBUnit(channels, binarize),
                         global_skip)


PAPER_KEYS = {"channels", "blocks", "binarize", "global_skip"}
DEPLOYABLE_KEYS = {"channels", "blocks", "binarize", "srb_ratio_log2", "weight_bits",
                   "res_bits", "branch_bits", "res_scale_log2", "tail_bits", "long_skip",
                   "global_skip", "tail_init_gain", "backend"}
DEFAULT_SRB_RATIO_LOG2 = 2


class DeployableFRBC(BinarySR):
    """FRBC on the integer data path: ``blocks`` blocks of two SRB units (``body``, what DBT
    distills, block for block with the paper-mode float twin) and the closing unit
    ``body_end``; each unit is a ``BinaryResBlock`` with one conv."""

    def __init__(self, scale, in_channels, channels=64, blocks=16, binarize="srb",
                 srb_ratio_log2=DEFAULT_SRB_RATIO_LOG2, **options):
        check_choice("binarize", binarize, BINARIZATIONS)
        if binarize == "none":
            raise ConfigError("model.binarize: none (the float twin) has no deployable mode; "
                              "use srb or plain")
        super().__init__(scale, in_channels, channels=channels, blocks=2 * blocks + 1,
                         convs_per_block=1, head_act="prelu", out_act="none",
                         post_add_act="prelu", affine="batchnorm", weight_grad="ste",
                         act_grad="approx_sign",
                         srb_ratio_log2=srb_ratio_log2 if binarize == "srb" else None, **options)
        units = list(self.body)
        self.body = nn.ModuleList(nn.Sequential(*units[2 * i:2 * i + 2]) for i in range(blocks))
        self.body_end = units[-1]

    def run_body(self, r):
        return self.body_end(super().run_body(r))


@ARCH_REGISTRY.register()
def FRBC(scale, in_channels, mode="paper", **options):
    """FRBC, paper or deployable (see the module docstring)."""
    split_mode_options("FRBC", mode, options, PAPER_KEYS, DEPLOYABLE_KEYS)
    if mode == "paper":
        return FRBCPaper(scale, in_channels, **options)
    return DeployableFRBC(scale, in_channels, **options)
