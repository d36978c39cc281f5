"""Self-ensemble (the "+" rows of SR papers): the model on the 8 flips and 90-degree
rotations of its input, each output transformed back, averaged.

Works for any model mapping NCHW to NCHW (spatial layout preserved up to scale), so also
host-side around a hardware run (``hw.driver --ensemble``).
"""
import numpy as np
import torch
from torch import nn

ROTATIONS = range(4)


def dihedral(x, rotations, flip):
    """x flipped left-right (if ``flip``), then rotated by ``rotations`` x 90 degrees."""
    x = x.flip(-1) if flip else x
    return torch.rot90(x, rotations, dims=(-2, -1))


def undo_dihedral(y, rotations, flip):
    y = torch.rot90(y, -rotations, dims=(-2, -1))
    return y.flip(-1) if flip else y


def self_ensemble(forward, x):
    """Mean over the 8 dihedral transforms t of t^-1(forward(t(x)))."""
    outputs = [undo_dihedral(forward(dihedral(x, k, flip)), k, flip)
               for k in ROTATIONS for flip in (False, True)]
    return torch.stack(outputs).mean(dim=0)


class SelfEnsemble(nn.Module):
    """A model wrapped so that its forward is the self-ensemble; keeps scale/in_channels."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.scale, self.in_channels = model.scale, model.in_channels

    def forward(self, x):
        return self_ensemble(self.model, x)


def self_ensemble_image(upscale, img):
    """Self-ensemble of ``upscale`` (uint8 HxW or HxWxC image -> uint8 SR image, same
    layout) on the uint8 image ``img``; the mean rounded half to even, as ``run_model``."""
    def forward(chw):
        hwc = chw[0].permute(1, 2, 0).numpy().astype(np.uint8)
        sr = upscale(hwc[..., 0] if img.ndim == 2 else hwc)
        sr = sr[..., None] if sr.ndim == 2 else sr
        return torch.from_numpy(sr.astype(np.float32)).permute(2, 0, 1)[None]

    hwc = img[..., None] if img.ndim == 2 else img
    x = torch.from_numpy(hwc.astype(np.float32)).permute(2, 0, 1)[None]
    sr = self_ensemble(forward, x)[0].round().to(torch.uint8).permute(1, 2, 0).numpy()
    return sr[..., 0] if img.ndim == 2 else sr
