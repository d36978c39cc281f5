"""Benchmark an SR model against bicubic on SR test sets.

``python -m train.evaluate --ckpt CKPT [--data HR_FOLDER ...] --out DIR [--ensemble]``

Without ``--data``: the shared Set5 and Set14, else (no ``../shared``) the bundled photos
the checkpoint neither trained nor validated on (``bundled_heldout``: the grey ones as
RGB, and the colour ones when it trained on folders), named on stdout.

Per test set writes ``<out>/<set>.md`` and ``<out>/<set>.csv`` (per-image and mean
PSNR/SSIM of bicubic and of the model) and ``<out>/<set>/<image>_compare.png``
(bicubic | model | HR on a detailed crop).

Protocol: HR modcropped to the scale; LR from ``../LR_bicubic/X{s}`` when present,
else MATLAB bicubic of HR; metrics on the Y channel with ``scale`` border pixels
shaved. ``--ensemble`` adds the self-ensemble of the model (train/ensemble.py, the
papers' "+" rows) as two more columns. All rows are uint8 images measured the same way:

* Y models: model and ``imresize(lr_y)`` against the HR Y plane (uint8 Y from
  ``load_test_set(color='y')``; a grey file's pixels are its Y). Rounding bicubic Y
  to uint8 puts the Set5 x2 bicubic row about 0.03 dB below the published 33.66 dB
  (which keeps bicubic in float).
* RGB models: model and ``imresize(lr_rgb)`` against HR RGB, Y taken as BasicSR does.
"""
import csv
import io
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw
from skimage import data as skdata
from tqdm import tqdm

from train import checkpoint
from train.cli import ArgumentParser, command
from train.data.datasets import default_images, load_test_set
from train.data.image_io import with_bicubic_chroma, write_png
from train.data.matlab_bicubic import imresize
from train.ensemble import SelfEnsemble
from train.metrics import calculate_psnr, calculate_ssim
from train.registry import ConfigError
from train.upscale import staged_output, super_resolve

SHARED_TEST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "test"
DEFAULT_TEST_SETS = {name: SHARED_TEST_DIR / name / "HR" for name in ("Set5", "Set14")}
BUNDLED_SET = "bundled_heldout"

COLUMNS = ("image", "bicubic_psnr", "bicubic_ssim", "model_psnr", "model_ssim", "psnr_gain")
_HEADERS = ("image", "bicubic PSNR", "bicubic SSIM", "model PSNR", "model SSIM", "gain (dB)")
ENSEMBLE_COLUMNS = ("ensemble_psnr", "ensemble_ssim")
_ENSEMBLE_HEADERS = ("model+ PSNR", "model+ SSIM")
MEAN_ROW_NAME = "mean"

CROP_SIZE = 128  # HR pixels per side of the comparison crop
CROP_ZOOM = 2  # nearest-neighbour zoom so single pixels stay visible
SEPARATOR_WIDTH = 4
LABEL_HEIGHT = 16


class EvalImage(NamedTuple):
    """One test image: the pair the model sees (Y or RGB) and the RGB pair for the PNG."""
    name: str
    lr: np.ndarray
    hr: np.ndarray
    lr_rgb: np.ndarray
    hr_rgb: np.ndarray


def load_test_images(folder, model):
    """``[EvalImage]`` of an HR folder in the colour the model takes."""
    rgb_pairs = load_test_set(folder, model.scale, "rgb")
    if model.in_channels == 3:
        return [EvalImage(name, lr, hr, lr, hr) for name, lr, hr in rgb_pairs]
    y_pairs = load_test_set(folder, model.scale, "y")
    return [EvalImage(name, lr, hr, lr_rgb, hr_rgb)
            for (name, lr, hr), (_, lr_rgb, hr_rgb) in zip(y_pairs, rgb_pairs)]


def evaluate_model(model, test_sets, out_dir, crops=True, ensemble=False):
    """Evaluate ``model`` and bicubic on each ``{set name: HR folder}``; write reports.

    Returns one dict per image: ``set`` plus the ``COLUMNS`` values (and the
    ``ENSEMBLE_COLUMNS`` with ``ensemble``). All images are read before any work, and
    ``out_dir`` receives files only if everything succeeds.
    """
    loaded = {name: load_test_images(folder, model) for name, folder in test_sets.items()}
    rows = []
    with staged_output(out_dir) as staging:
        for set_name, images in loaded.items():
            crop_dir = staging / set_name if crops else None
            set_rows = [_evaluate_image(model, set_name, image, crop_dir, ensemble)
                        for image in tqdm(images, desc=set_name, unit="img")]
            (staging / f"{set_name}.md").write_text(markdown_report(set_name, model, set_rows))
            (staging / f"{set_name}.csv").write_text(csv_report(set_rows))
            rows.extend(set_rows)
    return rows


