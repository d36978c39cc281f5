"""Quality after a fixed CPU training budget: PSNR/SSIM vs bicubic on Set5/Set14, and the curve.

    python -m benchmarks.quality_budget --config configs/bench_x2.yaml --minutes 60
    python -m benchmarks.quality_budget --config configs/bench_x2.yaml --iters 4000

With ``--minutes``, measures the training speed of the config on this machine first and
sets ``train.iters`` so the run fits the budget; ``--iters`` fixes the count instead (a
budget that does not depend on the machine's load). The LR schedule spans the whole
run. Trains, evaluates the best checkpoint (chosen on the config's validation split,
never on a test set) on the shared test sets with the standard protocol and writes
``results/quality_<name>.md/.json`` and ``results/quality_<name>.png`` (validation PSNR
vs minutes). Needs ../shared/data (the "291" training set and Set5/Set14).
"""
import argparse
import csv
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from benchmarks.common import (RESULTS_DIR, machine_info, machine_line,  # noqa: E402
                               repo_relative, write_result)
from benchmarks.train_speed import make_step, random_batch, time_steps  # noqa: E402
from train.archs import build_model  # noqa: E402
from train.checkpoint import in_channels_of, load_model  # noqa: E402
from train.config import load_config, run_dir  # noqa: E402
from train.evaluate import DEFAULT_TEST_SETS, evaluate_model  # noqa: E402
from train.train import train  # noqa: E402

VALIDATIONS = 20  # validation points on the curve
SPEED_MARGIN = 0.93  # validation and checkpoints take the rest of the budget


def iterations_for(config, minutes):
    """Iterations of this config that fit ``minutes`` of training on this machine."""
    torch.manual_seed(0)
    model = build_model(config["model"], config["scale"], in_channels_of(config["color"]))
    step = make_step(model.train(), random_batch(config))
    seconds = time_steps({"model": step}, rounds=3, per_round=5)["model"]
    return int(minutes * 60 / seconds * SPEED_MARGIN), seconds


def budget_overrides(iters):
    return {"train.iters": iters, "train.val_every": max(1, iters // VALIDATIONS),
            "train.ckpt_every": max(1, iters // VALIDATIONS),
            "train.scheduler": {"type": "CosineAnnealingLR", "T_max": iters, "eta_min": 1e-6}}


def read_curve(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [float(r["seconds"]) / 60 for r in rows], [float(r["psnr"]) for r in rows]


def plot_curve(curve, title, path):
    minutes, psnr = curve
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    ax.plot(minutes, psnr, marker="o", label="model (validation split)")
    ax.set_xlabel("training minutes (2 CPU cores)")
    ax.set_ylabel("PSNR Y (dB)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def summary_rows(rows):
    """Mean bicubic/model PSNR and SSIM per test set."""
    by_set = {}
    for row in rows:
        by_set.setdefault(row["set"], []).append(row)
    keys = ("bicubic_psnr", "bicubic_ssim", "model_psnr", "model_ssim")
    return {name: {k: sum(r[k] for r in rs) / len(rs) for k in keys} for name, rs in by_set.items()}


def train_and_evaluate(config_path, overrides, iters, out_root):
    """Train ``config_path`` with ``overrides`` for ``iters`` (cosine schedule; an interrupted
    run resumes, a finished one is only evaluated), then evaluate its best.pth on the test
    sets into ``results/<name>_eval``: (run folder, {"minutes": training minutes, <set>:
    mean bicubic and model PSNR/SSIM})."""
    config = load_config(config_path, {"out_root": str(out_root), **budget_overrides(iters),
                                       **overrides})
    train(config, resume=(run_dir(config) / "last.pth").is_file())
    minutes = read_curve(run_dir(config) / "val_log.csv")[0][-1]
    model = load_model(run_dir(config) / "best.pth")
    means = summary_rows(evaluate_model(model, DEFAULT_TEST_SETS,
                                        RESULTS_DIR / f"{config['name']}_eval", crops=False))
    return run_dir(config), {"minutes": minutes, **means}


def validation_text(config):
    val = config["data"]["val"]
    if val["folder"] is not None:
        return f"folder {repo_relative(val['folder'])}"
    source = repo_relative(val["split_from"]) if val["split_from"] else "the training folders"
    return f"{val['split']} image{'s' if val['split'] > 1 else ''} held out of {source}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, default=60.0)
    budget.add_argument("--iters", type=int, help="a fixed number of iterations instead")
    parser.add_argument("--out", default="runs/bench", help="out_root of the training run")
    args = parser.parse_args(argv)
    config = load_config(args.config, {"out_root": str(Path(args.out).resolve())})
    if args.iters:
        iters, step_seconds, budget_text = args.iters, None, f"{args.iters} iterations"
    else:
        iters, step_seconds = iterations_for(config, args.minutes)
        budget_text = f"{args.minutes:g} minutes"
    config = load_config(args.config, {"out_root": str(Path(args.out).resolve()),
                                       **budget_overrides(iters)})
    started = time.perf_counter()
    summary = train(config)
    train_minutes = (time.perf_counter() - started) / 60
    model = load_model(run_dir(config) / "best.pth")
    test_sets = {k: v for k, v in DEFAULT_TEST_SETS.items() if v.is_dir()}
    rows = evaluate_model(model, test_sets, RESULTS_DIR / f"quality_{config['name']}_eval",
                          crops=True)
    means = summary_rows(rows)
    curve = read_curve(run_dir(config) / "val_log.csv")
    png = RESULTS_DIR / f"quality_{config['name']}.png"
    plot_curve(curve, f"{config['name']}: x{config['scale']} validation during training", png)
    info = machine_info()
    table = [f"| {name} | {m['bicubic_psnr']:.2f} / {m['bicubic_ssim']:.4f} | "
             f"{m['model_psnr']:.2f} / {m['model_ssim']:.4f} | "
             f"{m['model_psnr'] - m['bicubic_psnr']:+.2f} |" for name, m in means.items()]
    markdown = "\n".join([
        f"# Quality after {budget_text} of CPU training: {config['name']}",
        "",
        f"Measured {machine_line(info)}.",
        f"Config `{args.config}` (model `{config['model']}`, x{config['scale']}, "
        f"{config['color']}); {summary['iters']} iterations"
        + (f" ({step_seconds:.3f} s/step measured first)" if step_seconds else "")
        + f" in {train_minutes:.1f} min including validation.",
        f"best.pth chosen on the validation split ({validation_text(config)}); Set5 and "
        "Set14 are only tested. Protocol: Y channel (BT.601), `scale` border pixels "
        "shaved, HR modcropped.",
        "",
        "| test set | bicubic PSNR / SSIM | model PSNR / SSIM | gain (dB) |",
        "|---|---|---|---|",
        *table,
        "",
        f"![validation PSNR vs training minutes]({png.name})",
        "",
    ])
    path = write_result(f"quality_{config['name']}", markdown, {
        "machine": info, "config": config, "iters": summary["iters"],
        "train_minutes": train_minutes, "means": means,
        "curve_minutes_psnr": list(zip(*curve))})
    print(markdown)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
