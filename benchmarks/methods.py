"""Seed methods (binsr, BTM, BBCU) in paper and deployable mode at one CPU budget.

    python -m benchmarks.methods --scale 2 --iters 2000

Trains ``configs/<method>_x<scale>_cpu.yaml`` in each mode the method supports, every
run for the same number of iterations (same seed and data order, cosine schedule),
evaluates each best checkpoint (chosen on the recipe's held-out validation images, not
on a test set) on Set5 and Set14, and writes ``results/methods_x<scale>.md/.json``
next to bicubic and the published numbers (full models, DIV2K, 300k iterations: a
reference point, not a target for a CPU budget). Needs ../shared/data.
"""
import argparse
from pathlib import Path

from benchmarks.common import machine_info, machine_line, write_result
from benchmarks.quality_budget import budget_overrides, read_curve, summary_rows
from train.checkpoint import load_model
from train.config import REPO_ROOT, load_config, run_dir
from train.evaluate import DEFAULT_TEST_SETS, evaluate_model
from train.train import train

# recipe stem -> (name, modes)
METHODS = {
    "binsr_edsr": ("binary EDSR (binsr)", ("paper", "deployable")),
    "binsr_srresnet": ("binary SRResNet (binsr)", ("paper", "deployable")),
    "btm": ("BTM", ("paper", "deployable")),
    "bbcu_l": ("BBCU-L", ("paper", "deployable")),
    "bbcu_m": ("BBCU-M", ("paper",)),
}
# published Set5 / Set14 PSNR (Y) of the full models, as quoted in issue 11
PUBLISHED = {
    2: {"binsr_edsr": (37.26, 32.83), "binsr_srresnet": (36.35, 32.22), "btm": (37.22, 32.93),
        "bbcu_l": (37.58, 33.18), "bbcu_m": (37.44, 33.04)},
    4: {"binsr_edsr": (30.89, 27.79), "bbcu_l": (31.79, 28.38)},
}
TEST_SETS = ("Set5", "Set14")
VALIDATIONS = 4  # validation points per run


def recipe_path(method, scale):
    return REPO_ROOT / "configs" / f"{method}_x{scale}_cpu.yaml"


def run_method(method, mode, scale, iters, out_root):
    path = recipe_path(method, scale)
    base = load_config(path)
    config = load_config(path, {
        "name": f"methods_{method}_{mode}_x{scale}", "out_root": str(out_root),
        **budget_overrides(iters), "train.val_every": max(1, iters // VALIDATIONS),
        "train.ckpt_every": max(1, iters // VALIDATIONS),
        "model": {**base["model"], "mode": mode}})
    # an interrupted run resumes; a finished one only re-evaluates
    train(config, resume=(run_dir(config) / "last.pth").is_file())
    minutes = read_curve(run_dir(config) / "val_log.csv")[0][-1]
    model = load_model(run_dir(config) / "best.pth")
    sets = {name: DEFAULT_TEST_SETS[name] for name in TEST_SETS}
    means = summary_rows(evaluate_model(model, sets, run_dir(config) / "eval", crops=False))
    return {"method": method, "mode": mode, "minutes": minutes, **means}


def markdown(results, scale, iters, info):
    published = PUBLISHED[scale]
    bicubic = {name: results[0][name]["bicubic_psnr"] for name in TEST_SETS}
    rows = []
    for r in results:
        paper = published.get(r["method"])
        cells = " | ".join(f"{r[n]['model_psnr']:.2f} / {r[n]['model_ssim']:.4f}"
                           for n in TEST_SETS)
        quoted = " / ".join(f"{p:.2f}" for p in paper) if paper else "-"
        rows.append(f"| {METHODS[r['method']][0]} | {r['mode']} | {cells} | {quoted} | "
                    f"{r['minutes']:.1f} |")
    return "\n".join([
        f"# Seed methods, x{scale}, one CPU budget (Y channel)", "",
        f"Measured {machine_line(info)}.",
        f"Each recipe `configs/<method>_x{scale}_cpu.yaml` (32 channels, 4 blocks, T91), "
        f"{iters} iterations (cosine schedule), checkpoint chosen on 10 T91 images held out of training; "
        f"bicubic Set5 {bicubic['Set5']:.2f} dB, Set14 {bicubic['Set14']:.2f} dB.", "",
        "| method | mode | Set5 PSNR / SSIM | Set14 PSNR / SSIM | published Set5 / Set14 "
        "(full model, DIV2K) | train min |",
        "|---|---|---|---|---|---|", *rows, "",
        f"{iters} iterations of a reduced model say little about the methods' ranking; the "
        "published column is the full models after 300k iterations on DIV2K.", ""])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, choices=sorted(PUBLISHED), default=2)
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--out", default="runs/methods", help="out_root of the training runs")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    args = parser.parse_args(argv)
    out_root = Path(args.out).resolve()
    results = [run_method(method, mode, args.scale, args.iters, out_root)
               for method in args.methods for mode in METHODS[method][1]]
    info = machine_info()
    text = markdown(results, args.scale, args.iters, info)
    print(text)
    print(write_result(f"methods_x{args.scale}", text,
                       {"machine": info, "iters": args.iters, "scale": args.scale,
                        "published": PUBLISHED[args.scale], "runs": results}))


if __name__ == "__main__":
    main()
