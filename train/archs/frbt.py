"""FRBT, FRB's transformer: a SwinIR-S body whose linear and conv units are SRB-binarized
(train/archs/frb.py), ``mode: paper``.

Body: residual Swin transformer blocks (RSTB: ``depth`` Swin layers, then a 3x3 conv, with
a residual), each layer window multi-head self-attention (shifted every other layer, with
SwinIR's relative position bias and shift mask) and an MLP, pre-LayerNorm, residual. Binary:
the qkv, attention projection and MLP linears and the RSTB convs (sign(x - shift) inputs,
SRB weights); float: LayerNorms, the attention products and softmax, and the head,
upsampler and tail shared with FRBC (SRResNet's, not SwinIR's pixelshuffledirect).
Images are reflect-padded to a multiple of the window and cropped back.
"""
import torch
from torch import nn
from torch.nn import functional as F

from train.archs.frb import (BINARIZATIONS, FloatHeadTailSR, SRBConv2d, SRBUnit,
                             paper_mode_only, srb_terms)
from train.quant import binary_sign, check_choice
from train.registry import ARCH_REGISTRY


class SRBLinear(nn.Linear):
    """Linear on sign(x - shift) (per input feature) with SRB weights; float with ``none``."""

    def __init__(self, in_features, out_features, binarize):
        check_choice("binarize", binarize, BINARIZATIONS)
        super().__init__(in_features, out_features)
        self.binarize = binarize
        self.shift = nn.Parameter(torch.zeros(in_features)) if binarize != "none" else None

    def forward(self, x):
        if self.binarize == "none":
            return super().forward(x)
        b1, b2 = srb_terms(self.weight)
        weight = b1 + b2 if self.binarize == "srb" else b1
        return F.linear(binary_sign(x - self.shift, "approx_sign"), weight, self.bias)


def window_partition(x, window):
    """(N, H, W, C) -> (N * windows, window * window, C)."""
    n, h, w, c = x.shape
    x = x.view(n, h // window, window, w // window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window * window, c)


def window_reverse(windows, window, n, h, w):
    c = windows.shape[-1]
    x = windows.view(n, h // window, w // window, window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(n, h, w, c)


def shift_mask(h, w, window, shift, device):
    """(windows, window^2, window^2) additive mask: -100 between regions a cyclic shift
    brought together (SwinIR's calculate_mask)."""
    region = torch.zeros(1, h, w, 1, device=device)
    bounds = (slice(0, -window), slice(-window, -shift), slice(-shift, None))
    for k, (hs, ws) in enumerate((hs, ws) for hs in bounds for ws in bounds):
        region[:, hs, ws, :] = k
    ids = window_partition(region, window).squeeze(-1)
    diff = ids.unsqueeze(1) - ids.unsqueeze(2)
    return diff.ne(0).float() * -100.0


class WindowAttention(nn.Module):
    def __init__(self, dim, heads, window, binarize):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv = SRBLinear(dim, dim * 3, binarize)
        self.proj = SRBLinear(dim, dim, binarize)
        self.bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        nn.init.trunc_normal_(self.bias_table, std=0.02)
        coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window),
                                            indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + window - 1
        self.register_buffer("bias_index", rel[..., 0] * (2 * window - 1) + rel[..., 1],
                             persistent=False)

    def forward(self, x, mask):
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn + self.bias_table[self.bias_index].permute(2, 0, 1)
        if mask is not None:
            attn = attn.view(-1, mask.shape[0], self.heads, n, n) + mask[None, :, None]
            attn = attn.view(-1, self.heads, n, n)
        out = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out)


class SwinLayer(nn.Module):
    def __init__(self, dim, heads, window, shift, mlp_ratio, binarize):
        super().__init__()
        self.window, self.shift = window, shift
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, heads, window, binarize)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(SRBLinear(dim, hidden, binarize), nn.GELU(),
                                 SRBLinear(hidden, dim, binarize))

    def forward(self, x):
        """x: (N, H, W, C)."""
        n, h, w, _ = x.shape
        y = self.norm1(x)
        mask = None
        if self.shift:
            y = torch.roll(y, (-self.shift, -self.shift), dims=(1, 2))
            mask = shift_mask(h, w, self.window, self.shift, x.device)
        y = window_reverse(self.attn(window_partition(y, self.window), mask), self.window,
                           n, h, w)
        if self.shift:
            y = torch.roll(y, (self.shift, self.shift), dims=(1, 2))
        x = x + y
        return x + self.mlp(self.norm2(x))


class RSTB(nn.Module):
    """Residual Swin transformer block: Swin layers, binary 3x3 conv, residual (NCHW)."""

    def __init__(self, dim, depth, heads, window, mlp_ratio, binarize):
        super().__init__()
        self.layers = nn.ModuleList(
            SwinLayer(dim, heads, window, window // 2 if i % 2 else 0, mlp_ratio, binarize)
            for i in range(depth))
        self.sign_shift = nn.Parameter(torch.zeros(1, dim, 1, 1)) if binarize != "none" else None
        self.conv = SRBConv2d(dim, dim, 3, binarize, bias=True)

    def forward(self, x):
        y = x.permute(0, 2, 3, 1)
        for layer in self.layers:
            y = layer(y)
        y = y.permute(0, 3, 1, 2)
        if self.sign_shift is not None:
            y = binary_sign(y - self.sign_shift, "approx_sign")
        return x + self.conv(y)


@ARCH_REGISTRY.register()
class FRBT(FloatHeadTailSR):
    """Binary SwinIR-S (defaults: 60 channels, 4 RSTBs of 6 layers, 6 heads, window 8)."""

    def __init__(self, scale, in_channels, channels=60, blocks=4, depth=6, heads=6, window=8,
                 mlp_ratio=2.0, binarize="srb", mode="paper", global_skip="none"):
        paper_mode_only("FRBT", mode)
        check_choice("binarize", binarize, BINARIZATIONS)
        if channels % heads:
            raise ValueError(f"channels {channels} must be a multiple of heads {heads}")
        body = nn.ModuleList(RSTB(channels, depth, heads, window, mlp_ratio, binarize)
                             for _ in range(blocks))
        super().__init__(scale, in_channels, channels, body, SRBUnit(channels, binarize),
                         global_skip)
        self.window = window

    def forward(self, pixels):
        h, w = pixels.shape[-2:]
        pad_h, pad_w = -h % self.window, -w % self.window
        padded = F.pad(pixels, (0, pad_w, 0, pad_h), mode="reflect") if pad_h or pad_w else pixels
        return super().forward(padded)[..., :h * self.scale, :w * self.scale]
