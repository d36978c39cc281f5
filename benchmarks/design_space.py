"""The design space as the committed results show it: throughput against area across
foldings, and Set5 PSNR against model size. Reads ``results/*.json`` only (no
measuring), so it runs anywhere; the notebooks draw it.
"""
import json
from pathlib import Path

import matplotlib.pyplot as plt

from benchmarks.area_throughput import plot as plot_area_throughput
from benchmarks.common import RESULTS_DIR
from benchmarks.constraint_cost import VARIANTS
from train.archs import build_model
from train.config import load_config
from train.quant import BinaryConv2d, IntConv2d
from train.quick_run import REPO_ROOT, save_figure

# the recipe benchmarks/constraint_cost.py ran its variants from (its .md names it)
CONSTRAINT_COST_CONFIG = REPO_ROOT / "configs" / "bench_x2.yaml"
SET5 = "Set5"


def read_result(name) -> dict:
    return json.loads((RESULTS_DIR / f"{name}.json").read_text())


def plot_throughput_vs_luts(path) -> Path:
    """frames/s against LUTs (LUTRAM included) with the Pynq-Z2 line, from
    ``results/area_throughput.json``."""
    plot_area_throughput(read_result("area_throughput")["rows"], path)
    return Path(path)


def weight_bits(model_opt, scale, in_channels=1) -> int:
    """Bits of the weights the accelerator stores: 1 per binary weight, the integer
    width of each integer conv's weights (head, tail, and the fixed bicubic skip)."""
    model = build_model(model_opt, scale, in_channels)
    bits = 0
    for module in model.modules():
        if isinstance(module, BinaryConv2d):
            bits += module.weight.numel()
        elif isinstance(module, IntConv2d):
            bits += module.conv.weight.numel() * module.weight_bits
    return bits


def quality_points() -> list:
    """``{label, weight_bits, psnr, iters}`` of each committed x2 Set5 result."""
    bench = read_result("quality_bench_x2")
    points = [{"label": f"{bench['config']['name']}, {_chosen_on(bench['config'])}",
               "iters": bench["iters"],
               "weight_bits": weight_bits(bench["config"]["model"], bench["config"]["scale"]),
               "psnr": bench["means"][SET5]["model_psnr"]}]
    cost = read_result("constraint_cost")
    base = load_config(CONSTRAINT_COST_CONFIG)
    for name, result in cost["variants"].items():
        model_opt = {**base["model"], **VARIANTS[name][0]}
        # run when bench_x2 validated on Set5: an upper bound
        points.append({"label": f"constraint_cost {name}, chosen on Set5", "iters": cost["iters"],
                       "weight_bits": weight_bits(model_opt, base["scale"]),
                       "psnr": result["model_psnr"]})
    return points


def _chosen_on(config) -> str:
    """How a run chose best.pth: on Set5 (older results: an upper bound), or held out."""
    folder = config["data"]["val"].get("folder") or ""
    return "chosen on Set5" if SET5 in folder else "chosen on held-out training images"


def bicubic_psnr() -> float:
    return read_result("quality_bench_x2")["means"][SET5]["bicubic_psnr"]


def plot_psnr_vs_size(points, path) -> Path:
    fig, ax = plt.subplots(figsize=(9.5, 4), dpi=110)
    for point, marker in zip(points, "o^sDv"):
        ax.scatter(point["weight_bits"] / 1000, point["psnr"], marker=marker, s=40,
                   label=f"{point['label']} ({point['iters']} it): {point['psnr']:.2f} dB")
    ax.axhline(bicubic_psnr(), color="gray", linestyle="--",
               label=f"bicubic {bicubic_psnr():.2f} dB")
    ax.set_xlabel("stored weights (kbit): binary body + integer head, tail, bicubic skip")
    ax.set_ylabel("Set5 x2 PSNR, Y (dB)")
    sizes = {p["weight_bits"] for p in points}
    ax.set_title(f"committed results: {len(sizes)} model size(s); a size sweep is not measured yet"
                 if len(sizes) < 3 else "PSNR against model size", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return save_figure(fig, path)
