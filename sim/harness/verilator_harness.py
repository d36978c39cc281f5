"""Build and run the Verilator C++ harness (``accelerator_main.cpp``) of a stitched design.

cocotb pays a Python round trip per signal per cycle; the harness drives the AXI streams
in C++, so a run costs only the design's own evaluation (benchmarks/cosim_speed.py).
``sim.device.SimulatedDevice`` wraps it as the device the board driver talks to.
"""
import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from hw.graph_layers import Port
from hw.stitch import Design
from sim.runner import TIMESCALE, VERILATOR_ARGS, simulation_env

HARNESS_SOURCE = Path(__file__).resolve().parent / "accelerator_main.cpp"
BINARY_NAME = "accelerator_harness"
STAMP_NAME = "harness.sha256"  # hash of the command and every source the binary was built from
# C++ compile jobs: two cores, shared
BUILD_JOBS = 2
# Each module's code in its own functions (no module inlining): measured 1% more simulated
# cycles per CPU second on the default design, 4% on the small 8x8 one, and a quarter
# less C++ compile time. Other flags changed nothing measurable (-O2/-O3/-march=native
# for C++, gcc PGO, --x-assign/--x-initial fast) or lost (--threads 2 on a shared machine).
SPEED_ARGS = ("-fno-inline",)
# no stream transfer for this many frames of the slowest layer means a deadlock
DEADLOCK_FRAMES = 2
EXIT_DEADLOCK = 2  # accelerator_main.cpp's exit code
FIFO_PEAK_LINE = "stream_fifo_peak "  # stream_fifo.sv's report under STREAM_FIFO_PEAK


def _word_bytes(port: Port) -> int:
    return port.stream.word_bytes


def _verilator_command(design: Design, obj_dir: Path, verilog_defines=()) -> list[str]:
    defines = f"-DIN_WORD_BYTES={_word_bytes(design.in_port)} " \
              f"-DOUT_WORD_BYTES={_word_bytes(design.out_port)} -DSCALE={design.scale}"
    return ["verilator", "--cc", "--exe", "--build", "-O3", "-j", str(BUILD_JOBS),
            *SPEED_ARGS, *VERILATOR_ARGS, "--timescale", "/".join(TIMESCALE),
            "--top-module", design.name, "--prefix", "Vdut", "-Mdir", str(obj_dir),
            "-o", BINARY_NAME, "-CFLAGS", defines,
            *(f"+define+{name}" for name in verilog_defines),
            *(str(Path(source).resolve()) for source in design.sources), str(HARNESS_SOURCE)]


def _build_hash(command: list[str], design: Design) -> str:
    digest = hashlib.sha256("\0".join(command).encode())
    for source in [*design.sources, HARNESS_SOURCE]:
        digest.update(Path(source).read_bytes())
    return digest.hexdigest()


def build_harness(design: Design, build_dir: Path, verilog_defines=()) -> Path:
    """Compile ``design`` with the harness into ``build_dir``; returns the executable.

    verilog_defines: macros defined for the RTL (e.g. STREAM_FIFO_PEAK).
    Rebuilds only when a source, the harness or the command changed.
    """
    obj_dir = Path(build_dir).resolve() / "obj"
    binary, stamp = obj_dir / BINARY_NAME, obj_dir / STAMP_NAME
    command = _verilator_command(design, obj_dir, verilog_defines)
    build_hash = _build_hash(command, design)
    if binary.is_file() and stamp.is_file() and stamp.read_text() == build_hash:
        return binary
    obj_dir.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    with simulation_env():
        done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"verilator build of {design.name} failed (exit {done.returncode}):\n"
                           f"{done.stdout[-4000:]}{done.stderr[-4000:]}")
    stamp.write_text(build_hash)
    return binary


