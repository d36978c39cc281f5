"""PSNR and SSIM exactly as BasicSR computes them (``basicsr/metrics/psnr_ssim.py``).

Images are HxW or HxWxC arrays (HWC order, RGB channel order) with pixel values in
[0, 255], usually uint8.  ``crop_border`` pixels are shaved from every side first.
With ``test_y_channel`` a 3-channel image is reduced to its BT.601 luma the way
BasicSR does it: on float32 ``img / 255`` and scaled back by 255, *not* rounded.
"""
import numpy as np
from scipy.ndimage import correlate1d

from train.data.image_io import rgb_to_ycbcr

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2


def calculate_psnr(img, img2, crop_border, test_y_channel=True):
    """PSNR in dB for pixel range 255; ``inf`` for identical images."""
    img, img2 = _prepare(img, img2, crop_border, test_y_channel)
    mse = np.mean((img - img2) ** 2)
    if mse == 0:
        return float("inf")
    return float(10.0 * np.log10(255.0 * 255.0 / mse))


def calculate_ssim(img, img2, crop_border, test_y_channel=True):
    """SSIM (11x11 Gaussian window, sigma 1.5, 'valid' region), averaged over channels."""
    img, img2 = _prepare(img, img2, crop_border, test_y_channel)
    if min(img.shape[:2]) < SSIM_WINDOW:
        raise ValueError(
            f"SSIM needs at least {SSIM_WINDOW}x{SSIM_WINDOW} pixels after cropping "
            f"{crop_border} border pixels, got {img.shape[0]}x{img.shape[1]}")
    return float(np.mean([_ssim(img[..., c], img2[..., c]) for c in range(img.shape[2])]))


def _prepare(img, img2, crop_border, test_y_channel):
    """Validate, shave the border, optionally take Y; return float64 HxWxC arrays."""
    img, img2 = np.asarray(img), np.asarray(img2)
    if img.shape != img2.shape:
        raise ValueError(f"image shapes differ: {img.shape} vs {img2.shape}")
    if img.ndim not in (2, 3):
        raise ValueError(f"expected HxW or HxWxC images, got shape {img.shape}")
    if crop_border < 0 or 2 * crop_border >= min(img.shape[:2]):
        raise ValueError(
            f"crop_border {crop_border} leaves nothing of an image of shape {img.shape}")
    if crop_border:
        img = img[crop_border:-crop_border, crop_border:-crop_border, ...]
        img2 = img2[crop_border:-crop_border, crop_border:-crop_border, ...]
    if test_y_channel:
        img, img2 = _to_y_channel(img), _to_y_channel(img2)
    return _as_hwc(img).astype(np.float64), _as_hwc(img2).astype(np.float64)


def _to_y_channel(img):
    """BasicSR's ``to_y_channel``: float32 luma in [16, 235], unrounded."""
    img = img.astype(np.float32) / 255.0
    if img.ndim == 3 and img.shape[2] == 3:
        img = rgb_to_ycbcr(img, y_only=True)
    return img * 255.0


def _as_hwc(img):
    return img[..., None] if img.ndim == 2 else img


def _gaussian_kernel():
    """Same values as ``cv2.getGaussianKernel(11, 1.5)``."""
    x = np.arange(SSIM_WINDOW, dtype=np.float64) - (SSIM_WINDOW - 1) / 2
    kernel = np.exp(-(x ** 2) / (2 * SSIM_SIGMA ** 2))
    return kernel / kernel.sum()


def _filter_valid(img, kernel):
    """2-D correlation with ``outer(kernel, kernel)`` keeping only the 'valid' region.

    Equivalent to BasicSR's ``cv2.filter2D(img, -1, window)[5:-5, 5:-5]``: the
    window is separable, and the border mode never reaches the valid region.
    """
    half = len(kernel) // 2
    out = correlate1d(correlate1d(img, kernel, axis=0), kernel, axis=1)
    return out[half:-half, half:-half]


def _ssim(img, img2):
    """BasicSR's ``_ssim`` on one float64 channel."""
    kernel = _gaussian_kernel()
    mu1 = _filter_valid(img, kernel)
    mu2 = _filter_valid(img2, kernel)
    mu1_sq, mu2_sq, mu1_mu2 = mu1 ** 2, mu2 ** 2, mu1 * mu2
    sigma1_sq = _filter_valid(img ** 2, kernel) - mu1_sq
    sigma2_sq = _filter_valid(img2 ** 2, kernel) - mu2_sq
    sigma12 = _filter_valid(img * img2, kernel) - mu1_mu2
    ssim_map = ((2 * mu1_mu2 + _C1) * (2 * sigma12 + _C2)) / (
        (mu1_sq + mu2_sq + _C1) * (sigma1_sq + sigma2_sq + _C2))
    return ssim_map.mean()
