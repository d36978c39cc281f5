"""FIFO depths from a simulation of the real stream, FINN's InsertAndSetFIFODepths way.

1. Build the accelerator with deep FIFOs (each holds its whole stream of the sizing
   frame, so none ever fills; ``--deep all``: every FIFO, FINN's way; by default those
   on the branches of splits and adds, see ``size_fifos``) and STREAM_FIFO_PEAK
   (stream_fifo.sv records its peak occupancy and prints it at the end of the run).
2. Stream one real LR frame of max_width pixels (the line buffers' worst case) through the
   Verilator harness, the input paced just below the design's sustained rate (the
   bottleneck layer's cycles per input word, PACE_MARGIN slower), as a video source
   feeds it. Unpaced, a deep FIFO in front of the slowest layer would hold most of the
   frame: a number that grows with the frame's height, not a property of the design.
   Only deep branch FIFOs (the default) are also measured on two frames at full rate,
   where a split's branches drift apart at the frame boundary.
3. Depth = peak + MARGIN_WORDS, never below the deadlock minimum (the skip FIFOs' lead
   difference in input pixels, ``skip_fifo_depths`` without slack, the padding a
   window's FMPadding generates not counted) nor DEFAULT_FIFO_DEPTH.
4. Rebuild with those depths and re-run two frames at full input rate: exact against the
   golden model, no deadlock, and the frame interval of the deep build.

``python -m sim.fifo_depths --export exports/x [--max-width 960]`` writes the depths into
the export's dataflow.onnx as StreamingFIFO nodes (``hw.stitch`` builds them as they are)
and fifo_depths.json with the peaks, the analytic depths and the FIFOs' BRAM18 (yosys)
with the analytic depths, the sized ones and the peaks alone. Peak occupancy through a ``final`` $display rather than a Verilator public
signal or a debug port: the C++ harness and the top level stay as they are, any number
of FIFOs report themselves by instance path, and it costs nothing per cycle.
"""
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from hw import stream_fifo
from hw.area import synth_area
from hw.artifacts import DATAFLOW_FILE
from hw.stitch import DEFAULT_FIFO_DEPTH, Design, analytic_fifo_depths, skip_fifo_depths, stitch
from sim.accelerator import golden_frames
from sim.harness import build_harness, run_frames
from train.cli import ArgumentParser, UserError, command, existing_folder, read_onnx
from train.data.datasets import real_frame

PEAK_DEFINE = "STREAM_FIFO_PEAK"
# words above the peak: at exactly the peak a full FIFO would refuse the push that the
# deep one took while popping
MARGIN_WORDS = 2
# the paced input is this much slower than the bottleneck layer
PACE_MARGIN = 1.05
DEFAULT_MAX_WIDTH = 960
MIRROR_WIDTH = 256  # widest crop of a bundled photo (they are 512 pixels wide or more)


@dataclass
class Sizing:
    """The result of one sizing run; tensors are the streams of the graph without FIFOs."""

    frame: tuple[int, int]  # sizing frame (height, width), LR pixels
    peaks: dict  # tensor -> peak occupancy (words) with deep FIFOs, paced input
    depths: dict  # tensor -> chosen depth
    analytic: dict  # tensor -> the stitcher's analytic depth (skip/split FIFOs)
    below_analytic: list  # tensors whose peak + margin is below their analytic depth
    deep_interval: float  # frame interval (cycles), deep FIFOs, full input rate
    sized_interval: float  # frame interval (cycles), sized FIFOs, full input rate