def _evaluate_image(model, set_name, image, crop_dir, ensemble=False):
    """Metrics row for one ``EvalImage``; also writes its comparison PNG into ``crop_dir``."""
    scale = model.scale
    bicubic = imresize(image.lr, scale=scale)
    sr = super_resolve(model, image.lr)
    row = {"set": set_name, "image": image.name,
           "bicubic_psnr": calculate_psnr(bicubic, image.hr, scale),
           "bicubic_ssim": calculate_ssim(bicubic, image.hr, scale),
           "model_psnr": calculate_psnr(sr, image.hr, scale),
           "model_ssim": calculate_ssim(sr, image.hr, scale)}
    row["psnr_gain"] = row["model_psnr"] - row["bicubic_psnr"]
    if ensemble:
        sr_plus = super_resolve(SelfEnsemble(model), image.lr)
        row["ensemble_psnr"] = calculate_psnr(sr_plus, image.hr, scale)
        row["ensemble_ssim"] = calculate_ssim(sr_plus, image.hr, scale)
    if crop_dir is not None:
        bicubic_rgb = bicubic if bicubic.ndim == 3 else imresize(image.lr_rgb, scale=scale)
        labels = (f"bicubic {row['bicubic_psnr']:.2f} dB", f"model {row['model_psnr']:.2f} dB",
                  "HR")
        panels = (bicubic_rgb, _as_display_rgb(sr, image), image.hr_rgb)
        write_png(crop_dir / f"{image.name}_compare.png", comparison_image(panels, labels))
    return row


def _as_display_rgb(sr, image):
    """RGB view of a model output: Y outputs get the bicubic chroma, grey stays grey."""
    if sr.ndim == 3:
        return sr
    # load_test_set uses a grey file's pixels as its Y and replicates them for RGB, so
    # such a file shows up as Y == every RGB channel. (For a colour file that equality
    # needs every pixel in 110..116, where Y ~= grey and both views look the same.)
    if (image.hr_rgb == image.hr[..., None]).all():
        return np.repeat(sr[..., None], 3, axis=2)
    return with_bicubic_chroma(sr, image.lr_rgb)


def detail_crop_box(img, size=CROP_SIZE):
    """``(top, left, height, width)`` of the size x size window with most gradient energy."""
    grey = img.astype(np.float64)
    if grey.ndim == 3:
        grey = grey.mean(axis=2)
    energy = np.zeros_like(grey)
    energy[:, 1:] += np.diff(grey, axis=1) ** 2
    energy[1:, :] += np.diff(grey, axis=0) ** 2
    height, width = min(size, grey.shape[0]), min(size, grey.shape[1])
    # Window sums for every position at once from a zero-padded integral image.
    integral = np.pad(energy.cumsum(axis=0).cumsum(axis=1), ((1, 0), (1, 0)))
    window_sums = (integral[height:, width:] - integral[:-height, width:]
                   - integral[height:, :-width] + integral[:-height, :-width])
    top, left = np.unravel_index(np.argmax(window_sums), window_sums.shape)
    return int(top), int(left), height, width


def comparison_image(panels, labels):
    """Same-size RGB panels cropped to the HR's (last panel's) most detailed region.

    Each crop is zoomed with nearest neighbour, labelled above, and separated by a
    white bar.
    """
    top, left, height, width = detail_crop_box(panels[-1])
    crops = [p[top:top + height, left:left + width].repeat(CROP_ZOOM, 0).repeat(CROP_ZOOM, 1)
             for p in panels]
    panel_h, panel_w = crops[0].shape[:2]
    canvas_w = len(crops) * panel_w + (len(crops) - 1) * SEPARATOR_WIDTH
    canvas = Image.new("RGB", (canvas_w, LABEL_HEIGHT + panel_h), "white")
    draw = ImageDraw.Draw(canvas)
    for index, (crop, label) in enumerate(zip(crops, labels)):
        x = index * (panel_w + SEPARATOR_WIDTH)
        canvas.paste(Image.fromarray(crop), (x, LABEL_HEIGHT))
        draw.text((x + 2, 2), label, fill="black")
    return np.asarray(canvas)


def _columns(rows):
    """``COLUMNS``, plus the ensemble columns when the rows hold them."""
    return COLUMNS + ENSEMBLE_COLUMNS if ENSEMBLE_COLUMNS[0] in rows[0] else COLUMNS


def _mean_row(rows):
    return {"image": MEAN_ROW_NAME, **{key: float(np.mean([row[key] for row in rows]))
                                       for key in _columns(rows)[1:]}}


