"""MATLAB-compatible ``imresize(img, scale, 'bicubic')`` in numpy.

SR papers make their LR inputs with MATLAB; any other bicubic (PIL, OpenCV, torch)
differs by a few grey levels, which shifts PSNR by tenths of a dB. This module follows
MATLAB's algorithm step by step: cubic kernel with a=-0.5, kernel stretched by 1/scale
when shrinking (antialiasing), symmetric border mirroring, one 1-D pass per axis, and
for uint8 images a round-to-uint8 after each pass.
"""
import math

import numpy as np

_KERNEL_WIDTH = 4.0
# A scale such as 1/3 times 255 may land a hair above an integer; without a tolerance
# ceil() would add a spurious output pixel for sizes the caller meant to be exact.
_SIZE_TOLERANCE = 1e-9


def cubic(x):
    """Keys cubic convolution kernel with a=-0.5 (MATLAB's ``cubic``)."""
    absx = np.abs(x)
    absx2 = absx * absx
    absx3 = absx2 * absx
    near = (1.5 * absx3 - 2.5 * absx2 + 1.0) * (absx <= 1)
    far = (-0.5 * absx3 + 2.5 * absx2 - 4.0 * absx + 2.0) * ((absx > 1) & (absx <= 2))
    return near + far


def _contributions(in_length, out_length, scale):
    """Weights and source indices, each (out_length, taps), for one axis."""
    antialias = scale < 1
    kernel_width = _KERNEL_WIDTH / scale if antialias else _KERNEL_WIDTH

    # 1-based output coordinates mapped to 1-based input coordinates, as in MATLAB.
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - kernel_width / 2.0)
    taps = int(math.ceil(kernel_width)) + 2
    indices = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]

    distance = u[:, None] - indices
    if antialias:
        weights = scale * cubic(distance * scale)
    else:
        weights = cubic(distance)
    weights = weights / weights.sum(axis=1, keepdims=True)

    # MATLAB's symmetric padding: index sequence 1..n, n..1 repeated.
    mirror = np.concatenate([np.arange(in_length), np.arange(in_length - 1, -1, -1)])
    indices = mirror[np.mod(indices.astype(np.int64) - 1, mirror.size)]

    used = np.any(weights != 0, axis=0)
    return weights[:, used], indices[:, used]


def _resize_axis0(img, out_length, scale, round_to_uint8):
    """One 1-D pass along axis 0 of a float64 array."""
    weights, indices = _contributions(img.shape[0], out_length, scale)
    weight_shape = (out_length,) + (1,) * (img.ndim - 1)
    # Summing tap by tap keeps MATLAB's accumulation order (matters for .5 ties when
    # rounding) and needs only one output-sized buffer.
    out = np.zeros((out_length,) + img.shape[1:], dtype=np.float64)
    for tap in range(weights.shape[1]):
        out += weights[:, tap].reshape(weight_shape) * img[indices[:, tap]]
    if round_to_uint8:
        # floor(x + 0.5) is round-half-away-from-zero for x >= 0; negatives clip to 0.
        out = np.clip(np.floor(out + 0.5), 0, 255)
    return out


def _output_shape_and_scales(in_shape, scale, output_shape):
    if (scale is None) == (output_shape is None):
        raise ValueError("imresize: give exactly one of scale and output_shape")
    if scale is not None:
        if isinstance(scale, bool) or not isinstance(scale, (int, float, np.number)):
            raise ValueError(f"imresize: scale must be a number, got {scale!r}")
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"imresize: scale must be positive and finite, got {scale!r}")
        out_shape = tuple(int(math.ceil(n * scale - _SIZE_TOLERANCE)) for n in in_shape)
        if min(out_shape) < 1:
            raise ValueError(f"imresize: scale {scale!r} shrinks {in_shape} to {out_shape}")
        return out_shape, (float(scale), float(scale))
    out_shape = tuple(output_shape)
    if len(out_shape) != 2 or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
            for n in out_shape):
        raise ValueError(f"imresize: output_shape must be two positive ints, got {output_shape!r}")
    out_shape = tuple(int(n) for n in out_shape)
    return out_shape, tuple(o / i for o, i in zip(out_shape, in_shape))


def imresize(img, scale=None, output_shape=None):
    """Resize an HxW or HxWxC image like MATLAB ``imresize(img, ..., 'bicubic')``.

    uint8 input gives uint8 output (rounded after each 1-D pass, as MATLAB does);
    float input gives float64 output without rounding or clipping.
    """
    img = np.asarray(img)
    if img.ndim not in (2, 3) or min(img.shape[:2]) < 1:
        raise ValueError(f"imresize: expected a non-empty HxW or HxWxC image, got {img.shape}")
    is_uint8 = img.dtype == np.uint8
    if not (is_uint8 or np.issubdtype(img.dtype, np.floating)):
        raise ValueError(f"imresize: expected uint8 or float image, got dtype {img.dtype}")
    out_shape, scales = _output_shape_and_scales(img.shape[:2], scale, output_shape)

    out = img.astype(np.float64)
    # MATLAB resizes the axis with the stronger reduction first; rows when equal.
    axis_order = (0, 1) if scales[0] <= scales[1] else (1, 0)
    for axis in axis_order:
        moved = np.moveaxis(out, axis, 0)
        moved = _resize_axis0(moved, out_shape[axis], scales[axis], round_to_uint8=is_uint8)
        out = np.moveaxis(moved, 0, axis)
    return out.astype(np.uint8) if is_uint8 else out


def modcrop(img, scale):
    """Crop the bottom/right so height and width are multiples of ``scale``."""
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"modcrop: scale must be a positive int, got {scale!r}")
    h, w = img.shape[:2]
    return img[:h - h % scale, :w - w % scale]
