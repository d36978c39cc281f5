import os
import socket

import numpy as np
import pytest
import torch
from PIL import Image

from train.data import datasets
from train.data.datasets import (HRSource, ImageSizeError, ImageTooSmallError, SRPatchDataset,
                                 default_images, held_out_rank, hr_sources,
                                 load_image_pair_from_array, load_test_set, resolve_hr_folders,
                                 split_held_out)
from train.data.image_io import (ImageReadError, list_images, read_image, rgb_to_ycbcr,
                                 to_y_uint8, write_png, ycbcr_to_rgb)
from train.data.matlab_bicubic import imresize
from train.registry import ConfigError


def _noise(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _save(path, img):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)
    return path


def _basicsr_ycbcr2rgb(img):
    """BasicSR's ycbcr2rgb for uint8 input, plus the clip to 0..255 it lacks."""
    img = img.astype(np.float32) / 255. * 255
    out = np.matmul(img, [[0.00456621, 0.00456621, 0.00456621], [0, -0.00153632, 0.00791071],
                          [0.00625893, -0.00318811, 0]]) * 255.0 + [-222.921, 135.576, -276.836]
    return np.clip(out.round(), 0, 255).astype(np.uint8)


def _basicsr_rgb2ycbcr(img, y_only):
    """BasicSR's rgb2ycbcr for uint8 input, written out independently."""
    img = img.astype(np.float32) / 255.
    if y_only:
        out = np.dot(img, [65.481, 128.553, 24.966]) + 16.0
    else:
        out = np.matmul(img, [[65.481, -37.797, 112.0], [128.553, -74.203, -93.786],
                              [24.966, 112.0, -18.214]]) + [16, 128, 128]
    return out.round().astype(np.uint8)


# ---------------------------------------------------------------- colour


@pytest.mark.parametrize("rgb, ycbcr", [
    ((255, 255, 255), (235, 128, 128)),
    ((0, 0, 0), (16, 128, 128)),
    ((255, 0, 0), (81, 90, 240)),    # 16 + 65.481, 128 - 37.797, 128 + 112
    ((0, 0, 255), (41, 240, 110)),   # 16 + 24.966, 128 + 112, 128 - 18.214
])
def test_known_bt601_values(rgb, ycbcr):
    img = np.array(rgb, dtype=np.uint8).reshape(1, 1, 3)
    assert tuple(rgb_to_ycbcr(img)[0, 0]) == ycbcr
    assert rgb_to_ycbcr(img, y_only=True)[0, 0] == ycbcr[0]


def test_matches_basicsr_formula_on_random_image():
    img = _noise((32, 40, 3))
    assert np.array_equal(rgb_to_ycbcr(img), _basicsr_rgb2ycbcr(img, y_only=False))
    y = rgb_to_ycbcr(img, y_only=True)
    assert y.shape == (32, 40) and y.dtype == np.uint8
    assert np.array_equal(y, _basicsr_rgb2ycbcr(img, y_only=True))
    assert np.array_equal(to_y_uint8(img), y)
    ycbcr = _noise((16, 16, 3), seed=3)
    assert np.array_equal(ycbcr_to_rgb(ycbcr), _basicsr_ycbcr2rgb(ycbcr))


def test_float_round_trip_and_range():
    img = np.random.default_rng(1).random((16, 16, 3)).astype(np.float32)
    ycbcr = rgb_to_ycbcr(img)
    assert ycbcr.dtype == np.float32
    assert 16 / 255 - 1e-6 <= ycbcr[..., 0].min() and ycbcr[..., 0].max() <= 235 / 255 + 1e-6
    np.testing.assert_allclose(ycbcr_to_rgb(ycbcr), img, atol=1e-4)


def test_uint8_round_trip_within_quantisation():
    img = _noise((32, 32, 3), seed=2)
    back = ycbcr_to_rgb(rgb_to_ycbcr(img))
    assert back.dtype == np.uint8
    assert np.abs(back.astype(int) - img).max() <= 2  # 219/224 levels cannot hold 256


def test_to_y_uint8_keeps_grey_and_rejects_float():
    grey = _noise((5, 7))
    assert to_y_uint8(grey) is grey
    with pytest.raises(ValueError, match="uint8"):
        to_y_uint8(grey.astype(np.float32))
    with pytest.raises(ValueError, match="HxWx3"):
        rgb_to_ycbcr(grey)


