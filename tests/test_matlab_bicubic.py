import time

import numpy as np
import pytest
from PIL import Image

from train.data.matlab_bicubic import imresize, modcrop

SET5 = ["baby", "bird", "butterfly", "head", "woman"]

# Keys cubic (a=-0.5) evaluated by hand at |d| = 0.25, 0.75, 1.25, 1.75; for a x2
# shrink the kernel is stretched by 2, so an input pixel at distance d (input pixels)
# from the output centre gets weight cubic(d / 2) / 2.
HAND_CUBIC = {0.25: 0.8671875, 0.75: 0.2265625, 1.25: -0.0703125, 1.75: -0.0234375}


def _mirror(i, n):
    """MATLAB symmetric padding for a 0-based index."""
    if i < 0:
        return -i - 1
    if i >= n:
        return 2 * n - 1 - i
    return i


def _hand_x2_downscale(signal):
    n = len(signal)
    out = []
    for j in range(n // 2):
        centre = 2 * j + 0.5
        total = 0.0
        for i in range(2 * j - 3, 2 * j + 5):
            total += HAND_CUBIC[abs(i - centre) / 2] / 2 * signal[_mirror(i, n)]
        out.append(total)
    return np.array(out)


@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("stem", SET5)
def test_reproduces_matlab_set5_lr_exactly(shared_data, stem, scale):
    set5 = shared_data / "test" / "Set5"
    hr = np.asarray(Image.open(set5 / "HR" / f"{stem}.png").convert("RGB"))
    expected = np.asarray(Image.open(set5 / "LR_bicubic" / f"X{scale}" / f"{stem}x{scale}.png"))
    h, w = hr.shape[:2]
    lr = imresize(hr[:h - h % scale, :w - w % scale], 1 / scale)
    assert lr.dtype == np.uint8
    assert np.array_equal(lr, expected)


def test_hand_weights_sum_to_one():
    assert sum(HAND_CUBIC.values()) == pytest.approx(1.0)  # two taps per |d|, halved


def test_x2_ramp_float_matches_hand_computation():
    ramp = np.arange(16, dtype=np.float64)
    img = np.repeat(ramp[:, None], 6, axis=1)  # ramp down the rows, constant across
    out = imresize(img, 0.5)
    assert out.dtype == np.float64 and out.shape == (8, 3)
    expected = _hand_x2_downscale(ramp)
    np.testing.assert_allclose(out, np.repeat(expected[:, None], 3, axis=1), atol=1e-12)
    # Away from borders a linear ramp is kept exactly (symmetric kernel); the outputs whose
    # 8 taps reach past the border feel the mirroring.
    np.testing.assert_allclose(out[2:-2, 0], 2 * np.arange(2, 6) + 0.5, atol=1e-12)
    assert out[0, 0] == pytest.approx(0.44921875)


def test_x2_ramp_uint8_rounds_half_away_from_zero():
    ramp = 10 * np.arange(16) + 3
    img = np.repeat(ramp[None, :], 4, axis=0).astype(np.uint8)  # ramp across columns
    out = imresize(img, 0.5)
    assert out.dtype == np.uint8 and out.shape == (2, 8)
    expected = np.floor(_hand_x2_downscale(ramp.astype(np.float64)) + 0.5)
    assert np.array_equal(out, np.repeat(expected[None, :], 2, axis=0).astype(np.uint8))
    assert out[0, 1] == 28  # 10 * 2.5 + 3 = 28.0, interior values are exact


@pytest.mark.parametrize("scale", [1 / 2, 1 / 3, 1 / 4, 2, 3, 1.5])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_constant_image_stays_constant(scale, dtype):
    img = np.full((24, 36, 3), 77, dtype=dtype)
    out = imresize(img, scale)
    np.testing.assert_allclose(out, 77, atol=1e-9)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_downscale_of_block_image_keeps_block_interiors(scale):
    """A nearest-upscaled image with wide flat regions keeps their values far from edges."""
    blocks = np.array([[10, 200], [90, 40]], dtype=np.uint8)
    block = 8 * scale
    img = np.kron(blocks, np.ones((block, block), dtype=np.uint8))
    out = imresize(img, 1 / scale)
    assert out.shape == (16, 16)
    for (r, c), value in np.ndenumerate(blocks):
        interior = out[r * 8 + 2:r * 8 + 6, c * 8 + 2:c * 8 + 6]
        assert np.all(interior == value)


@pytest.mark.parametrize("scale, expected", [(1 / 2, (7, 5)), (1 / 3, (5, 4)), (1 / 4, (4, 3)),
                                             (2, (26, 20)), (3, (39, 30))])
def test_output_shape_is_ceil_of_scaled_size(scale, expected):
    out = imresize(np.zeros((13, 10), dtype=np.uint8), scale)
    assert out.shape == expected


def test_exact_thirds_do_not_gain_a_pixel():
    assert imresize(np.zeros((255, 300, 3), dtype=np.uint8), 1 / 3).shape == (85, 100, 3)


def test_output_shape_argument_and_channels():
    img = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    out = imresize(img, output_shape=(10, 45))
    assert out.shape == (10, 45, 3) and out.dtype == np.uint8
    for c in range(3):  # channels are resized independently
        assert np.array_equal(out[:, :, c], imresize(img[:, :, c], output_shape=(10, 45)))


def test_uint8_rounds_between_passes_rows_first():
    img = np.random.default_rng(1).integers(0, 256, (32, 32), dtype=np.uint8)
    rows_then_cols = imresize(imresize(img, output_shape=(16, 32)), output_shape=(16, 16))
    cols_then_rows = imresize(imresize(img, output_shape=(32, 16)), output_shape=(16, 16))
    out = imresize(img, 0.5)
    assert np.array_equal(out, rows_then_cols)
    assert not np.array_equal(out, cols_then_rows)


def test_float_path_is_unrounded_and_close_to_uint8_path():
    img = np.random.default_rng(2).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    as_float = imresize(img.astype(np.float64), 0.25)
    as_uint8 = imresize(img, 0.25)
    assert as_float.dtype == np.float64
    assert not np.all(as_float == np.round(as_float))
    assert np.abs(as_float - as_uint8).max() <= 1.0


def test_float_path_is_not_clipped():
    step = np.zeros((16, 16))
    step[:, 8:] = 1.0
    out = imresize(step, 0.5)
    assert out.min() < 0 and out.max() > 1  # cubic overshoot survives


def test_upscale_reproduces_linear_ramp_in_interior():
    ramp = np.arange(12, dtype=np.float64)
    img = np.repeat(ramp[None, :], 3, axis=0)
    out = imresize(img, 2)
    assert out.shape == (6, 24)
    # Output pixel j sits at input coordinate (j + 0.5) / 2 - 0.5; cubic keeps linear data.
    j = np.arange(4, 20)
    np.testing.assert_allclose(out[0, 4:20], (j + 0.5) / 2 - 0.5, atol=1e-12)


def test_large_rgb_resize_is_fast():
    img = np.random.default_rng(3).integers(0, 256, (512, 512, 3), dtype=np.uint8)
    imresize(img, 0.25)  # warm-up
    start = time.perf_counter()
    imresize(img, 0.25)
    imresize(img, 0.5)
    assert (time.perf_counter() - start) / 2 < 0.5


@pytest.mark.parametrize("kwargs, match", [
    ({}, "exactly one"),
    ({"scale": 0.5, "output_shape": (2, 2)}, "exactly one"),
    ({"scale": 0}, "positive"),
    ({"scale": -2}, "positive"),
    ({"scale": float("nan")}, "positive"),
    ({"scale": "2"}, "number"),
    ({"output_shape": (0, 4)}, "positive ints"),
    ({"output_shape": (4,)}, "positive ints"),
    ({"output_shape": (4, 2.5)}, "positive ints"),
])
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        imresize(np.zeros((8, 8), dtype=np.uint8), **kwargs)


def test_bad_images_raise_value_error():
    with pytest.raises(ValueError, match="dtype"):
        imresize(np.zeros((8, 8), dtype=np.int32), 0.5)
    with pytest.raises(ValueError, match="HxW"):
        imresize(np.zeros(8, dtype=np.uint8), 0.5)
    with pytest.raises(ValueError, match="shrinks"):
        imresize(np.zeros((8, 8), dtype=np.uint8), 1e-12)


def test_modcrop():
    img = np.zeros((13, 10, 3))
    assert modcrop(img, 4).shape == (12, 8, 3)
    assert modcrop(img, 1).shape == img.shape
    with pytest.raises(ValueError, match="scale"):
        modcrop(img, 0)
