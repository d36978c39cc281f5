"""Images in and out of the driver: LR input, SR PNG with bicubic chroma for Y models."""
import numpy as np

from train.data.datasets import bicubic_lr, default_images
from train.data.image_io import read_image, with_bicubic_chroma, write_png

DEFAULT_LR_SIZE = 96


def read_lr(path) -> np.ndarray:
    return read_image(path)


def default_lr_image(scale: int, size: int = DEFAULT_LR_SIZE) -> np.ndarray:
    """A real LR image without downloads: the centre of a bundled photo, MATLAB-bicubic
    downscaled by ``scale``, ``size`` x ``size`` LR pixels."""
    _, hr = default_images()[0]
    lr = bicubic_lr(hr, scale)
    top, left = (lr.shape[0] - size) // 2, (lr.shape[1] - size) // 2
    return np.ascontiguousarray(lr[top:top + size, left:left + size])


def write_sr(path, sr: np.ndarray, lr_rgb: np.ndarray) -> None:
    """Write the SR image; a Y-only result gets the LR image's bicubic chroma."""
    if sr.ndim == 2 and lr_rgb.ndim == 3:
        sr = with_bicubic_chroma(sr, lr_rgb)
    write_png(path, sr)