def _formatted(row, psnr_digits, ssim_digits):
    cells = [row["image"]]
    for key in _columns([row])[1:]:
        digits = ssim_digits if key.endswith("ssim") else psnr_digits
        cells.append(f"{row[key]:+.{digits}f}" if key == "psnr_gain" else f"{row[key]:.{digits}f}")
    return cells


def markdown_report(set_name, model, rows):
    """Heading plus a Markdown table of ``rows`` and their mean."""
    headers = _HEADERS + _ENSEMBLE_HEADERS if len(_columns(rows)) > len(COLUMNS) else _HEADERS
    lines = [f"### {set_name} x{model.scale} (Y channel, {model.scale}-pixel border shaved, "
             f"{'Y' if model.in_channels == 1 else 'RGB'} model)", "",
             "| " + " | ".join(headers) + " |",
             "|---" + "|---:" * (len(headers) - 1) + "|"]
    for row in [*rows, _mean_row(rows)]:
        lines.append("| " + " | ".join(_formatted(row, 2, 4)) + " |")
    return "\n".join(lines) + "\n"


def csv_report(rows):
    """CSV with ``COLUMNS``: one line per image, then the mean."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(_columns(rows))
    for row in [*rows, _mean_row(rows)]:
        writer.writerow(_formatted(row, 4, 6))
    return text.getvalue()


def set_name_of(folder):
    """``Set5`` for ``.../Set5/HR``, else the folder's own name."""
    folder = Path(folder)
    return folder.parent.name if folder.name.upper() == "HR" else folder.name


def _named_folders(folders):
    test_sets = {}
    for folder in folders:
        name = set_name_of(folder)
        if name in test_sets:
            raise ConfigError(f"test sets {test_sets[name]} and {folder} share the name {name!r}")
        test_sets[name] = Path(folder)
    return test_sets


# Bundled grey photos no config trains on (SRPatchDataset takes the colour ones).
NEVER_TRAINED_PHOTOS = {"camera": skdata.camera, "coins": skdata.coins, "moon": skdata.moon}


def unseen_bundled_photos(train_config):
    """``[(name, uint8 RGB)]``: the bundled photos a run of ``train_config`` neither
    trained on nor chose its checkpoint on: the grey photos (as RGB), and the colour
    photos too when it trained on folders. A run on the colour photos trained on each of
    them or validated on it (its held-out split), so none of them is a test image."""
    trained_on_bundled = train_config.get("data", {}).get("train", {}).get("folders") is None
    photos = [] if trained_on_bundled else default_images()
    return photos + [(name, np.repeat(load()[..., None], 3, axis=2))
                     for name, load in NEVER_TRAINED_PHOTOS.items()]


@contextmanager
def _test_sets(folders, train_config=dict):
    """``--data`` folders; else the shared Set5/Set14; else a temporary set of the bundled
    photos the checkpoint neither trained nor validated on (``train_config()`` is its config)."""
    if folders:
        yield _named_folders(folders)
        return
    shared = {name: folder for name, folder in DEFAULT_TEST_SETS.items() if folder.is_dir()}
    if shared:
        yield shared
        return
    photos = unseen_bundled_photos(train_config())
    print(f"no --data and no {SHARED_TEST_DIR}: evaluating on the bundled photos the "
          f"checkpoint neither trained nor validated on (bundled held-out: "
          f"{', '.join(name for name, _ in photos)})")
    with tempfile.TemporaryDirectory() as tmp:
        for name, img in photos:
            write_png(Path(tmp) / f"{name}.png", img)
        yield {BUNDLED_SET: Path(tmp)}


def parse_args(argv=None):
    parser = ArgumentParser(prog="python -m train.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", required=True, type=Path, help="trained model checkpoint")
    parser.add_argument("--data", nargs="+", type=Path, metavar="FOLDER",
                        help="HR test-set folders (default: shared Set5/HR and Set14/HR, "
                             "else the bundled photos the checkpoint neither trained nor validated on)")
    parser.add_argument("--out", required=True, type=Path, help="folder for the reports")
    parser.add_argument("--no-crops", action="store_true", help="skip the comparison PNGs")
    parser.add_argument("--ensemble", action="store_true",
                        help="also evaluate the self-ensemble (8 flips/rotations, averaged)")
    return parser.parse_args(argv)


@command
def main(argv=None):
    args = parse_args(argv)
    model = checkpoint.load_model(args.ckpt)
    train_config = lambda: checkpoint.load_checkpoint(args.ckpt)["config"]  # noqa: E731
    with _test_sets(args.data, train_config) as test_sets:
        rows = evaluate_model(model, test_sets, args.out, crops=not args.no_crops,
                              ensemble=args.ensemble)
    for set_name in dict.fromkeys(row["set"] for row in rows):
        print(markdown_report(set_name, model, [row for row in rows if row["set"] == set_name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
