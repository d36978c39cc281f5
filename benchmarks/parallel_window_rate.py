"""Cycles per LR pixel of a stitched design whose sliding windows are all parallel.

    python -m benchmarks.parallel_window_rate [--frame 24x40]   (about 3 min)

A small export (BinarySRResNet, Y channel, x2, 4 channels, 2 residual blocks, graph frame
8x8) is folded for TARGET_CYCLES per 8x8 frame, one cycle per LR pixel, which turns every
sliding window parallel (hw/set_folding.py). It is stitched for LR rows as wide as
the frame and co-simulated (cocotb, Verilator, exact against the golden model) on two
whole real frames of ``--frame`` LR pixels; measured is the interval between their last
output words. The cycle model of every layer is then evaluated at 960x540
(``Instance.cycles_at``): per layer kind, the slowest instance's cycles per LR pixel.
Writes ``results/parallel_window_rate.md/.json``.
"""
import argparse
import sys

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from benchmarks.common import machine_info, machine_line, write_result
from export.build import ExportConfig, export_model
from hw.artifacts import DATAFLOW_FILE
from hw.stitch import stitch
from sim.accelerator import cosimulate
from sim.runner import REPO_ROOT
from train.data.datasets import real_frame

sys.path.insert(0, str(REPO_ROOT / "tests" / "export"))
from sr_models import trained_like  # noqa: E402

BUILD_ROOT = REPO_ROOT / "sim_build" / "parallel_window_rate"
GRAPH_FRAME = 8
TARGET_CYCLES = GRAPH_FRAME * GRAPH_FRAME
DEFAULT_FRAME = "24x40"  # LR height x width of the co-simulated frames
VIDEO = (540, 960)


def export() -> ModelWrapper:
    out = BUILD_ROOT / "export"
    net = trained_like("BinarySRResNet", 2, 1, seed=2, channels=4, blocks=2)
    export_model(net, ExportConfig(out, GRAPH_FRAME, GRAPH_FRAME, target_fps=1e8 / TARGET_CYCLES),
                 log=lambda *_: None)
    return ModelWrapper(str(out / DATAFLOW_FILE))


def per_kind(design, height: int, width: int) -> dict:
    """Layer kind -> (slowest instance, its cycles per LR pixel) at height x width."""
    slowest = {}
    for inst in design.layers:
        cycles = inst.cycles_at(height, width)
        if cycles > slowest.get(inst.kind, ("", -1))[1]:
            slowest[inst.kind] = (inst.name, cycles)
    return {kind: {"layer": name, "cycles": cycles,
                   "cycles_per_lr_pixel": round(cycles / (height * width), 4)}
            for kind, (name, cycles) in sorted(slowest.items(), key=lambda kv: -kv[1][1])}


def render(data: dict, info: dict) -> str:
    sim, (height, width) = data["cosim"], data["frame"]
    lines = ["# Parallel windows: cycles per LR pixel", "",
             f"Measured {machine_line(info)} by `python -m benchmarks.parallel_window_rate`.",
             f"BinarySRResNet x2, 4 channels, 2 blocks, folded for {TARGET_CYCLES} cycles per "
             f"{GRAPH_FRAME}x{GRAPH_FRAME} frame: every window parallel.", "",
             f"Co-simulated (Verilator, exact): {sim['frames']} frames of "
             f"{height}x{width} LR pixels on a build for rows up to {width}: "
             f"{sim['frame_interval_cycles']} cycles between frames (cycle model "
             f"{sim['model_interval_cycles']}, bottleneck {sim['bottleneck']}), "
             f"{data['measured_cycles_per_lr_pixel']} cycles per LR pixel.", "",
             f"Cycle model at {VIDEO[1]}x{VIDEO[0]}, slowest layer of each kind:", "",
             "| kind | layer | cycles/frame | cycles per LR pixel |", "|---|---|---:|---:|"]
    lines += [f"| {kind} | {row['layer']} | {row['cycles']} | {row['cycles_per_lr_pixel']} |"
              for kind, row in data["video_model"].items()]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.parallel_window_rate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--frame", default=DEFAULT_FRAME, help="LR frame HxW to co-simulate")
    height, width = (int(n) for n in parser.parse_args(argv).frame.split("x"))
    info, model = machine_info(), export()
    design = stitch(model, BUILD_ROOT / "cosim" / "rtl", max_width=width)
    windows = [i for i in design.layers if i.kind == "ConvolutionInputGenerator"]
    assert all(i.module == "sliding_window_parallel" for i in windows), "a window is folded"
    frames = np.concatenate([real_frame(height, width, 1, index).transpose(0, 2, 3, 1)
                             for index in range(2)])
    result = cosimulate(model, frames, BUILD_ROOT / "cosim", design=design)
    data = {"machine": info, "graph_frame": GRAPH_FRAME, "target_cycles": TARGET_CYCLES,
            "frame": [height, width],
            "cosim": {k: getattr(result, k) for k in (
                "simulator", "frames", "first_frame_cycles", "frame_interval_cycles",
                "model_interval_cycles", "bottleneck")},
            "measured_cycles_per_lr_pixel": round(result.frame_interval_cycles
                                                  / (height * width), 4),
            "video": VIDEO, "video_model": per_kind(design, *VIDEO)}
    print(render(data, info))
    print(f"written: {write_result('parallel_window_rate', render(data, info), data)}")


if __name__ == "__main__":
    main()
