"""Bicubic baselines on an SR test set, in the three pipelines the literature mixes.

    python -m benchmarks.bicubic_baseline            # ../shared/data/test/Set5/HR, x2 x3 x4

Pipelines (all MATLAB bicubic, BasicSR PSNR/SSIM on Y with ``scale`` pixels shaved):
- ``rgb``: RGB LR upscaled in uint8, Y taken by BasicSR (what RGB models are compared to);
- ``y_uint8``: uint8 Y of the LR upscaled in uint8 (what ``make eval`` uses for Y models);
- ``y_float``: the same uint8 Y upscaled in float, unrounded (the MATLAB scripts' number).
Writes ``results/bicubic_<set>.md/.json``.
"""
import argparse
from pathlib import Path

import numpy as np

from benchmarks.common import machine_info, machine_line, write_result
from train.data.datasets import load_test_set
from train.data.matlab_bicubic import imresize
from train.evaluate import DEFAULT_TEST_SETS, set_name_of
from train.metrics import calculate_psnr, calculate_ssim

SCALES = (2, 3, 4)
PIPELINES = {
    "rgb": ("rgb", lambda lr, s: imresize(lr, scale=s)),
    "y_uint8": ("y", lambda lr, s: imresize(lr, scale=s)),
    "y_float": ("y", lambda lr, s: imresize(lr.astype(np.float64), scale=s)),
}
DESCRIPTIONS = {
    "rgb": "RGB bicubic, Y by BasicSR (RGB models)",
    "y_uint8": "uint8 Y bicubic (Y models)",
    "y_float": "float bicubic of uint8 Y (MATLAB scripts)",
}


def mean_scores(folder: Path, scale: int, pipeline: str) -> tuple[float, float]:
    color, upscale = PIPELINES[pipeline]
    scores = [(calculate_psnr(upscale(lr, scale), hr, scale),
               calculate_ssim(upscale(lr, scale), hr, scale))
              for _, lr, hr in load_test_set(folder, scale, color)]
    return tuple(float(np.mean(column)) for column in zip(*scores))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hr", type=Path, default=DEFAULT_TEST_SETS["Set5"],
                        help="HR folder (LR from ../LR_bicubic/X<s> when present)")
    args = parser.parse_args(argv)
    set_name = set_name_of(args.hr)
    rows = {p: {s: mean_scores(args.hr, s, p) for s in SCALES} for p in PIPELINES}
    info = machine_info()
    lines = [f"# Bicubic on {set_name} (PSNR dB / SSIM, Y, scale pixels shaved)", "",
             f"Measured {machine_line(info)}.", "",
             "| pipeline | " + " | ".join(f"x{s}" for s in SCALES) + " |",
             "|---|" + "---|" * len(SCALES)]
    lines += [f"| {DESCRIPTIONS[p]} | " + " | ".join(
        f"{rows[p][s][0]:.2f} / {rows[p][s][1]:.4f}" for s in SCALES) + " |" for p in PIPELINES]
    text = "\n".join(lines) + "\n"
    print(text)
    data = {"machine": info, "set": set_name, "mean_psnr_ssim": rows}
    print(write_result(f"bicubic_{set_name}", text, data))


if __name__ == "__main__":
    main()