def run_stream(design: Design, binary: Path, data: np.ndarray, frames: int,
               out_words_per_frame: int, *, frame_hw: tuple[int, int] | None = None,
               idle_prob: float = 0.0, stall_prob: float = 0.0,
               seed: int = 0, deadlock_cycles: int | None = None) -> tuple[np.ndarray, dict]:
    """Stream the bytes ``data`` (``frames`` LR frames of ``frame_hw`` (height, width)
    pixels, default the graph's frame) through the harness ``binary`` built from
    ``design``; returns the output stream bytes and the harness's statistics (cycles,
    first_frame_cycles, frame_interval_cycles, cycles_per_second...).

    idle_prob / stall_prob: chance of an idle input cycle between words / of output
    backpressure in a cycle. Raises RuntimeError on deadlock (no transfer for
    ``deadlock_cycles``, by default DEADLOCK_FRAMES frames of the slowest layer) or any
    other harness failure. A build with STREAM_FIFO_PEAK adds ``fifo_peaks`` to the
    statistics: FIFO instance path -> its peak occupancy in words.
    """
    height, width = frame_hw or (design.frame.height, design.frame.width)
    in_words = len(data) // _word_bytes(design.in_port)
    deadlock_cycles = deadlock_cycles or \
        DEADLOCK_FRAMES * design.cycles_at(height, width) + 1000
    with tempfile.TemporaryDirectory(prefix="harness_") as tmp:
        in_file, out_file = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        in_file.write_bytes(np.asarray(data, dtype=np.uint8).tobytes())
        done = subprocess.run(
            [str(binary), "--input", str(in_file), "--output", str(out_file),
             "--frames", str(frames), "--in-words-per-frame", str(in_words // frames),
             "--out-words-per-frame", str(out_words_per_frame),
             "--frame-height", str(height), "--frame-width", str(width), "--seed", str(seed),
             "--idle-prob", str(idle_prob), "--stall-prob", str(stall_prob),
             "--deadlock-cycles", str(deadlock_cycles)], capture_output=True, text=True)
        if done.returncode:
            kind = "deadlock" if done.returncode == EXIT_DEADLOCK else "failure"
            raise RuntimeError(f"{design.name} harness {kind} (exit {done.returncode}): "
                               f"{done.stderr.strip()}")
        out = np.frombuffer(out_file.read_bytes(), dtype=np.uint8)
    *lines, last = done.stdout.strip().splitlines()
    stats = json.loads(last)
    peaks = [line.split() for line in lines if line.startswith(FIFO_PEAK_LINE)]
    if peaks:
        stats["fifo_peaks"] = {path: int(words) for _, path, words in peaks}
    return out, stats


def run_frames(model: ModelWrapper, design: Design, binary: Path, frames: np.ndarray,
               **traffic) -> tuple[np.ndarray, dict]:
    """NHWC integer ``frames`` (LR frames of any height and of widths up to the design's
    max_width) through the harness (see ``run_stream`` for ``traffic``); ``model``, the
    dataflow graph of the design, gives the channels. Returns the NHWC outputs and the
    statistics."""
    frames = np.asarray(frames)
    channels = model.get_tensor_shape(model.graph.input[0].name)[-1]
    if frames.ndim != 4 or frames.shape[-1] != channels or \
            not 1 <= frames.shape[2] <= design.max_width:
        raise ValueError(f"frames of shape {frames.shape} are not N LR frames of {channels} "
                         f"channels and widths 1..{design.max_width}")
    height, width = frames.shape[1:3]
    out_channels = model.get_tensor_shape(model.graph.output[0].name)[-1]
    out_shape = (len(frames), height * design.scale, width * design.scale, out_channels)
    src, dst = design.in_port, design.out_port
    data = src.stream.pack(frames)
    out_words_per_frame = dst.stream.words(int(np.prod(out_shape[1:])))
    out, stats = run_stream(design, binary, data, len(frames), out_words_per_frame,
                            frame_hw=(height, width), **traffic)
    values = dst.stream.unpack(out)
    return values.reshape(out_shape), stats
