"""PSNR cost of the hardware constraints of the deployable model, on Set5.

    python -m benchmarks.constraint_cost --config configs/bench_x2.yaml --iters 1500

Trains the deployable default and one variant per constraint for the same number of
iterations (same data order and seed), evaluates each best checkpoint on Set5 and
writes ``results/constraint_cost.md/.json``. Each variant loosens or tightens one
integer-path constraint the export relies on (residual and branch bit widths, the
integer bicubic skip, the long skip), so the table reads as "what this constraint
costs". Needs ../shared/data.
"""
import argparse
from pathlib import Path

from benchmarks.common import RESULTS_DIR, machine_info, machine_line, write_result
from benchmarks.quality_budget import budget_overrides, read_curve, summary_rows
from train.checkpoint import load_model
from train.config import load_config, run_dir
from train.evaluate import DEFAULT_TEST_SETS, evaluate_model
from train.train import train

# name -> (model overrides, what the variant changes)
VARIANTS = {
    "deployable": ({}, "default: int8 residual stream, int8 branches, bicubic skip"),
    "res_bits_6": ({"res_bits": 6}, "residual stream int6 instead of int8"),
    "branch_bits_4": ({"branch_bits": 4}, "block branches int4 instead of int8"),
    "nearest_skip": ({"global_skip": "nearest"}, "nearest-neighbour global skip instead of "
                                                 "the integer bicubic conv"),
    "no_long_skip": ({"long_skip": False}, "no long skip around the body"),
}


def run_variant(config_path, name, model_overrides, iters, out_root):
    base = load_config(config_path)
    config = load_config(config_path, {
        "name": f"constraint_{name}", "out_root": str(out_root), **budget_overrides(iters),
        "model": {**base["model"], **model_overrides}})
    # an interrupted variant resumes; a finished one only re-evaluates
    train(config, resume=(run_dir(config) / "last.pth").is_file())
    minutes = read_curve(run_dir(config) / "val_log.csv")[0][-1]
    model = load_model(run_dir(config) / "best.pth")
    sets = {"Set5": DEFAULT_TEST_SETS["Set5"]}
    means = summary_rows(evaluate_model(model, sets, RESULTS_DIR / f"constraint_{name}_eval",
                                        crops=False))["Set5"]
    return {"minutes": minutes, **means}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--iters", type=int, default=1500)
    parser.add_argument("--out", default="runs/bench", help="out_root of the training runs")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS),
                        help="a subset (deployable is always included, as the reference)")
    args = parser.parse_args(argv)
    out_root = Path(args.out).resolve()
    names = ["deployable", *(n for n in args.variants if n != "deployable")]
    results = {name: run_variant(args.config, name, VARIANTS[name][0], args.iters, out_root)
               for name in names}
    reference = results["deployable"]["model_psnr"]
    info = machine_info()
    rows = [f"| {name} | {VARIANTS[name][1]} | {r['model_psnr']:.2f} / {r['model_ssim']:.4f} | "
            f"{r['model_psnr'] - reference:+.2f} | {r['minutes']:.1f} |"
            for name, r in results.items()]
    markdown = "\n".join([
        "# PSNR cost of the hardware constraints (Set5, Y)", "",
        f"Measured {machine_line(info)}.",
        f"Config `{args.config}`, {args.iters} iterations each (cosine schedule), same seed "
        "and data order; best validation checkpoint; bicubic "
        f"{results['deployable']['bicubic_psnr']:.2f} dB.", "",
        "| variant | change | Set5 PSNR / SSIM | vs deployable (dB) | train min |",
        "|---|---|---|---|---|", *rows, "",
        f"Short runs: a difference of a few tenths of a dB after {args.iters} iterations is "
        "not a verdict on the constraint; longer budgets may rank the variants differently.",
        ""])
    print(markdown)
    print(write_result("constraint_cost", markdown, {"machine": info, "iters": args.iters,
                                                     "variants": results}))


if __name__ == "__main__":
    main()
