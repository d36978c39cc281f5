"""PSNR/SSIM: known values, an independent SSIM reference, published Set5 bicubic numbers."""
import numpy as np
import pytest
from skimage.metrics import structural_similarity

from train.data.datasets import load_test_set
from train.data.matlab_bicubic import imresize
from train.metrics import calculate_psnr, calculate_ssim

# Published bicubic results on Set5 (Y channel, border = scale): {scale: (PSNR, SSIM)}.
PUBLISHED_SET5_BICUBIC = {2: (33.66, 0.9299), 4: (28.42, 0.8104)}
# This repo's uint8 bicubic of the LR_bicubic RGB files, measured with BasicSR's Y: see
# test_set5_uint8_rgb_bicubic for why SSIM sits slightly above the published values.
MEASURED_SET5_UINT8_BICUBIC = {2: (33.6734, 0.93029), 4: (28.4290, 0.81114)}
BT601_Y_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255


def _random_pair(shape, noise, seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    noisy = np.clip(img.astype(int) + rng.integers(-noise, noise + 1, shape), 0, 255)
    return img, noisy.astype(np.uint8)


def _add_noise(img, sigma, seed=1):
    noise = np.random.default_rng(seed).normal(scale=sigma, size=img.shape)
    return np.clip(np.round(img + noise), 0, 255).astype(np.uint8)


def _smooth_image(shape, seed=0):
    """Structured content (blurred noise) so SSIM is far from both 0 and 1."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=shape)
    kernel = np.ones(5) / 5
    for axis in (0, 1):
        noise = np.apply_along_axis(np.convolve, axis, noise, kernel, mode="same")
    return np.clip(128 + 200 * noise, 0, 255).astype(np.uint8)


def _reference_y(rgb):
    """BT.601 luma in 16..235, unrounded (BasicSR's to_y_channel)."""
    return rgb.astype(np.float64) @ BT601_Y_WEIGHTS + 16.0


def _skimage_ssim(img, img2):
    return structural_similarity(img, img2, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False, data_range=255)


# ---- PSNR ----

def test_psnr_constant_error_of_one_is_48_13_db():
    img = np.full((20, 30), 100, np.uint8)
    assert calculate_psnr(img, img + 1, crop_border=0) == pytest.approx(48.1308, abs=1e-4)
    rgb = np.full((20, 30, 3), 100, np.uint8)
    assert calculate_psnr(rgb, rgb + 1, 0, test_y_channel=False) == pytest.approx(48.1308, abs=1e-4)


def test_psnr_on_y_uses_unrounded_luma():
    # +1 on R, G and B moves Y by 219/255 (not rounded to 1): 48.13 dB + 20*log10(255/219).
    rgb = np.full((20, 30, 3), 100, np.uint8)
    expected = 10 * np.log10(255 ** 2 / (219 / 255) ** 2)
    assert calculate_psnr(rgb, rgb + 1, 0) == pytest.approx(expected, abs=1e-4)
    assert expected == pytest.approx(49.4527, abs=1e-4)


def test_psnr_matches_mse_formula_on_random_images():
    img, img2 = _random_pair((33, 47, 3), noise=20)
    mse = np.mean((_reference_y(img) - _reference_y(img2)) ** 2)
    assert calculate_psnr(img, img2, 0) == pytest.approx(10 * np.log10(255 ** 2 / mse), abs=1e-4)
    rgb_mse = np.mean((img.astype(float) - img2) ** 2)
    assert calculate_psnr(img, img2, 0, test_y_channel=False) == pytest.approx(
        10 * np.log10(255 ** 2 / rgb_mse), abs=1e-9)


def test_psnr_of_identical_images_is_inf():
    img, _ = _random_pair((16, 16, 3), noise=0)
    assert calculate_psnr(img, img.copy(), 2) == float("inf")


def test_crop_border_ignores_differences_in_the_border():
    img = np.full((40, 40), 90, np.uint8)
    img2 = img.copy()
    img2[:3, :] = 0
    img2[:, -3:] = 255
    assert calculate_psnr(img, img2, crop_border=3) == float("inf")
    assert calculate_ssim(img, img2, crop_border=3) == pytest.approx(1.0)
    assert calculate_psnr(img, img2, crop_border=2) < 30
    assert calculate_ssim(img, img2, crop_border=2) < 1


def test_crop_border_shaves_each_side():
    img, img2 = _random_pair((30, 40), noise=10)
    expected = calculate_psnr(img[4:-4, 4:-4], img2[4:-4, 4:-4], 0)
    assert calculate_psnr(img, img2, 4) == expected


@pytest.mark.parametrize("metric", [calculate_psnr, calculate_ssim])
def test_shape_mismatch_names_both_shapes(metric):
    with pytest.raises(ValueError, match=r"\(20, 30\).*\(20, 31\)"):
        metric(np.zeros((20, 30), np.uint8), np.zeros((20, 31), np.uint8), 0)


@pytest.mark.parametrize("metric", [calculate_psnr, calculate_ssim])
def test_crop_border_larger_than_image_is_rejected(metric):
    img = np.zeros((20, 30), np.uint8)
    with pytest.raises(ValueError, match="crop_border 10"):
        metric(img, img, 10)


def test_ssim_rejects_images_smaller_than_the_window():
    img = np.zeros((14, 30), np.uint8)
    with pytest.raises(ValueError, match="11x11"):
        calculate_ssim(img, img, 2)


# ---- SSIM ----

@pytest.mark.parametrize("shape", [(24, 31), (24, 31, 3)])
def test_ssim_of_image_with_itself_is_one(shape):
    img, _ = _random_pair(shape, noise=0)
    assert calculate_ssim(img, img.copy(), 0) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("sigma", [5, 40])
def test_ssim_matches_skimage_on_grey(sigma):
    img = _smooth_image((48, 61))
    img2 = _add_noise(img, sigma)
    expected = _skimage_ssim(img, img2)
    assert 0.05 < expected < 0.99
    assert calculate_ssim(img, img2, 0) == pytest.approx(expected, abs=1e-10)


def test_ssim_matches_skimage_with_crop_border_and_y_channel():
    rgb = _smooth_image((50, 44, 3))
    rgb2 = _add_noise(rgb, 20)
    y, y2 = _reference_y(rgb[3:-3, 3:-3]), _reference_y(rgb2[3:-3, 3:-3])
    # The reference Y is float64; ours is float32 like BasicSR, hence 1e-6 not 1e-10.
    assert calculate_ssim(rgb, rgb2, 3) == pytest.approx(_skimage_ssim(y, y2), abs=1e-6)


def test_ssim_without_y_averages_channels():
    rgb = _smooth_image((40, 40, 3))
    rgb2 = np.clip(rgb.astype(int) + np.array([3, -9, 20]), 0, 255).astype(np.uint8)
    per_channel = [_skimage_ssim(rgb[..., c], rgb2[..., c]) for c in range(3)]
    assert calculate_ssim(rgb, rgb2, 0, test_y_channel=False) == pytest.approx(
        np.mean(per_channel), abs=1e-10)


# ---- Protocol: Set5 bicubic ----

@pytest.mark.parametrize("scale", [2, 4])
def test_set5_published_bicubic_numbers(shared_data, scale):
    """The published protocol: float bicubic of the uint8 Y of the LR files vs HR Y (uint8)."""
    pairs = load_test_set(shared_data / "test" / "Set5" / "HR", scale, color="y")
    upscaled = [(imresize(lr.astype(np.float64), scale=scale), hr) for _, lr, hr in pairs]
    psnr = np.mean([calculate_psnr(np.clip(sr, 0, 255), hr, scale) for sr, hr in upscaled])
    ssim = np.mean([calculate_ssim(np.clip(sr, 0, 255), hr, scale) for sr, hr in upscaled])
    published_psnr, published_ssim = PUBLISHED_SET5_BICUBIC[scale]
    assert psnr == pytest.approx(published_psnr, abs=0.02)
    assert ssim == pytest.approx(published_ssim, abs=0.0005)


@pytest.mark.parametrize("scale", [2, 4])
def test_set5_uint8_rgb_bicubic(shared_data, scale):
    """uint8 bicubic of the LR RGB files vs HR RGB, BasicSR Y (what evaluate reports for RGB).

    PSNR is within 0.02 dB of the published value. SSIM is pinned to the measured value:
    rounding to uint8 and the unrounded BasicSR Y of HR move it 0.0004 (x2) / 0.0007 (x4)
    above the published float-bicubic numbers, which the test above reproduces.
    """
    pairs = load_test_set(shared_data / "test" / "Set5" / "HR", scale, color="rgb")
    upscaled = [(imresize(lr, scale=scale), hr) for _, lr, hr in pairs]
    psnr = np.mean([calculate_psnr(sr, hr, scale) for sr, hr in upscaled])
    ssim = np.mean([calculate_ssim(sr, hr, scale) for sr, hr in upscaled])
    measured_psnr, measured_ssim = MEASURED_SET5_UINT8_BICUBIC[scale]
    assert psnr == pytest.approx(PUBLISHED_SET5_BICUBIC[scale][0], abs=0.02)
    assert psnr == pytest.approx(measured_psnr, abs=1e-4)
    assert ssim == pytest.approx(measured_ssim, abs=1e-5)

