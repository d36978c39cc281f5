"""A stitched accelerator folded for one cycle per LR pixel (every window parallel) whose
DepthToSpace emits two HR pixels per output word (OutSIMD = 2 of a Y model at x2): exact
against the golden model in the Verilator harness, with random stalls, at two run-time
frame sizes from one build; the frame interval is DepthToSpace's (the bottleneck, 2
cycles per LR pixel)."""
import sys
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper

from export.build import ExportConfig, export_model
from hw import depth_to_space
from hw.artifacts import DATAFLOW_FILE
from hw.stitch import stitch
from sim.accelerator import CYCLE_TOLERANCE, golden_frames
from sim.harness import build_harness, run_frames
from sim.runner import simulator_mark
from sim.tb.layer_run import layer_dir
from train.data.datasets import real_frame

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))
from sr_models import trained_like  # noqa: E402

pytestmark = simulator_mark("verilator")

FRAME = 8
TARGET_CYCLES = FRAME * FRAME  # one cycle per LR pixel of the graph's frame
MAX_WIDTH = 40
SIZES = ((12, 20), (20, 36))  # run-time LR frames, the larger last


@pytest.fixture(scope="module")
def full_rate(tmp_path_factory):
    """BinarySRResNet, Y, x2, 4 channels, 2 blocks, folded for TARGET_CYCLES; stitched and
    built for LR rows up to MAX_WIDTH."""
    out = tmp_path_factory.mktemp("d2s_full_rate")
    export_model(trained_like("BinarySRResNet", 2, 1, seed=2, channels=4, blocks=2),
                 ExportConfig(out, FRAME, FRAME, target_fps=1e8 / TARGET_CYCLES),
                 log=lambda *_: None)
    model = ModelWrapper(str(out / DATAFLOW_FILE))
    build_dir = layer_dir("d2s_full_rate")
    design = stitch(model, build_dir / "rtl", max_width=MAX_WIDTH)
    return model, design, build_harness(design, build_dir)


def test_two_pixel_words_are_exact_at_the_cycle_model(full_rate):
    model, design, binary = full_rate
    d2s = next(inst for inst in design.layers if inst.kind == "DepthToSpace")
    # one LR pixel's 4 elements per input word, two HR pixels per output word
    assert (d2s.parameters["SIMD"], d2s.parameters["OUT_SIMD"]) == (4, 2)
    assert design.out_port.stream.per_word == 2
    for height, width in SIZES:
        frames = np.concatenate([real_frame(height, width, 1, index).transpose(0, 2, 3, 1)
                                 for index in range(3)])
        outputs, stats = run_frames(model, design, binary, frames, idle_prob=0.1,
                                    stall_prob=0.1)
        assert np.array_equal(outputs, golden_frames(model, frames)), (height, width)
        outputs, stats = run_frames(model, design, binary, frames)
        assert np.array_equal(outputs, golden_frames(model, frames)), (height, width)
    cycles = design.cycles_at(height, width)
    assert design.bottleneck_at(height, width) is d2s
    # a row in: width words; its 2 HR rows out: 2 * width words (2 cycles per LR pixel)
    assert cycles == width + (height - 1) * 2 * width + 2 * width + 2
    # frames back to back overlap by DepthToSpace's first row in and latency: the interval
    interval = (depth_to_space.expected_cycles(height, width, 1, 2, 4, 2, frames=2)
                - depth_to_space.expected_cycles(height, width, 1, 2, 4, 2))
    assert interval == 2 * height * width
    deviation = stats["frame_interval_cycles"] / interval - 1
    assert abs(deviation) <= CYCLE_TOLERANCE, (
        f"{height}x{width}: {stats['frame_interval_cycles']} cycles per frame, DepthToSpace's "
        f"frame interval {interval} (cycle model of one frame {cycles}): {deviation:+.1%}")
