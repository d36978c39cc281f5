"""Self-ensemble gain ("+" rows): a checkpoint on Set5 and Set14, alone and as the mean of
its 8 flipped/rotated runs (train/ensemble.py).

    python -m benchmarks.self_ensemble --ckpt runs/bench/frb_ablation_srb_dbt/best.pth

Writes ``results/self_ensemble_<run name>.md/.json``. Needs ../shared/data.
"""
import argparse
import time

from benchmarks.common import RESULTS_DIR, machine_info, machine_line, write_result
from train.checkpoint import load_checkpoint, load_model
from train.evaluate import DEFAULT_TEST_SETS, evaluate_model

KEYS = ("bicubic_psnr", "bicubic_ssim", "model_psnr", "model_ssim", "ensemble_psnr",
        "ensemble_ssim")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ckpt", required=True)
    args = parser.parse_args(argv)
    checkpoint = load_checkpoint(args.ckpt)
    name = checkpoint["config"]["name"]
    started = time.perf_counter()
    rows = evaluate_model(load_model(args.ckpt), DEFAULT_TEST_SETS,
                          RESULTS_DIR / f"self_ensemble_{name}_eval", crops=False, ensemble=True)
    minutes = (time.perf_counter() - started) / 60
    means = {s: {k: sum(r[k] for r in rows if r["set"] == s) / sum(r["set"] == s for r in rows)
                 for k in KEYS} for s in DEFAULT_TEST_SETS}
    info = machine_info()
    table = [f"| {s} | {m['bicubic_psnr']:.2f} / {m['bicubic_ssim']:.4f} | "
             f"{m['model_psnr']:.2f} / {m['model_ssim']:.4f} | "
             f"{m['ensemble_psnr']:.2f} / {m['ensemble_ssim']:.4f} | "
             f"{m['ensemble_psnr'] - m['model_psnr']:+.2f} |" for s, m in means.items()]
    markdown = "\n".join([
        f"# Self-ensemble of `{name}` (iteration {checkpoint['iteration']}), Y channel", "",
        f"Measured {machine_line(info)}; evaluation with the ensemble took {minutes:.1f} min.",
        "", "| set | bicubic | model | model+ (8 transforms) | gain (dB) |",
        "|---|---|---|---|---|", *table, ""])
    print(markdown)
    print(write_result(f"self_ensemble_{name}", markdown,
                       {"machine": info, "run": name, "iteration": checkpoint["iteration"],
                        "sets": means}))


if __name__ == "__main__":
    main()