def sizing_frames(model: ModelWrapper, height: int, width: int, count: int) -> np.ndarray:
    """``count`` NHWC crops of bundled photos with the model's input channels; rows wider
    than MIRROR_WIDTH repeat a crop mirrored (the photos are narrower than max_width)."""
    channels = model.get_tensor_shape(model.graph.input[0].name)[-1]
    crops = [real_frame(height, min(width, MIRROR_WIDTH), channels, index)
             for index in range(count)]
    tiles = -(-width // (2 * MIRROR_WIDTH))
    return np.concatenate([np.concatenate([crop, crop[..., ::-1]] * tiles, axis=-1)[..., :width]
                           for crop in crops]).transpose(0, 2, 3, 1)


def _stream_words(design: Design, height: int, width: int) -> dict:
    """Tensor -> words of its stream in one frame of height x width (FIFO cycle models)."""
    fifos = [inst for inst in design.instances if inst.kind == "FIFO"]
    return {inst.inputs[0].tensor: inst.cycles_at(height, width) for inst in fifos}


def _peaks(design: Design, stats: dict) -> dict:
    """Tensor -> peak occupancy from the harness's report of every FIFO instance."""
    by_name = {path.rsplit(".", 1)[-1]: words for path, words in stats["fifo_peaks"].items()}
    return {inst.inputs[0].tensor: by_name[inst.name]
            for inst in design.instances if inst.kind == "FIFO"}


def _pace(design: Design, height: int, width: int) -> float:
    """Idle probability that feeds the input just below the bottleneck's rate."""
    words = height * width * design.in_port.stream.words(
        design.model.get_tensor_shape(design.in_port.tensor)[-1])
    cycles_per_word = design.cycles_at(height, width) * PACE_MARGIN / words
    return max(0.0, 1.0 - 1.0 / cycles_per_word)


def _run(model, design, build_dir, frames, defines=(), **traffic) -> dict:
    binary = build_harness(design, build_dir, verilog_defines=defines)
    outputs, stats = run_frames(model, design, binary, frames, **traffic)
    if not np.array_equal(outputs, golden_frames(model, frames)):
        raise RuntimeError(f"{design.name}: the harness output differs from the golden model")
    return stats


def size_fifos(model: ModelWrapper, build_dir: Path, max_width: int,
               height: int | None = None, deep: str = "branches") -> tuple[ModelWrapper, Sizing]:
    """Size the FIFOs of ``model``'s accelerator (LR rows up to ``max_width`` pixels) from
    a simulation of one max_width x ``height`` frame (default: the graph's height); returns
    the dataflow graph with sized StreamingFIFO nodes and the record of the run.

    deep: which FIFOs are deep in the sizing run and sized from their peak: "all" (FINN's
    InsertAndSetFIFODepths), or "branches", those the stitcher sizes analytically (the
    branches of splits and adds, the only streams whose depth decides deadlock and the
    frame-boundary stall; with every FIFO deep, buffering spreads over the long branch
    too, and the chain's FIFOs hold whatever bursts arrive early). The others keep
    their depth.
    RuntimeError when a run deadlocks or differs from the golden model.
    """
    build_dir = Path(build_dir)
    model = model.transform(stream_fifo.RemoveStreamFIFOs())
    probe = stitch(model, build_dir / "probe", max_width=max_width)
    height = height or probe.frame.height
    frame = (height, max_width)
    layers = {inst.name: inst for inst in probe.layers}
    analytic = analytic_fifo_depths(model, layers, max_width)
    sized_streams = set(probe.fifo_depths) if deep == "all" else set(analytic)
    deep_depths = {t: max(words, probe.fifo_depths[t])
                   for t, words in _stream_words(probe, *frame).items() if t in sized_streams}
    deep_design = stitch(model, build_dir / "deep" / "rtl", fifo_depths=deep_depths,
                         max_width=max_width)
    frames = sizing_frames(model, *frame, 2)
    paced = _run(model, deep_design, build_dir / "deep", frames[:1], (PEAK_DEFINE,),
                 idle_prob=_pace(deep_design, *frame), seed=1)
    deep_stats = _run(model, deep_design, build_dir / "deep", frames, (PEAK_DEFINE,))
    # branch FIFOs also buffer a split's lag at full rate; with every FIFO deep, the
    # full-rate run would pile the frame up in front of the slowest layer
    peaks = _peaks(deep_design, paced) if deep == "all" else \
        {t: max(p, q) for (t, p), q in zip(_peaks(deep_design, paced).items(),
                                           _peaks(deep_design, deep_stats).values())}
    minimum = skip_fifo_depths(model, layers, max_width, slack_pixels=0, input_lead=True)
    depths = {**probe.fifo_depths,
              **{t: max(peaks[t] + MARGIN_WORDS, minimum.get(t, 0), DEFAULT_FIFO_DEPTH)
                 for t in sized_streams}}
    sized = stitch(model, build_dir / "sized" / "rtl", fifo_depths=depths, max_width=max_width)
    sized_stats = _run(model, sized, build_dir / "sized", frames)
    return sized.model, Sizing(
        frame=frame, peaks=peaks, depths=depths, analytic=analytic,
        below_analytic=sorted(t for t, d in analytic.items() if peaks[t] + MARGIN_WORDS < d),
        deep_interval=deep_stats["frame_interval_cycles"],
        sized_interval=sized_stats["frame_interval_cycles"])


def fifo_bram18(design: Design) -> int:
    """BRAM18 of all FIFOs of ``design`` (yosys synth_xilinx per distinct FIFO)."""
    fifos = [inst for inst in design.instances if inst.kind == "FIFO"]
    unique = {tuple(sorted(inst.parameters.items())): inst for inst in fifos}
    bram = {key: synth_area(inst.sources, inst.module, inst.parameters)["BRAM18"]
            for key, inst in unique.items()}
    return sum(bram[tuple(sorted(inst.parameters.items()))] for inst in fifos)


def parse_args(argv=None):
    parser = ArgumentParser(prog="python -m sim.fifo_depths", description=__doc__.split("\n")[0])
    parser.add_argument("--export", required=True, help="export folder (its dataflow.onnx)")
    parser.add_argument("--max-width", type=int, default=None,
                        help="widest LR frame of the hardware (default: export_config.json's "
                             f"max_width, else {DEFAULT_MAX_WIDTH})")
    parser.add_argument("--height", type=int, default=None,
                        help="rows of the sizing frame (default: the graph's frame height)")
    parser.add_argument("--deep", choices=("branches", "all"), default="branches",
                        help="FIFOs deep in the sizing run and sized from their peak: the "
                             "split/add branches (default) or all (FINN's way)")
    parser.add_argument("--build-dir", default=None,
                        help="Verilator builds (default: <export>/fifo_sizing)")
    return parser.parse_args(argv)


def _max_width(export: Path, given: int | None) -> int:
    if given is not None:
        if given < 1:
            raise UserError(f"--max-width {given} is not a positive number of pixels")
        return given
    config = export / "export_config.json"
    return json.loads(config.read_text()).get("max_width", DEFAULT_MAX_WIDTH) \
        if config.is_file() else DEFAULT_MAX_WIDTH


def sizing_report(dataflow: ModelWrapper, build_dir: Path, max_width: int,
                  height: int | None = None, deep: str = "branches") -> tuple[ModelWrapper, dict]:
    """``size_fifos`` and the FIFOs' BRAM18 (yosys) with the analytic depths, the sized
    ones, and the peaks + margin alone (what the simulation says without the floor)."""
    build_dir = Path(build_dir)
    plain = dataflow.transform(stream_fifo.RemoveStreamFIFOs())
    sized_model, sizing = size_fifos(plain, build_dir, max_width, height, deep)
    peak_depths = {**sizing.depths, **{t: max(sizing.peaks[t] + MARGIN_WORDS, DEFAULT_FIFO_DEPTH)
                                       for t in sizing.analytic}}
    bram = {name: fifo_bram18(stitch(plain, build_dir / f"area_{name}", fifo_depths=depths,
                                     max_width=max_width))
            for name, depths in (("analytic", {}), ("sized", sizing.depths),
                                 ("peaks", peak_depths))}
    return sized_model, {**asdict(sizing), "max_width": max_width, "deep": deep,
                         "fifo_bram18": bram}


@command
def main(argv=None):
    args = parse_args(argv)
    export = existing_folder(args.export, "export folder")
    dataflow = read_onnx(export / DATAFLOW_FILE, "run the export first")
    max_width = _max_width(export, args.max_width)
    sized_model, report = sizing_report(dataflow, Path(args.build_dir or export / "fifo_sizing"),
                                        max_width, args.height, args.deep)
    staged = export / f".{DATAFLOW_FILE}.staging"
    sized_model.save(str(staged))
    (export / "fifo_depths.json").write_text(json.dumps(report, indent=2) + "\n")
    staged.replace(export / DATAFLOW_FILE)
    height, width = report["frame"]
    bram = report["fifo_bram18"]
    print(f"{len(report['depths'])} FIFOs sized on a {height}x{width} frame: BRAM18 "
          f"{bram['analytic']} analytic -> {bram['sized']} sized ({bram['peaks']} at the "
          f"peaks alone); frame interval {report['deep_interval']:g} cycles deep, "
          f"{report['sized_interval']:g} sized; peaks below the analytic depth: "
          f"{', '.join(report['below_analytic']) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