# ---------------------------------------------------------------- reading and writing


def test_read_image_modes(tmp_path):
    rgb = _noise((6, 9, 3))
    grey = _noise((6, 9))
    assert np.array_equal(read_image(_save(tmp_path / "rgb.png", rgb)), rgb)
    assert np.array_equal(read_image(_save(tmp_path / "rgb.bmp", rgb)), rgb)
    assert np.array_equal(read_image(_save(tmp_path / "grey.png", grey)), grey)
    grey_as_rgb = np.repeat(grey[:, :, None], 3, axis=2)
    assert read_image(_save(tmp_path / "grey_rgb.png", grey_as_rgb)).shape == (6, 9, 3)
    rgba = np.dstack([rgb, _noise((6, 9), seed=5)])
    assert np.array_equal(read_image(_save(tmp_path / "rgba.png", rgba)), rgb)
    palette = tmp_path / "palette.png"
    Image.fromarray(rgb).convert("P").save(palette)
    assert read_image(palette).shape == (6, 9, 3)


def _png_bytes(tmp_path):
    return _save(tmp_path / "good.png", _noise((40, 50, 3))).read_bytes()


def _flip_bytes(data, start, stop):
    """Invert a byte range (inside the first IDAT chunk for a small PNG)."""
    return data[:start] + bytes(b ^ 0xFF for b in data[start:stop]) + data[stop:]


