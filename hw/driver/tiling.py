"""Whole LR images <-> accelerator frames.

The accelerator takes frames of any height up to its maximum width, and pads every
layer at the frame border, as the network pads at the image border. An image that
does not fit one frame is cut into frames placed inside the image
(the last ones flush with its far edge), overlapping by twice the halo, the network's
receptive radius: each SR pixel is taken from a frame where it lies at least a halo
away from every frame edge that is not an image edge, so the stitched image equals
the network applied to the whole image, bit for bit.
"""
from dataclasses import dataclass

import numpy as np

from hw.graph import op_kind
from train.cli import UserError


def receptive_halo(model) -> int:
    """LR pixels of context a dataflow graph's output needs on each side: the largest
    sum of paddings (kernel radii) along any path from input to output."""
    radius = {t.name: 0 for t in model.graph.input}
    for node in model.graph.node:  # dataflow graphs are stored in topological order
        base = max(radius[t] for t in node.input if t in radius)
        pad = max(_padding(node)) if op_kind(node) == "FMPadding" else 0
        for tensor in node.output:
            radius[tensor] = base + pad
    return radius[model.graph.output[0].name]


def _padding(node):
    return next(list(attr.ints) for attr in node.attribute if attr.name == "Padding")


class ImageTooSmallError(UserError):
    """The image is smaller than one frame of the accelerator."""


def frame_starts(size: int, frame: int, halo: int) -> list[int]:
    """Frame origins along one axis: step frame - 2*halo, the last flush with the end."""
    if size < frame:
        raise ImageTooSmallError(f"image side {size} is smaller than the {frame}-pixel frame")
    if size == frame:  # one frame: the whole side, whatever the halo
        return [0]
    step = frame - 2 * halo
    if step < 1:
        raise ValueError(f"frame {frame} leaves no valid pixels with a halo of {halo}")
    starts = list(range(0, size - frame, step)) + [size - frame]
    return sorted(set(starts))


def _owned(start: int, frame: int, size: int, halo: int) -> tuple[int, int]:
    """LR range [lo, hi) this frame is trusted for: a halo in from non-image edges."""
    return (0 if start == 0 else start + halo,
            size if start + frame == size else start + frame - halo)


@dataclass(frozen=True)
class Tile:
    top: int
    left: int
    rows: tuple[int, int]  # owned LR rows [lo, hi)
    cols: tuple[int, int]


@dataclass(frozen=True)
class TilePlan:
    height: int
    width: int
    frame: tuple[int, int]
    halo: int
    tiles: tuple

    @classmethod
    def for_image(cls, height, width, frame, halo):
        fh, fw = frame
        tiles = tuple(Tile(top, left, _owned(top, fh, height, halo), _owned(left, fw, width, halo))
                      for top in frame_starts(height, fh, halo)
                      for left in frame_starts(width, fw, halo))
        return cls(height, width, tuple(frame), halo, tiles)

    def split(self, image: np.ndarray) -> np.ndarray:
        """(H, W, C) image -> (tiles, fh, fw, C) frames."""
        fh, fw = self.frame
        return np.stack([image[t.top:t.top + fh, t.left:t.left + fw] for t in self.tiles])

    def assemble(self, outputs: np.ndarray, scale: int) -> np.ndarray:
        """(tiles, fh*s, fw*s, C) SR frames -> the (H*s, W*s, C) SR image."""
        sr = np.empty((self.height * scale, self.width * scale, outputs.shape[-1]),
                      dtype=outputs.dtype)
        for tile, out in zip(self.tiles, outputs):
            (r0, r1), (c0, c1) = tile.rows, tile.cols
            sr[r0 * scale:r1 * scale, c0 * scale:c1 * scale] = out[
                (r0 - tile.top) * scale:(r1 - tile.top) * scale,
                (c0 - tile.left) * scale:(c1 - tile.left) * scale]
        return sr
