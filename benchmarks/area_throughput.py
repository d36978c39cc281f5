"""Throughput vs area of the default model across foldings.

    python -m benchmarks.area_throughput --ckpt runs/bench/bench_x2/best.pth

Exports the model for several target frame rates (32x32 tiles, 100 MHz), stitches
each dataflow graph and synthesizes it per layer with yosys; throughput is the cycle
model's (the slowest layer), which the co-simulation matches within a few percent
(README). Writes ``results/area_throughput.md/.json/.png``.
"""
import argparse
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from qonnx.core.modelwrapper import ModelWrapper  # noqa: E402

from benchmarks.common import (RESULTS_DIR, add_render_flag, committed, machine_info,  # noqa: E402
                               machine_line, publish)
from export.build import ExportConfig, export_model  # noqa: E402
from hw.area_report import XC7Z020, area_table, instance_areas  # noqa: E402
from hw.artifacts import DATAFLOW_FILE  # noqa: E402
from hw.stitch import stitch  # noqa: E402
from train.checkpoint import load_model  # noqa: E402

TARGETS_FPS = (250, 1000, 4000)
CLOCK_MHZ = 100.0


def measure(torch_model, target_fps, work: Path) -> dict:
    export_model(torch_model, ExportConfig(work / "export", target_fps=target_fps,
                                           clock_mhz=CLOCK_MHZ), log=lambda *_: None)
    design = stitch(ModelWrapper(str(work / "export" / DATAFLOW_FILE)), work / "rtl")
    table = area_table(design, instance_areas(design))
    cycles = table["bottleneck_cycles"]
    return {"target_fps": target_fps, "cycles_per_frame": cycles,
            "fps": CLOCK_MHZ * 1e6 / cycles, "bottleneck": table["bottleneck"],
            **table["totals"], "xc7z020_fraction": table["xc7z020_fraction"]}


def plot(rows, path):
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    ax.plot([lut_total(r) for r in rows], [r["fps"] for r in rows], marker="o")
    for r in rows:
        ax.annotate(f"target {r['target_fps']}", (lut_total(r), r["fps"]), fontsize=8)
    ax.axvline(XC7Z020["LUT"], color="gray", linestyle="--", label="Pynq-Z2 LUTs")
    ax.set_xlabel("LUTs incl. LUTRAM (yosys synth_xilinx, per layer)")
    ax.set_ylabel("frames/s of 32x32 LR at 100 MHz (cycle model)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def lut_total(row) -> int:
    """Logic LUTs plus LUTRAM: both occupy the xc7z020's 53,200 LUTs."""
    return row["LUT"] + row["LUTRAM"]


def markdown(rows, info) -> str:
    lines = ["# Throughput vs area across foldings (default model, x2, 32x32 tiles)", "",
             f"Measured {machine_line(info)}.", "",
             "| target fps | cycles/frame | fps at 100 MHz | bottleneck | LUT logic | LUTRAM | "
             "LUT total | FF | BRAM18 | DSP | LUT total % Pynq-Z2 |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['target_fps']} | {r['cycles_per_frame']} | {r['fps']:.0f} | "
              f"{r['bottleneck']} | {r['LUT']} | {r['LUTRAM']} | {lut_total(r)} | {r['FF']} | "
              f"{r['BRAM18']} | {r['DSP48E1']} | {lut_total(r) / XC7Z020['LUT']:.1%} |"
              for r in rows]
    lines += ["", "LUT total = logic LUTs + LUTs used as distributed RAM or shift registers "
              "(LUTRAM), out of the xc7z020's 53,200.", "",
              "![throughput vs LUTs](area_throughput.png)", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--ckpt", help="measure this checkpoint")
    add_render_flag(source, "the table and plot")
    args = parser.parse_args(argv)
    if args.render:
        data = committed("area_throughput")
        rows, info = data["rows"], data["machine"]
    else:
        torch_model = load_model(args.ckpt)
        with tempfile.TemporaryDirectory() as tmp:
            rows = [measure(torch_model, fps, Path(tmp) / str(fps)) for fps in TARGETS_FPS]
        info = machine_info()
    plot(rows, RESULTS_DIR / "area_throughput.png")
    publish("area_throughput", {"machine": info, "rows": rows},
            lambda d: markdown(d["rows"], d["machine"]))


if __name__ == "__main__":
    main()
