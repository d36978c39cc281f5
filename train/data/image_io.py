"""Image files in and out, and the BT.601 colour conversions of the SR protocol.

``read_image`` returns 8-bit data only: 16-bit and floating-point images raise
``ImageReadError`` instead of being silently requantised, since the MATLAB reference
LR images and PSNR protocol are defined on 8-bit pixels.
"""
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from train.cli import UserError
from train.data.matlab_bicubic import imresize

IMAGE_EXTENSIONS = frozenset({".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff"})

# BasicSR's rgb2ycbcr / ycbcr2rgb matrices (MATLAB's): RGB in 0..1 -> YCbCr in 0..255,
# and YCbCr in 0..255 -> RGB in 0..1.
_RGB_TO_Y = np.array([65.481, 128.553, 24.966])
_RGB_TO_YCBCR = np.array([[65.481, -37.797, 112.0],
                          [128.553, -74.203, -93.786],
                          [24.966, 112.0, -18.214]])
_YCBCR_OFFSET = np.array([16.0, 128.0, 128.0])
_YCBCR_TO_RGB = np.array([[0.00456621, 0.00456621, 0.00456621],
                          [0.0, -0.00153632, 0.00791071],
                          [0.00625893, -0.00318811, 0.0]])
_RGB_OFFSET = np.array([-222.921, 135.576, -276.836])

_GREY_MODES = {"L", "LA", "1"}
_NOT_8_BIT_MODES = {"I", "F"}


class ImageReadError(UserError):
    """An image file is missing, unreadable or not 8-bit; the message names the file."""

    def __init__(self, path, reason):
        reason = " ".join(str(reason).split())  # keep the message on one line
        super().__init__(f"cannot read image {path}: {reason}")
        self.path = path


def _decode(path):
    with Image.open(path) as im:
        im.load()  # decode now so truncation surfaces here, not later
        mode = im.mode
        if mode in _NOT_8_BIT_MODES or mode.startswith("I;"):
            raise ImageReadError(path, f"mode {mode} is not 8-bit (only 8-bit is supported)")
        if mode in _GREY_MODES:
            return np.asarray(im.convert("L"))
        return np.asarray(im.convert("RGB"))


def read_image(path):
    """Read an 8-bit image: HxWx3 uint8 for colour, HxW uint8 for grey; alpha dropped."""
    try:
        return _decode(path)
    except ImageReadError:  # already names the file and reason (not 8-bit)
        raise
    except FileNotFoundError:
        raise ImageReadError(path, "no such file") from None
    except IsADirectoryError:
        raise ImageReadError(path, "is a directory") from None
    except PermissionError:
        raise ImageReadError(path, "permission denied") from None
    except UnidentifiedImageError:
        raise ImageReadError(path, "not an image file or unknown format") from None
    except (OSError, ValueError, SyntaxError) as err:
        # PIL reports truncated/corrupt data as OSError, SyntaxError or ValueError.
        raise ImageReadError(path, f"truncated or corrupt image ({err})") from None


def write_png(path, img):
    """Write a uint8 HxW or HxWx3 image as PNG atomically, creating parent folders."""
    img = np.asarray(img)
    if img.dtype != np.uint8 or not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
        raise ValueError(f"write_png {path}: expected uint8 HxW or HxWx3, "
                         f"got {img.dtype} {img.shape}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            Image.fromarray(img).save(tmp, format="PNG")
        os.replace(tmp_name, path)
    except BaseException:
        os.unlink(tmp_name)
        raise


def _as_unit_float(img):
    """uint8 -> float32 in [0, 1] (as BasicSR); float images pass through."""
    img = np.asarray(img)
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.0
    if np.issubdtype(img.dtype, np.floating):
        return img
    raise ValueError(f"expected a uint8 or float image, got dtype {img.dtype}")


def _from_255_range(values, like_dtype):
    """Back to the input's convention: rounded uint8, or float in [0, 1]."""
    if like_dtype == np.uint8:
        return np.clip(np.round(values), 0, 255).astype(np.uint8)
    return (values / 255.0).astype(like_dtype)


def _check_rgb(img, what):
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"{what}: expected an HxWx3 image, got shape {img.shape}")


def rgb_to_ycbcr(img, y_only=False):
    """RGB -> YCbCr (BT.601, Y in 16..235) like BasicSR's ``rgb2ycbcr``.

    uint8 in -> uint8 out; float in [0, 1] -> float in [0, 1] of the same dtype.
    """
    img = np.asarray(img)
    _check_rgb(img, "rgb_to_ycbcr")
    unit = _as_unit_float(img)
    # Same operations as BasicSR (float32 input, float64 matrices) to match it bit for bit.
    if y_only:
        out = np.dot(unit, _RGB_TO_Y) + 16.0
    else:
        out = np.matmul(unit, _RGB_TO_YCBCR) + _YCBCR_OFFSET
    return _from_255_range(out, img.dtype)


def ycbcr_to_rgb(img):
    """YCbCr (BT.601) -> RGB like BasicSR's ``ycbcr2rgb``; uint8 output is clipped to 0..255."""
    img = np.asarray(img)
    _check_rgb(img, "ycbcr_to_rgb")
    unit = _as_unit_float(img)
    out = np.matmul(unit * 255, _YCBCR_TO_RGB) * 255.0 + _RGB_OFFSET
    return _from_255_range(out, img.dtype)


def to_y_uint8(img):
    """HxWx3 uint8 RGB -> HxW uint8 Y; an HxW grey image is returned unchanged."""
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise ValueError(f"to_y_uint8: expected uint8, got dtype {img.dtype}")
    if img.ndim == 2:
        return img
    return rgb_to_ycbcr(img, y_only=True)


def list_images(folder):
    """Sorted image files (by extension, case-insensitive) directly inside ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"image folder {folder} does not exist")
    images = sorted(p for p in folder.iterdir()
                    if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not images:
        raise FileNotFoundError(f"image folder {folder} holds no images "
                                f"({', '.join(sorted(IMAGE_EXTENSIONS))})")
    return images


def with_bicubic_chroma(sr_y, lr_rgb):
    """RGB image from an SR Y plane plus the bicubic-upscaled Cb/Cr of the LR RGB image."""
    cbcr = imresize(rgb_to_ycbcr(lr_rgb)[..., 1:], output_shape=sr_y.shape)
    return ycbcr_to_rgb(np.dstack([sr_y, cbcr]))
