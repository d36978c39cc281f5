"""evaluate_model / train.evaluate and train.upscale with a stand-in nearest-neighbour model."""
import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from torch import nn

from train import checkpoint, evaluate, upscale
from train.data.datasets import load_test_set
from train.data.image_io import read_image, to_y_uint8, write_png
from train.data.matlab_bicubic import imresize
from train.metrics import calculate_psnr, calculate_ssim
from train.registry import ConfigError

REPO = Path(__file__).resolve().parents[1]
SCALE = 2


class NearestSR(nn.Module):
    """Stand-in SR model: nearest-neighbour upscaling of 0..255 pixel values."""

    def __init__(self, scale=SCALE, in_channels=1):
        super().__init__()
        self.scale = scale
        self.in_channels = in_channels

    def forward(self, x):
        return x.repeat_interleave(self.scale, dim=2).repeat_interleave(self.scale, dim=3)


def _nearest(img, scale=SCALE):
    return img.repeat(scale, axis=0).repeat(scale, axis=1)


def _textured(shape, seed):
    """Smooth gradient plus noise: realistic enough for non-trivial PSNR/SSIM."""
    ramp = np.linspace(30, 220, shape[1]).reshape(1, -1, *[1] * (len(shape) - 2))
    img = ramp + np.random.default_rng(seed).normal(scale=25, size=shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def hr_folder(tmp_path):
    """Two RGB images (one not a multiple of the scale) and one grey image."""
    folder = tmp_path / "Tiny" / "HR"
    write_png(folder / "a.png", _textured((40, 52, 3), 0))
    write_png(folder / "b.png", _textured((37, 45, 3), 1))
    write_png(folder / "grey.png", _textured((44, 30), 2))
    return folder


@pytest.fixture
def patch_loader(monkeypatch):
    """Make ``checkpoint.load_model`` return the given stand-in model."""
    def patch(model):
        monkeypatch.setattr(checkpoint, "load_model", lambda path: model)
    return patch


def _table_rows(markdown):
    """Cells of each table body row of a Markdown report."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def _files_under(folder):
    return sorted(p.relative_to(folder) for p in Path(folder).rglob("*"))


# ---- evaluate_model ----

@pytest.mark.parametrize("in_channels", [1, 3])
def test_csv_numbers_match_metrics(hr_folder, tmp_path, in_channels):
    out = tmp_path / "out"
    rows = evaluate.evaluate_model(NearestSR(in_channels=in_channels), {"Tiny": hr_folder}, out)
    color = "y" if in_channels == 1 else "rgb"
    pairs = load_test_set(hr_folder, SCALE, color)
    with open(out / "Tiny.csv", newline="") as f:
        csv_rows = list(csv.DictReader(f))
    assert [r["image"] for r in csv_rows] == ["a", "b", "grey", "mean"]
    assert [r["image"] for r in rows] == ["a", "b", "grey"]
    for (name, lr, hr), csv_row, row in zip(pairs, csv_rows, rows):
        expected = {"bicubic_psnr": calculate_psnr(imresize(lr, scale=SCALE), hr, SCALE),
                    "bicubic_ssim": calculate_ssim(imresize(lr, scale=SCALE), hr, SCALE),
                    "model_psnr": calculate_psnr(_nearest(lr), hr, SCALE),
                    "model_ssim": calculate_ssim(_nearest(lr), hr, SCALE)}
        for key, value in expected.items():
            assert float(csv_row[key]) == pytest.approx(value, abs=1e-4), (name, key)
            assert row[key] == pytest.approx(value, abs=1e-12), (name, key)
        assert float(csv_row["psnr_gain"]) == pytest.approx(
            expected["model_psnr"] - expected["bicubic_psnr"], abs=1e-4)
    mean_psnr = np.mean([row["model_psnr"] for row in rows])
    assert float(csv_rows[-1]["model_psnr"]) == pytest.approx(mean_psnr, abs=1e-4)


def test_markdown_table_parses(hr_folder, tmp_path):
    rows = evaluate.evaluate_model(NearestSR(), {"Tiny": hr_folder}, tmp_path / "out")
    table = _table_rows((tmp_path / "out" / "Tiny.md").read_text())
    assert [cells[0] for cells in table] == ["a", "b", "grey", "mean"]
    assert all(len(cells) == 6 for cells in table)
    assert float(table[0][3]) == pytest.approx(rows[0]["model_psnr"], abs=0.005)
    assert float(table[0][4]) == pytest.approx(rows[0]["model_ssim"], abs=0.00005)


def test_comparison_png_has_three_labelled_panels(hr_folder, tmp_path):
    evaluate.evaluate_model(NearestSR(in_channels=3), {"Tiny": hr_folder}, tmp_path / "out")
    png = read_image(tmp_path / "out" / "Tiny" / "a_compare.png")
    hr = read_image(hr_folder / "a.png")  # 40x52: smaller than the crop, so used whole
    panel_h, panel_w = hr.shape[0] * evaluate.CROP_ZOOM, hr.shape[1] * evaluate.CROP_ZOOM
    assert png.shape == (evaluate.LABEL_HEIGHT + panel_h,
                         3 * panel_w + 2 * evaluate.SEPARATOR_WIDTH, 3)
    hr_left = 2 * (panel_w + evaluate.SEPARATOR_WIDTH)
    np.testing.assert_array_equal(png[evaluate.LABEL_HEIGHT:, hr_left:], _nearest(hr))
    assert (png[:evaluate.LABEL_HEIGHT] < 128).any()  # label text was drawn
    assert (png[evaluate.LABEL_HEIGHT:, panel_w:panel_w + evaluate.SEPARATOR_WIDTH] == 255).all()


def test_comparison_png_of_y_model_shows_colour_and_grey_correctly(hr_folder, tmp_path):
    evaluate.evaluate_model(NearestSR(in_channels=1), {"Tiny": hr_folder}, tmp_path / "out")
    lr_y = {name: lr for name, lr, _ in load_test_set(hr_folder, SCALE, "y")}

    def model_panel(name):
        png = read_image(tmp_path / "out" / "Tiny" / f"{name}_compare.png")
        panel_w = (png.shape[1] - 2 * evaluate.SEPARATOR_WIDTH) // 3
        left = panel_w + evaluate.SEPARATOR_WIDTH
        return png[evaluate.LABEL_HEIGHT:, left:left + panel_w]

    zoomed_sr = {name: _nearest(_nearest(lr), evaluate.CROP_ZOOM) for name, lr in lr_y.items()}
    grey_panel = model_panel("grey")  # whole image: smaller than the crop
    np.testing.assert_array_equal(grey_panel, np.repeat(zoomed_sr["grey"][..., None], 3, axis=2))
    colour_panel = model_panel("b")
    assert not (colour_panel == colour_panel[..., :1]).all()
    y_error = to_y_uint8(colour_panel).astype(int) - zoomed_sr["b"]
    assert np.abs(y_error).max() <= 2  # Y from the model, up to RGB rounding


def test_detail_crop_finds_the_textured_region():
    img = np.full((300, 400), 100, np.uint8)
    img[150:200, 250:300] = _textured((50, 50), 3)
    top, left, height, width = evaluate.detail_crop_box(img)
    assert (height, width) == (evaluate.CROP_SIZE, evaluate.CROP_SIZE)
    assert top <= 150 and top + height >= 200 and left <= 250 and left + width >= 300


def test_no_crops_writes_only_tables(hr_folder, tmp_path):
    evaluate.evaluate_model(NearestSR(), {"Tiny": hr_folder}, tmp_path / "out", crops=False)
    assert _files_under(tmp_path / "out") == [Path("Tiny.csv"), Path("Tiny.md")]


# ---- evaluate CLI ----

def test_cli_prints_tables_and_writes_reports(hr_folder, tmp_path, patch_loader, capsys):
    patch_loader(NearestSR())
    out = tmp_path / "out"
    assert evaluate.main(["--ckpt", "m.pt", "--data", str(hr_folder), "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "### Tiny x2" in stdout and "| mean |" in stdout
    assert {"Tiny.md", "Tiny.csv", "Tiny"} <= {p.name for p in out.iterdir()}
    assert len(list((out / "Tiny").glob("*_compare.png"))) == 3


def test_cli_corrupt_image_exits_2_naming_it_and_writes_nothing(hr_folder, tmp_path,
                                                                 patch_loader, capsys):
    patch_loader(NearestSR())
    (hr_folder / "c_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    before = _files_under(tmp_path)
    out = tmp_path / "out"
    assert evaluate.main(["--ckpt", "m.pt", "--data", str(hr_folder), "--out", str(out)]) == 2
    stderr = capsys.readouterr().err.strip()
    assert stderr.startswith("error: ") and "c_broken.png" in stderr
    assert len(stderr.splitlines()) == 1
    assert _files_under(tmp_path) == before


def test_cli_failure_mid_run_leaves_no_partial_output(hr_folder, tmp_path, patch_loader,
                                                      monkeypatch, capsys):
    """An error after the first set was written still leaves nothing behind."""
    patch_loader(NearestSR())
    second = tmp_path / "Other" / "HR"
    write_png(second / "x.png", _textured((48, 48, 3), 4))

    def fail_on_x(model, lr):
        if lr.shape[0] == 24:  # x.png's LR; the first set's LR images have other heights
            raise OSError("disk full")
        return upscale.super_resolve(model, lr)

    monkeypatch.setattr(evaluate, "super_resolve", fail_on_x)
    before = _files_under(tmp_path)
    args = ["--ckpt", "m.pt", "--data", str(hr_folder), str(second), "--out", str(tmp_path / "o")]
    assert evaluate.main(args) == 2
    assert "disk full" in capsys.readouterr().err
    assert _files_under(tmp_path) == before


def test_cli_missing_folder_is_named(tmp_path, patch_loader, capsys):
    patch_loader(NearestSR())
    missing = tmp_path / "nowhere" / "HR"
    args = ["--ckpt", "m.pt", "--data", str(missing), "--out", str(tmp_path / "o")]
    assert evaluate.main(args) == 2
    assert str(missing) in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_rejects_two_sets_with_the_same_name(tmp_path, patch_loader, capsys):
    patch_loader(NearestSR())
    args = ["--ckpt", "m.pt", "--data", str(tmp_path / "a" / "Set5"), str(tmp_path / "Set5" / "HR"),
            "--out", str(tmp_path / "o")]
    assert evaluate.main(args) == 2
    assert "'Set5'" in capsys.readouterr().err


def test_module_cli_reports_bad_checkpoint_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "train.evaluate", "--ckpt", str(tmp_path / "none.pt"),
         "--out", str(tmp_path / "o")], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "none.pt" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("train_config, expected", [
    # trained on the colour photos but astronaut, validated (best.pth chosen) on astronaut
    ({"data": {"train": {"folders": None}, "val": {"split": 1}}}, ["camera", "coins", "moon"]),
    ({"data": {"train": {"folders": ["/data/T91"]}, "val": {"split": 1}}},
     ["astronaut", "chelsea", "coffee", "rocket", "motorcycle", "camera", "coins", "moon"]),
    ({}, ["camera", "coins", "moon"]),  # unknown training data: only the never-trained photos
])
def test_without_test_sets_the_photos_the_checkpoint_never_saw_are_used(
        monkeypatch, capsys, train_config, expected):
    monkeypatch.setattr(evaluate, "DEFAULT_TEST_SETS", {"Set5": Path("/nonexistent/Set5/HR")})
    with evaluate._test_sets(None, lambda: train_config) as test_sets:
        assert list(test_sets) == [evaluate.BUNDLED_SET]
        assert sorted(p.stem for p in test_sets[evaluate.BUNDLED_SET].glob("*.png")) == \
            sorted(expected)
    assert f"bundled held-out: {', '.join(expected)}" in capsys.readouterr().out


def test_set_names_come_from_the_folder():
    assert evaluate.set_name_of(Path("data/Set14/HR")) == "Set14"
    assert evaluate.set_name_of(Path("data/urban")) == "urban"


# ---- super_resolve / upscale ----

def test_run_model_clamps_and_rounds_float_outputs():
    class Offset(NearestSR):
        def forward(self, x):
            return super().forward(x) * 1.5 - 20.4

    lr = np.array([[0, 100], [200, 13]], np.uint8)
    sr = upscale.run_model(Offset(), lr)
    assert sr.dtype == np.uint8
    np.testing.assert_array_equal(sr, _nearest(np.array([[0, 130], [255, 0]], np.uint8)))


def test_run_model_rejects_a_wrong_output_shape():
    class Cropping(NearestSR):
        def forward(self, x):
            return super().forward(x)[..., :-1]

    with pytest.raises(ValueError, match="shape"):
        upscale.run_model(Cropping(), np.zeros((4, 4), np.uint8))


@pytest.mark.parametrize("in_channels, grey_input, expected_ndim",
                         [(1, True, 2), (1, False, 3), (3, True, 3), (3, False, 3)])
def test_super_resolve_colour_handling(in_channels, grey_input, expected_ndim):
    lr = _textured((10, 12) if grey_input else (10, 12, 3), 5)
    sr = upscale.super_resolve(NearestSR(in_channels=in_channels), lr)
    assert sr.shape[:2] == (20, 24) and sr.ndim == expected_ndim and sr.dtype == np.uint8
    if in_channels == 3:
        rgb = np.repeat(lr[..., None], 3, axis=2) if grey_input else lr
        np.testing.assert_array_equal(sr, _nearest(rgb))
    elif grey_input:
        np.testing.assert_array_equal(sr, _nearest(lr))
    else:
        # Y comes from the model; RGB rounding moves it by at most a level or two.
        y_error = to_y_uint8(sr).astype(int) - _nearest(to_y_uint8(lr))
        assert np.abs(y_error).max() <= 2


def test_upscale_cli_writes_one_png_per_input(tmp_path, patch_loader, capsys):
    patch_loader(NearestSR(in_channels=1))
    lr_folder = tmp_path / "lr"
    write_png(lr_folder / "photo.png", _textured((9, 11, 3), 6))
    write_png(lr_folder / "scan.png", _textured((7, 8), 7))
    out = tmp_path / "sr"
    assert upscale.main(["--ckpt", "m.pt", "--input", str(lr_folder), "--output", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["photo_x2.png", "scan_x2.png"]
    assert read_image(out / "photo_x2.png").shape == (18, 22, 3)
    np.testing.assert_array_equal(read_image(out / "scan_x2.png"),
                                  _nearest(read_image(lr_folder / "scan.png")))
    assert "wrote 2 image(s)" in capsys.readouterr().out


def test_upscale_cli_corrupt_input_writes_nothing(tmp_path, patch_loader, capsys):
    patch_loader(NearestSR(in_channels=3))
    lr_folder = tmp_path / "lr"
    write_png(lr_folder / "good.png", _textured((9, 11, 3), 6))
    (lr_folder / "zz_bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    out = tmp_path / "sr"
    out.mkdir()
    (out / "keep.txt").write_text("earlier output")
    before = _files_under(tmp_path)
    assert upscale.main(["--ckpt", "m.pt", "--input", str(lr_folder), "--output", str(out)]) == 2
    stderr = capsys.readouterr().err.strip()
    assert stderr.startswith("error: ") and "zz_bad.jpg" in stderr and len(stderr.splitlines()) == 1
    assert _files_under(tmp_path) == before


def test_upscale_rejects_inputs_that_map_to_the_same_output(tmp_path):
    lr_folder = tmp_path / "lr"
    write_png(lr_folder / "a.png", _textured((9, 11), 6))
    write_png(lr_folder / "a.bmp", _textured((9, 11), 6))
    with pytest.raises(ConfigError, match="a_x2.png"):
        upscale.upscale_folder(NearestSR(), lr_folder, tmp_path / "sr")
