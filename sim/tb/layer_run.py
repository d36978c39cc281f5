"""Run a generated layer (``hw.codegen.GeneratedLayer``) through the shared ``StreamTB``."""
from pathlib import Path

import numpy as np

from hw.codegen import GeneratedLayer, StreamFormat
from sim.runner import REPO_ROOT
from sim.tb.stream_tb import Stream, run_stream_case

SIM_BUILD = REPO_ROOT / "sim_build"


def layer_dir(test_name: str) -> Path:
    """Stable per-test directory for generated files and builds (kept warm between runs)."""
    return SIM_BUILD / test_name


def _stream(values: np.ndarray, stream: StreamFormat) -> Stream:
    return Stream(values, stream.elem_bits, stream.per_word, stream.signed)


def run_generated_layer(
    layer: GeneratedLayer, inputs: np.ndarray, expected: np.ndarray, frame_cycles: int, *,
    test_module: str, simulator: str, build_dir: Path,
) -> None:
    """Stream ``inputs`` (frames, ...) through ``layer``; AssertionError unless the outputs
    equal ``expected`` exactly and a stall-free frame takes ``frame_cycles``."""
    run_stream_case(
        build_dir, toplevel=layer.name, sources=layer.sources, parameters={},
        test_module=test_module, inputs={"in0": _stream(inputs, layer.in_stream)},
        outputs={"out0": _stream(expected, layer.out_stream)},
        expected_cycles=frame_cycles, simulator=simulator,
    )
