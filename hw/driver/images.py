"""Images in and out of the driver: LR input, SR PNG with bicubic chroma for Y models."""
import numpy as np

from train.data.datasets import bicubic_lr, default_images
from train.data.image_io import read_image, with_bicubic_chroma, write_png

DEFAULT_PHOTO = 1  # scikit-image's chelsea, 451x300: x2 gives a 225x150 LR image


def read_lr(path) -> np.ndarray:
    return read_image(path)


def default_lr_image(scale: int) -> np.ndarray:
    """A whole real LR image without downloads: a bundled photo, MATLAB-bicubic
    downscaled by ``scale``."""
    _, hr = default_images()[DEFAULT_PHOTO]
    return bicubic_lr(hr, scale)


def write_sr(path, sr: np.ndarray, lr_rgb: np.ndarray) -> None:
    """Write the SR image; a Y-only result gets the LR image's bicubic chroma."""
    if sr.ndim == 2 and lr_rgb.ndim == 3:
        sr = with_bicubic_chroma(sr, lr_rgb)
    write_png(path, sr)
