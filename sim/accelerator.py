"""Co-simulate the stitched accelerator of an export against the golden model.

``python -m sim.accelerator --export exports/default_x2`` streams two real frames of the
graph's verification size through the RTL of the whole dataflow graph (cocotb, Verilator
or Icarus), with random input idles, output backpressure and resets (seed printed;
``SEED=N`` replays it), and exact comparison with the golden model; it prints PASS/FAIL,
the cycles per frame and the frame rate they mean at the export's clock.

``--frame 540x960`` instead streams ONE whole real frame of that size (HxW LR pixels, a
bundled photo resized to it) through the RTL built for the export's maximum width, in
the Verilator C++ harness, exact against the golden model; it prints the cycles of the
frame, frames/s at the export's clock and the LR and SR Mpixel/s they mean.
"""
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from hw.artifacts import read_export
from hw.stitch import Design, stitch
from sim.device import SimulatedDevice, golden_image
from sim.golden.graph import run_graph
from sim.runner import REPO_ROOT, write_untraced_config
from sim.tb.stream_tb import Stream, run_stream_case
from train.cli import ArgumentParser, UserError, command, parse_frame, removed_on_failure
from train.data.datasets import photo_frame, real_frame

TEST_MODULE = "sim.tb.accelerator_tb"
DEFAULT_BUILD = REPO_ROOT / "sim_build" / "accelerator"
# the cycle models' stated accuracy on a whole frame (the video-rate issue's target): the
# measured frame interval within 2% of the modelled one
CYCLE_TOLERANCE = 0.02


@dataclass
class CosimResult:
    simulator: str
    frames: int
    frame_shape: list
    first_frame_cycles: int  # first input word to last output word of frame 1
    frame_interval_cycles: int  # between the last output words of frames 1 and 2
    model_interval_cycles: int  # the slowest layer's expected cycles (cycle model)
    bottleneck: str

    def report(self, clock_mhz: float) -> str:
        height, width = self.frame_shape[1:3]
        fps = clock_mhz * 1e6 / self.frame_interval_cycles
        deviation = self.frame_interval_cycles / self.model_interval_cycles - 1
        return (f"PASS: {self.frames} frames of {height}x{width} LR pixels on {self.simulator}, "
                f"exact against the golden model\n"
                f"cycles per frame: {self.frame_interval_cycles} measured "
                f"(cycle model {self.model_interval_cycles}, {deviation:+.1%}; "
                f"bottleneck {self.bottleneck}); first frame latency "
                f"{self.first_frame_cycles} cycles\n"
                f"at {clock_mhz:g} MHz: {fps:.1f} frames/s, "
                f"{fps * height * width / 1e6:.2f} LR Mpixel/s")


def golden_frames(model: ModelWrapper, frames: np.ndarray) -> np.ndarray:
    """Golden outputs of NHWC ``frames`` (one LR frame each, any size), stacked."""
    name, out = model.graph.input[0].name, model.graph.output[0].name
    return np.concatenate([run_graph(model, {name: frame[None]}, any_frame_size=True)[out]
                           for frame in frames])


def _stream(values, port) -> Stream:
    return Stream(values, port.stream)


def cosimulate(model: ModelWrapper, frames: np.ndarray, build_dir: Path, *,
               simulator: str = "verilator", waves: bool = False, idle_prob: float = 0.3,
               stall_prob: float = 0.3, seed: int | None = None,
               design: Design | None = None, top_waves_only: bool = False) -> CosimResult:
    """Stitch ``model`` (unless ``design`` is given) and stream NHWC ``frames`` (LR frames
    of any size the design takes, set on its frame_w/frame_h ports) through it; ``seed`` of
    the random stimulus (None: ``$SEED`` or a fresh one, printed).

    top_waves_only: with waves on Verilator, dump only the top module's signals (the
    streams between layers; ``sim.waves.accelerator_vcd`` finds the file).
    Raises AssertionError when an output differs from the golden model, or on deadlock.
    """
    build_dir = Path(build_dir).resolve()
    design = design or stitch(model, build_dir / "rtl")
    trace_config = (write_untraced_config([s for s in design.sources if s != design.top],
                                          build_dir / "trace_top_only.vlt")
                    if top_waves_only else None)
    report = build_dir / "cosim_report.json"
    report.unlink(missing_ok=True)
    height, width = frames.shape[1:3]
    bottleneck = design.bottleneck_at(height, width)
    run_stream_case(
        build_dir, toplevel=design.name, sources=design.sources, parameters={},
        test_module=TEST_MODULE, inputs={"in0": _stream(frames, design.in_port)},
        outputs={"out0": _stream(golden_frames(model, frames), design.out_port)},
        expected_cycles=design.cycles_at(height, width), simulator=simulator,
        idle_prob=idle_prob, stall_prob=stall_prob, seed=seed, report=str(report), waves=waves,
        trace_config=trace_config, ports={"frame_w": width, "frame_h": height},
        scale=design.scale)
    measured = json.loads(report.read_text())[-1]
    return CosimResult(simulator, len(frames), list(frames.shape), measured["first_frame_cycles"],
                       measured["frame_interval_cycles"], design.cycles_at(height, width),
                       bottleneck.name)


