"""A short training run made once and shared, as the notebooks use it.

``trained(config)`` returns the run folder of a config, training it first when it is
absent or unfinished (a finished run is reused, an interrupted one resumes), so each
notebook runs on its own or after the one before it. ``evaluate_held_out`` measures
the run on images it neither trained nor validated on; the plots draw what a run wrote.
"""
import csv
import shutil
from pathlib import Path

import matplotlib.pyplot as plt

from train import evaluate
from train.checkpoint import load_checkpoint
from train.config import load_config, run_dir
from train.data.image_io import read_image
from train.registry import ConfigError
from train.train import train

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_CONFIG = REPO_ROOT / "configs" / "notebook_x2.yaml"


def trained(config_path=NOTEBOOK_CONFIG) -> Path:
    """The run folder of ``config_path``, trained (or resumed) to ``train.iters`` first
    when it is not there yet."""
    config = load_config(config_path)
    folder = run_dir(config)
    if not is_finished(folder, config["train"]["iters"]):
        train(config, resume=(folder / "last.pth").is_file())
    return folder


def is_finished(folder, iters) -> bool:
    last, best = Path(folder) / "last.pth", Path(folder) / "best.pth"
    return best.is_file() and last.is_file() and load_checkpoint(last)["iteration"] >= iters


def evaluate_held_out(run_folder, out_dir) -> Path:
    """PSNR/SSIM of the run's best checkpoint and of bicubic, with comparison crops
    (``python -m train.evaluate``: the shared Set5 and Set14 when present, else the
    bundled photos the run neither trained nor validated on) in ``out_dir``, which is replaced (evaluate
    adds to a folder, and crops of other test sets would be left in it)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    if evaluate.main(["--ckpt", str(Path(run_folder) / "best.pth"), "--out", str(out_dir)]):
        raise ConfigError(f"evaluation of {run_folder} failed (see the error above)")
    return Path(out_dir)


def read_log(path) -> dict:
    """A run's CSV log as ``{column: [float]}``."""
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {})}


def plot_training_curve(run_folder, path) -> Path:
    """Training loss and validation PSNR against iterations."""
    losses = read_log(Path(run_folder) / "train_log.csv")
    val = read_log(Path(run_folder) / "val_log.csv")
    fig, loss_ax = plt.subplots(figsize=(6, 3.5), dpi=110)
    loss_ax.plot(losses["iter"], losses["loss"], color="tab:blue", label="training L1 loss")
    loss_ax.set_xlabel("iteration")
    loss_ax.set_ylabel("L1 loss (pixels / 255)", color="tab:blue")
    psnr_ax = loss_ax.twinx()
    psnr_ax.plot(val["iter"], val["psnr"], color="tab:red", marker="o", label="validation PSNR")
    psnr_ax.set_ylabel("validation PSNR (dB)", color="tab:red")
    loss_ax.set_title(f"training run {Path(run_folder).name}")
    loss_ax.grid(alpha=0.3)
    return save_figure(fig, path)


def plot_comparisons(eval_dir, path, count=2) -> Path:
    """The first ``count`` comparison crops (bicubic | model | HR) of an evaluation."""
    crops = sorted(Path(eval_dir).glob("*/*_compare.png"))[:count]
    if not crops:
        raise ConfigError(f"{eval_dir} holds no comparison crops")
    fig, axes = plt.subplots(len(crops), 1, figsize=(8, 3 * len(crops)), dpi=110, squeeze=False)
    for ax, crop in zip(axes[:, 0], crops):
        ax.imshow(read_image(crop))
        ax.set_title(f"{crop.parent.name}/{crop.stem.removesuffix('_compare')}", fontsize=9)
        ax.axis("off")
    return save_figure(fig, path)


def save_figure(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_images(images: dict, path, title="") -> Path:
    """``{label: uint8 image}`` side by side at their pixel grids (grey for 2-D)."""
    fig, axes = plt.subplots(1, len(images), figsize=(3.2 * len(images), 3.6), dpi=110,
                             squeeze=False)
    for ax, (label, img) in zip(axes[0], images.items()):
        ax.imshow(img, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(f"{label} ({img.shape[1]}x{img.shape[0]})", fontsize=8)
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path)