@pytest.mark.parametrize("name, make, reason", [
    ("missing.png", None, "no such file"),
    ("text.png", lambda tmp: b"this is not a picture\n", "not an image"),
    ("random.png", lambda tmp: os.urandom(500), "not an image"),
    ("truncated.png", lambda tmp: _png_bytes(tmp)[:300], "truncated"),
    ("header_only.png", lambda tmp: _png_bytes(tmp)[:40] + bytes(400), "not an image"),
    ("bad_data.png", lambda tmp: _flip_bytes(_png_bytes(tmp), 100, 120), "corrupt"),
])
def test_read_image_errors_name_the_file(tmp_path, name, make, reason):
    path = tmp_path / name
    if make is not None:
        path.write_bytes(make(tmp_path))
    with pytest.raises(ImageReadError, match=reason) as info:
        read_image(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message


def test_read_image_rejects_16_bit(tmp_path):
    path = _save(tmp_path / "deep.png", (np.arange(64).reshape(8, 8) * 1000).astype(np.uint16))
    with pytest.raises(ImageReadError, match="8-bit"):
        read_image(path)


def test_write_png_round_trip_creates_dirs_and_leaves_no_temp(tmp_path):
    img = _noise((7, 5, 3))
    path = tmp_path / "a" / "b" / "out.png"
    write_png(path, img)
    write_png(path, img[::-1])  # overwrite in place
    assert np.array_equal(read_image(path), img[::-1])
    assert os.listdir(path.parent) == ["out.png"]


def test_write_png_failure_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "out.png"
    write_png(path, _noise((4, 4)))
    before = path.read_bytes()

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_png(path, _noise((4, 4), seed=9))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["out.png"]


def test_write_png_rejects_non_uint8(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        write_png(tmp_path / "x.png", np.zeros((4, 4)))


def test_list_images_sorted_case_insensitive(tmp_path):
    for name in ["b.PNG", "a.bmp", "c.Jpeg", "d.tif", "notes.txt"]:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub.png").mkdir()
    assert [p.name for p in list_images(tmp_path)] == ["a.bmp", "b.PNG", "c.Jpeg", "d.tif"]


def test_list_images_missing_or_empty_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        list_images(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty"):
        list_images(tmp_path / "empty")


# ---------------------------------------------------------------- sources


def test_default_images_load_offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("default_images() tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    images = default_images()
    assert len(images) >= 4
    assert len({name for name, _ in images}) == len(images)
    for _, img in images:
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
        assert min(img.shape[:2]) >= 256


def test_resolve_hr_folders(tmp_path):
    flat = [_save(tmp_path / "flat" / f"{i}.png", _noise((4, 4))) for i in range(2)]
    div2k = _save(tmp_path / "div2k" / "DIV2K_train_HR" / "0001.png", _noise((4, 4)))
    _save(tmp_path / "div2k" / "DIV2K_valid_HR" / "0801.png", _noise((4, 4)))
    single = _save(tmp_path / "single.bmp", _noise((4, 4)))
    found = resolve_hr_folders([tmp_path / "flat", str(tmp_path / "div2k"), single])
    assert found == flat + [div2k, single]
    with pytest.raises(FileNotFoundError, match="nope"):
        resolve_hr_folders([tmp_path / "nope"])


# ---------------------------------------------------------------- training patches


@pytest.fixture
def hr_folder(tmp_path):
    """Two colour noise images and a grey one, sizes not multiples of 3 or 4."""
    folder = tmp_path / "hr"
    _save(folder / "a.png", _noise((50, 61, 3), seed=1))
    _save(folder / "b.png", _noise((73, 49, 3), seed=2))
    _save(folder / "grey.png", _noise((55, 58), seed=3))
    return folder


@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("color, channels", [("y", 1), ("rgb", 3)])
def test_patch_shapes_dtypes_and_ranges(hr_folder, scale, color, channels):
    patch = 12 * scale
    ds = SRPatchDataset([hr_folder], scale, patch, color=color, repeat=2)
    assert len(ds) == 6
    for i in range(len(ds)):
        lr, hr = ds[i]
        assert lr.shape == (channels, patch // scale, patch // scale)
        assert hr.shape == (channels, patch, patch)
        for t in (lr, hr):
            assert t.dtype == torch.float32
            assert torch.equal(t, t.round())
            assert 0 <= t.min() and t.max() <= 255
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_y_patches_stay_in_bt601_range_and_grey_rgb_is_replicated(tmp_path):
    grey = _save(tmp_path / "grey.png", _noise((40, 40), seed=4))
    _, hr_y = SRPatchDataset([_save(tmp_path / "c.png", _noise((40, 40, 3)))], 2, 32)[0]
    assert 16 <= hr_y.min() and hr_y.max() <= 235
    lr, hr = SRPatchDataset([grey], 2, 32, color="rgb")[0]
    assert torch.equal(lr[0], lr[1]) and torch.equal(lr[0], lr[2])
    assert torch.equal(hr[0], hr[2])


def _position(small, big):
    """The unique (row, col) where ``small`` occurs in ``big``."""
    h, w = small.shape[:2]
    hits = [(r, c) for r in range(big.shape[0] - h + 1) for c in range(big.shape[1] - w + 1)
            if np.array_equal(big[r:r + h, c:c + w], small)]
    assert len(hits) == 1
    return hits[0]


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_crops_are_aligned(tmp_path, scale):
    path = _save(tmp_path / "n.png", _noise((70, 67, 3), seed=scale))
    ds = SRPatchDataset([path], scale, 8 * scale, color="rgb", augment=False)
    lr_full, hr_full = ds.pairs[0]
    torch.manual_seed(scale)
    for _ in range(5):
        lr, hr = (t.numpy().transpose(1, 2, 0).astype(np.uint8) for t in ds[0])
        top, left = _position(lr, lr_full)
        assert np.array_equal(hr, hr_full[top * scale:(top + 8) * scale,
                                          left * scale:(left + 8) * scale])
        # LR pixels whose bicubic support lies inside the patch equal the patch's own LR.
        assert np.array_equal(imresize(hr, 1 / scale)[3:-3, 3:-3], lr[3:-3, 3:-3])


def _transforms(img):
    """All 8 flip/transpose variants of an HxWxC array, in a fixed order."""
    out = []
    for t in (img, img.swapaxes(0, 1)):
        for k in range(4):
            out.append(np.rot90(t, k))
    return out


def test_augmentation_transforms_lr_and_hr_identically(tmp_path):
    path = _save(tmp_path / "n.png", _noise((64, 64, 3), seed=7))
    plain = SRPatchDataset([path], 2, 16, color="rgb", augment=False)
    augmented = SRPatchDataset([path], 2, 16, color="rgb", augment=True)
    seen = set()
    for seed in range(24):
        torch.manual_seed(seed)
        lr, hr = (t.numpy() for t in plain[0])
        torch.manual_seed(seed)  # crop is drawn first, so both see the same crop
        lr_aug, hr_aug = (t.numpy() for t in augmented[0])
        lr_kind = [i for i, v in enumerate(_transforms(lr.transpose(1, 2, 0)))
                   if np.array_equal(v, lr_aug.transpose(1, 2, 0))]
        hr_kind = [i for i, v in enumerate(_transforms(hr.transpose(1, 2, 0)))
                   if np.array_equal(v, hr_aug.transpose(1, 2, 0))]
        assert lr_kind == hr_kind and len(lr_kind) == 1
        seen.add(lr_kind[0])
    assert len(seen) == 8  # every flip/transpose combination occurs


def test_patches_are_deterministic_under_torch_seed(hr_folder):
    ds = SRPatchDataset([hr_folder], 2, 24)

    def draw(seed):
        torch.manual_seed(seed)
        return [t for i in range(len(ds)) for t in ds[i]]

    first, again, other = draw(0), draw(0), draw(1)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not all(torch.equal(a, b) for a, b in zip(first, other))


def test_image_too_small_names_file_and_size(hr_folder):
    small = _save(hr_folder / "tiny.png", _noise((30, 20, 3)))
    with pytest.raises(ImageTooSmallError) as info:
        SRPatchDataset([hr_folder], 2, 24)
    message = str(info.value)
    assert str(small) in message and "20x30" in message and "\n" not in message


def test_unreadable_training_file_names_it(hr_folder):
    bad = hr_folder / "broken.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(ImageReadError, match="broken.png"):
        SRPatchDataset([hr_folder], 2, 24)


@pytest.mark.parametrize("kwargs, key", [
    ({"patch_size": 25}, "patch_size"),
    ({"scale": 0}, "scale"),
    ({"color": "yuv"}, "color"),
    ({"repeat": 0}, "repeat"),
])
def test_bad_options_raise_config_error(hr_folder, kwargs, key):
    options = {"scale": 2, "patch_size": 24, **kwargs}
    with pytest.raises(ConfigError, match=key):
        SRPatchDataset([hr_folder], **options)


def test_default_images_dataset():
    ds = SRPatchDataset(None, 4, 64, repeat=3)
    assert len(ds) == 3 * len(default_images())
    lr, hr = ds[0]
    assert lr.shape == (1, 16, 16) and hr.shape == (1, 64, 64)


def test_lr_cache_is_reused(hr_folder, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    built = SRPatchDataset([hr_folder], 3, 24, cache_dir=cache)
    assert len(list(cache.glob("*.png"))) == 3

    calls = []
    real_imresize = datasets.imresize

    def counting_imresize(*args, **kwargs):
        calls.append(args)
        return real_imresize(*args, **kwargs)

    monkeypatch.setattr(datasets, "imresize", counting_imresize)
    reused = SRPatchDataset([hr_folder], 3, 24, color="y", cache_dir=cache)
    reused_rgb = SRPatchDataset([hr_folder], 3, 24, color="rgb", cache_dir=cache)
    assert calls == []
    for (lr_a, hr_a), (lr_b, hr_b) in zip(built.pairs, reused.pairs):
        assert np.array_equal(lr_a, lr_b) and np.array_equal(hr_a, hr_b)
    colour_lr_rgb = reused_rgb.pairs[0][0]  # a.png; the cache holds RGB LR for every colour
    assert np.array_equal(to_y_uint8(colour_lr_rgb), built.pairs[0][0])

    source = hr_folder / "a.png"
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    SRPatchDataset([hr_folder], 3, 24, cache_dir=cache)  # a.png changed
    SRPatchDataset([hr_folder], 2, 24, cache_dir=cache)  # other scale
    assert len(calls) == 1 + 3


# ---------------------------------------------------------------- test sets


def test_load_test_set_prefers_lr_bicubic_files(tmp_path):
    hr = _noise((30, 41, 3))
    _save(tmp_path / "Set" / "HR" / "img.png", hr)
    _save(tmp_path / "Set" / "HR" / "other.png", _noise((20, 20, 3)))
    marker_lr = np.full((10, 13, 3), 200, dtype=np.uint8)  # not a bicubic of hr
    _save(tmp_path / "Set" / "LR_bicubic" / "X3" / "imgx3.png", marker_lr)

    (name, lr, hr_y), (other, other_lr, _) = load_test_set(tmp_path / "Set" / "HR", 3)
    assert (name, other) == ("img", "other")
    assert np.array_equal(lr, to_y_uint8(marker_lr))
    assert np.array_equal(hr_y, to_y_uint8(hr[:30, :39]))
    assert other_lr.shape == (6, 6)

    pairs_x2 = load_test_set(tmp_path / "Set" / "HR", 2, color="rgb")  # no X2 folder
    _, lr2, hr2 = pairs_x2[0]
    assert np.array_equal(lr2, imresize(hr[:30, :40], 0.5)) and hr2.shape == (30, 40, 3)


def test_load_test_set_rejects_mismatched_lr(tmp_path):
    _save(tmp_path / "HR" / "img.png", _noise((30, 30, 3)))
    _save(tmp_path / "LR_bicubic" / "X2" / "imgx2.png", _noise((10, 10, 3)))
    with pytest.raises(ValueError, match="img"):
        load_test_set(tmp_path / "HR", 2)


def test_load_image_pair_from_array_grey_and_colours():
    grey = _noise((21, 22))
    name, lr, hr = load_image_pair_from_array("g", grey, 2, "rgb")
    assert name == "g" and lr.shape == (10, 11, 3) and hr.shape == (20, 22, 3)
    _, lr_y, hr_y = load_image_pair_from_array("g", grey, 2, "y")
    assert np.array_equal(hr_y, grey[:20]) and np.array_equal(lr_y, lr[:, :, 0])
    with pytest.raises(ConfigError, match="color"):
        load_image_pair_from_array("g", grey, 2, "lab")


def test_shared_set5_lr_files_match_our_bicubic(shared_data):
    pairs = load_test_set(shared_data / "test" / "Set5" / "HR", 4)
    assert [name for name, _, _ in pairs] == ["baby", "bird", "butterfly", "head", "woman"]
    for name, lr, hr in pairs:
        assert lr.ndim == 2 and lr.shape == (hr.shape[0] // 4, hr.shape[1] // 4)
        hr_rgb = read_image(shared_data / "test" / "Set5" / "HR" / f"{name}.png")
        _, made_lr, _ = load_image_pair_from_array(name, hr_rgb, 4, "y")
        assert np.array_equal(lr, made_lr)


# ---- validation split held out of the training data ----

def test_held_out_split_is_deterministic_disjoint_and_independent_of_the_folder(tmp_path):
    names = [f"img{i:03d}.png" for i in range(20)]
    for folder in ("a", "b"):
        for name in names:
            (tmp_path / folder).mkdir(exist_ok=True)
            (tmp_path / folder / name).write_bytes(b"")
    splits = [split_held_out(hr_sources([tmp_path / folder]), 3) for folder in ("a", "b", "a")]
    (train, held), (_, held_b), (train_again, held_again) = splits
    assert [s.name for s in held] == [s.name for s in held_b] == [s.name for s in held_again]
    assert train == train_again and len(held) == 3 and len(train) == 17
    assert not set(train) & set(held) and set(train) | set(held) == set(hr_sources([tmp_path / "a"]))
    # the rank is the SHA-1 of the file name: adding an image never reshuffles the others
    (tmp_path / "a" / "zzz.png").write_bytes(b"")
    _, held_more = split_held_out(hr_sources([tmp_path / "a"]), 3)
    zzz = HRSource("zzz.png", tmp_path / "a" / "zzz.png")
    expected = sorted(held + [zzz], key=held_out_rank)[:3]
    assert held_more == sorted(expected, key=lambda s: s.name)


def test_bundled_photos_hold_out_astronaut():
    train, held = split_held_out(hr_sources(None), 1)
    assert [s.name for s in held] == ["astronaut"]
    assert [s.name for s in train] == ["chelsea", "coffee", "rocket", "motorcycle"]


@pytest.mark.parametrize("count", [0, 5])
def test_a_split_must_leave_training_images(count):
    with pytest.raises(ConfigError, match=f"'data.val.split' {count} must leave training images"):
        split_held_out(hr_sources(None), count)


def test_test_image_too_small_for_ssim_or_with_a_wrong_lr_is_named(tmp_path):
    write_png(tmp_path / "HR" / "small.png", _noise((14, 40, 3)))
    with pytest.raises(ImageTooSmallError, match="small.png is 40x14; x2 PSNR/SSIM need at least 15"):
        load_test_set(tmp_path / "HR", 2)
    write_png(tmp_path / "HR" / "small.png", _noise((40, 40, 3)))
    write_png(tmp_path / "LR_bicubic" / "X2" / "smallx2.png", _noise((19, 20, 3)))
    with pytest.raises(ImageSizeError, match=r"smallx2.png: LR image is 20x19, expected 20x20"):
        load_test_set(tmp_path / "HR", 2)