def real_tiles(model: ModelWrapper, count: int = 2) -> np.ndarray:
    """``count`` NHWC crops of different bundled photos, the graph's frame size."""
    _, height, width, channels = model.get_tensor_shape(model.graph.input[0].name)
    return np.concatenate([real_frame(height, width, channels, index).transpose(0, 2, 3, 1)
                           for index in range(count)])


@dataclass
class FrameRun:
    """One whole LR frame through the RTL in the Verilator harness."""

    frame: list  # [height, width] LR pixels
    scale: int
    cycles: int  # first input word to last output word of the frame, measured
    model_cycles: int  # the cycle model's: the slowest layer on this frame
    bottleneck: str
    simulated_cycles_per_second: float  # simulation speed, wall time

    def fps(self, clock_mhz: float) -> float:
        return clock_mhz * 1e6 / self.cycles

    def lr_mpixel_per_s(self, clock_mhz: float) -> float:
        height, width = self.frame
        return self.fps(clock_mhz) * height * width / 1e6

    def report(self, clock_mhz: float) -> str:
        height, width = self.frame
        fps, lr_rate = self.fps(clock_mhz), self.lr_mpixel_per_s(clock_mhz)
        return (f"PASS: one whole {height}x{width} LR frame (HxW, -> {height * self.scale}x"
                f"{width * self.scale} SR) in the Verilator harness, exact against the golden "
                f"model\n"
                f"cycles per frame: {self.cycles:,} measured, first input word to last output "
                f"word (cycle model {self.model_cycles:,}, "
                f"{self.cycles / self.model_cycles - 1:+.1%}; bottleneck {self.bottleneck})\n"
                f"at {clock_mhz:g} MHz (one cycle = {1e3 / clock_mhz:g} ns): {fps:.2f} frames/s, "
                f"{lr_rate:.2f} LR Mpixel/s in, {lr_rate * self.scale ** 2:.2f} SR Mpixel/s out\n"
                f"simulation: {self.simulated_cycles_per_second:,.0f} simulated cycles per "
                f"second of wall time")


def run_whole_frame(model: ModelWrapper, image: np.ndarray, build_dir: Path, *,
                    max_width: int | None = None, design: Design | None = None,
                    golden: np.ndarray | None = None) -> FrameRun:
    """Stream the LR image ``image`` (H, W, C) as ONE frame through the stitched RTL (built
    for ``max_width``, unless ``design`` is given) in the Verilator harness, stall-free.
    Raises AssertionError when a pixel differs from the golden model (``golden``: its
    SR image, if already computed)."""
    device = SimulatedDevice(model, build_dir, max_width=max_width, design=design)
    outputs = device.run(image[None])
    golden = golden_image(model, image) if golden is None else golden
    differing = int(np.count_nonzero(outputs[0] != golden))
    height, width = image.shape[:2]
    assert not differing, (f"{differing} of {golden.size} SR values of the {height}x{width} "
                           f"frame differ from the golden model")
    stats = device.stats.extra
    bottleneck = device.design.bottleneck_at(height, width)
    return FrameRun([height, width], device.design.scale, stats["first_frame_cycles"],
                    device.design.cycles_at(height, width), bottleneck.name,
                    stats["cycles_per_second"])


def parse_args(argv=None):
    parser = ArgumentParser(prog="python -m sim.accelerator", description=__doc__.splitlines()[0])
    parser.add_argument("--export", required=True, help="export folder (python -m export)")
    parser.add_argument("--frame", type=parse_frame,
                        help="one whole HxW LR frame (e.g. 540x960) in the Verilator harness; "
                             "default: two verification frames in cocotb with stalls and resets")
    parser.add_argument("--simulator", choices=("verilator", "icarus"), default="verilator",
                        help="cocotb's simulator (not with --frame)")
    parser.add_argument("--waves", action="store_true",
                        help="dump waveforms (VCD/FST; not with --frame)")
    parser.add_argument("--build", default=str(DEFAULT_BUILD), help="build folder")
    args = parser.parse_args(argv)
    if args.frame and (args.waves or args.simulator != "verilator"):
        parser.error("--frame runs the Verilator C++ harness; --waves and --simulator are "
                     "for the cocotb run")
    return args


def _check_width(frame, max_width, export):
    if frame[1] > max_width:
        raise UserError(f"frame {frame[0]}x{frame[1]} is wider than the {max_width} pixels the "
                        f"hardware of {export} is built for (python -m export --max-width)")


@command
def main(argv=None):
    args = parse_args(argv)
    model, clock_mhz, max_width = read_export(args.export)
    if args.frame:
        _check_width(args.frame, max_width, args.export)
        channels = model.get_tensor_shape(model.graph.input[0].name)[-1]
        image = photo_frame(*args.frame, channels)
    else:
        tiles = real_tiles(model)
    with removed_on_failure(args.build) as build:
        try:
            # the hardware as built: line buffers for max_width, whatever frames it streams
            design = stitch(model, Path(build).resolve() / "rtl", max_width=max_width)
            result = (run_whole_frame(model, image, build, design=design) if args.frame
                      else cosimulate(model, tiles, build, simulator=args.simulator,
                                      waves=args.waves, design=design))
        except AssertionError as err:
            print(f"FAIL: {err}")
            return 1
        name = "whole_frame.json" if args.frame else "cosim.json"
        (build / name).write_text(json.dumps(asdict(result), indent=2) + "\n")
    print(result.report(clock_mhz))
    return 0


if __name__ == "__main__":
    sys.exit(main())
