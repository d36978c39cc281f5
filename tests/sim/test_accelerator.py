"""The stitched accelerator: the RTL of a whole exported model, co-simulated on real image
tiles with idles, backpressure and resets, exact against the golden model, its frame
interval bounded by the cycle model."""
import sys
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from export.build import DATAFLOW_FILE, ExportConfig, export_model
from hw.graph_layers import UnsupportedLayerError
from hw.res_type import SetResType, with_res_type
from hw.set_folding import SetFolding
from hw.stitch import SKIP_SLACK_PIXELS, skip_fifo_depths, split_fifo_depths, stitch
from sim.accelerator import cosimulate, main, real_tiles, run_whole_frame
from sim.runner import simulator_mark
from sim.tb.layer_run import layer_dir
from train.data.datasets import photo_frame, real_frame

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))
from sr_models import trained_like  # noqa: E402

FRAME = 8


def export_folder(tmp_path_factory, name, target_cycles, max_width=FRAME, **model_kwargs):
    arch, scale, in_channels = model_kwargs.pop("arch"), model_kwargs.pop("scale"), \
        model_kwargs.pop("in_channels")
    model = trained_like(arch, scale, in_channels, seed=scale, **model_kwargs)
    out = tmp_path_factory.mktemp(name)
    cfg = ExportConfig(out, FRAME, FRAME, target_fps=1e8 / target_cycles, max_width=max_width)
    export_model(model, cfg, log=lambda *_: None)
    return out


def exported(tmp_path_factory, name, target_cycles, **model_kwargs):
    return ModelWrapper(str(export_folder(tmp_path_factory, name, target_cycles, **model_kwargs)
                            / DATAFLOW_FILE))


@pytest.fixture(scope="module")
def y_x2(tmp_path_factory):
    """Default architecture, small: Y channel, x2, two residual blocks."""
    return exported(tmp_path_factory, "y_x2", 2000, arch="BinarySRResNet", scale=2,
                    in_channels=1, channels=4, blocks=2)


@pytest.fixture(scope="module")
def rgb_x3(tmp_path_factory):
    """RGB EDSR at x3, one conv per block."""
    return exported(tmp_path_factory, "rgb_x3", 3000, arch="BinaryEDSR", scale=3,
                    in_channels=3, channels=6, blocks=1, convs_per_block=1)


@pytest.fixture(scope="module")
def y_x2_parallel(tmp_path_factory):
    """The default architecture at a target no folded window meets (KH*KW cycles per
    pixel): every window parallel, binary MVAUs at SIMD 18 of 4 channels x 3x3."""
    return exported(tmp_path_factory, "y_x2_parallel", 550, arch="BinarySRResNet", scale=2,
                    in_channels=1, channels=4, blocks=2)


@pytest.fixture(scope="module")
def btm_x2(tmp_path_factory):
    """BTM deployable: MRBs with 1x5 and 5x1 binary convs, 4 channels."""
    return exported(tmp_path_factory, "btm_x2", 2000, arch="BTM", mode="deployable", scale=2,
                    in_channels=1, channels=4, blocks=1)


def refill(model, layer: str) -> tuple[int, int]:
    """(rows, pixels) of real input the window generator of ``layer`` (an MVAU's producer,
    or the layer itself) reads before its first window: (KH-1) rows + KW pixels of the padded
    frame, less the top rows and left pixels of padding, which need no input."""
    node = model.get_node_from_name(layer)
    if not node.op_type.startswith("ConvolutionInputGenerator"):
        node = model.find_producer(node.input[0])
    if node is None or not node.op_type.startswith("ConvolutionInputGenerator"):
        return 0, 1
    kh, kw = getCustomOp(node).get_nodeattr("ConvKernelDim")
    padding = model.find_producer(node.input[0])
    top, left = (getCustomOp(padding).get_nodeattr("Padding")[:2]
                 if padding is not None and padding.op_type.startswith("FMPadding") else (0, 0))
    return kh - 1 - top, kw - left


def assert_interval_follows_the_cycle_model(model, result):
    """The measured frame interval lies near the model's cycles M (the slowest layer's
    cycles per frame); on an H x W LR frame the bottleneck spends F = M / (H W) cycles per
    pixel:

    - at least M - M/H: M counts what successive frames overlap: the bottleneck's
      pipeline latency (a few cycles), window fill (under a row) or, for DepthToSpace,
      the drain of its last row (one of H + 1 rows);
    - at most M + R M/H + P F: at each frame boundary the bottleneck may wait while the
      window generator in front of it refills with R rows + P pixels of the next frame
      (``refill``), made by the layer before it in at most F cycles a pixel (it is no
      slower than the bottleneck).
    """
    height, width = result.frame_shape[1:3]
    cycles = result.model_interval_cycles
    rows, pixels = refill(model, result.bottleneck)
    low = cycles - cycles / height
    high = cycles + rows * cycles / height + pixels * cycles / (height * width)
    assert low <= result.frame_interval_cycles <= high, (
        f"{result.frame_interval_cycles} cycles per frame, outside [{low:.0f}, {high:.0f}] "
        f"around the cycle model's {cycles} (bottleneck {result.bottleneck})")


@pytest.mark.parametrize("simulator", [
    "verilator", pytest.param("icarus", marks=[pytest.mark.slow, simulator_mark("icarus")])])
def test_default_architecture_is_exact_in_rtl(y_x2, simulator):
    design = stitch(y_x2, layer_dir(f"accel_y_x2_{simulator}") / "rtl")
    assert any(inst.kind == "DWC" for inst in design.instances)  # folds differ across layers
    result = cosimulate(y_x2, real_tiles(y_x2), layer_dir(f"accel_y_x2_{simulator}"),
                        simulator=simulator, design=design)
    assert result.frames == 2
    assert_interval_follows_the_cycle_model(y_x2, result)


def test_whole_frame_build_is_exact_at_a_run_time_size(y_x2):
    """Built for LR rows up to 40 pixels, run on 12x20 frames (frame_w/frame_h ports) with
    idles, backpressure and resets; the output's TUSER/TLAST mark the 24x40 HR frames."""
    design = stitch(y_x2, layer_dir("accel_y_x2_whole_frame") / "rtl", max_width=40)
    frames = np.concatenate([real_frame(12, 20, 1, index).transpose(0, 2, 3, 1)
                             for index in range(2)])
    result = cosimulate(y_x2, frames, layer_dir("accel_y_x2_whole_frame"), design=design)
    assert result.frame_shape == [2, 12, 20, 1]
    assert_interval_follows_the_cycle_model(y_x2, result)


def test_parallel_windows_are_exact_in_rtl(y_x2_parallel):
    windows = [getCustomOp(n) for n in y_x2_parallel.graph.node
               if n.op_type.startswith("ConvolutionInputGenerator")]
    assert all(w.get_nodeattr("parallel_window") == 1 for w in windows)
    mvau_simd = {getCustomOp(n).get_nodeattr("SIMD") for n in y_x2_parallel.graph.node
                 if n.op_type.startswith("MVAU")}
    assert 18 in mvau_simd  # a divisor of MW = 36 that no divisor of the 4 channels reaches
    # built for LR rows up to 40 pixels, run on 12x20 frames: in_w/in_h = frame + offset
    design = stitch(y_x2_parallel, layer_dir("accel_y_x2_parallel") / "rtl", max_width=40)
    assert any(inst.kind == "DWC" and inst.parameters == {"IN_ELEMS": 36, "OUT_ELEMS": 18,
                                                          "ELEM_BITS": 1}
               for inst in design.instances)
    frames = np.concatenate([real_frame(12, 20, 1, index).transpose(0, 2, 3, 1)
                             for index in range(2)])
    result = cosimulate(y_x2_parallel, frames, layer_dir("accel_y_x2_parallel"), design=design)
    assert_interval_follows_the_cycle_model(y_x2_parallel, result)


@pytest.fixture(scope="module")
def y_x2_unfolded(tmp_path_factory):
    """The default architecture at one cycle per LR pixel: every integer MVAU (head, tail,
    bicubic skip) fully unfolded, one weight word."""
    return exported(tmp_path_factory, "y_x2_unfolded", FRAME * FRAME, arch="BinarySRResNet",
                    scale=2, in_channels=1, channels=4, blocks=1)


@pytest.mark.parametrize(("graph", "kind"), [("y_x2_parallel", "integer MVAU (LUT)"),
                                             ("y_x2_unfolded", "integer MVAU (constant)")])
def test_integer_products_in_luts_are_exact_in_rtl(graph, kind, request):
    """resType "lut" on every integer MVAU: folded layers add the weight bits'
    shift-adds, fully unfolded ones their constant weights' signed digits."""
    model = with_res_type(request.getfixturevalue(graph).transform(SetResType()), "lut")
    design = stitch(model, layer_dir(f"accel_{graph}_lut") / "rtl")
    assert {inst.kind for inst in design.instances if "integer" in inst.kind} == {kind}
    result = cosimulate(model, real_tiles(model), layer_dir(f"accel_{graph}_lut"),
                        design=design)
    assert result.frames == 2
    assert_interval_follows_the_cycle_model(model, result)


def test_btm_1x5_and_5x1_windows_are_parallel_and_split_for_the_mvau(btm_x2):
    windows = {(i.parameters["KH"], i.parameters["KW"]): i
               for i in stitch(btm_x2, layer_dir("accel_btm_x2") / "rtl").instances
               if i.module == "sliding_window_parallel"}
    assert set(windows) == {(1, 5), (5, 1)}  # the 3x3 and 5x5 windows stay folded
    assert all(w.outputs[0].stream.per_word == 5 * 4 for w in windows.values())


@pytest.mark.slow
def test_btm_with_1x5_and_5x1_windows_is_exact_in_rtl(btm_x2):
    assert_interval_follows_the_cycle_model(
        btm_x2, cosimulate(btm_x2, real_tiles(btm_x2), layer_dir("accel_btm_x2")))


def test_rgb_x3_edsr_is_exact_in_rtl(rgb_x3):
    assert_interval_follows_the_cycle_model(
        rgb_x3, cosimulate(rgb_x3, real_tiles(rgb_x3), layer_dir("accel_rgb_x3")))


def test_skip_and_split_fifos_cover_the_window_fills(y_x2):
    layers = {inst.name: inst for inst in stitch(y_x2, layer_dir("accel_fifo")).layers}
    depths = skip_fifo_depths(y_x2, layers)
    # per residual add: 2 windows of (3-1) rows of 10 + 3 pixels, 4 channels at PE 1..4
    assert len(depths) == 4  # two blocks, long skip, global (bicubic) skip
    assert all(depth >= 2 * 23 for depth in depths.values())
    # rows of a whole-frame build are max_width (+ 2 of padding) pixels long
    wide = skip_fifo_depths(y_x2, layers, max_width=40)
    assert wide.keys() == depths.keys()
    assert all(wide[t] >= 2 * (2 * 42 + 3) and wide[t] > depths[t] for t in depths)
    # the bicubic split: the 3x3 body branch fills (3-1) rows of 42 + 3 pixels, the 5x5
    # skip (5-1) rows of 44 + 5, so the body branch buffers the 94 pixels between (1 channel)
    assert 94 + SKIP_SLACK_PIXELS in split_fifo_depths(y_x2, layers, max_width=40).values()


def test_starved_skip_fifo_deadlocks_and_is_reported(y_x2):
    layers = {inst.name: inst for inst in stitch(y_x2, layer_dir("accel_deadlock")).layers}
    starved = {tensor: 2 for tensor in skip_fifo_depths(y_x2, layers)}
    design = stitch(y_x2, layer_dir("accel_deadlock") / "rtl", fifo_depths=starved)
    with pytest.raises(AssertionError, match="cocotb tests failed: accelerator"):
        cosimulate(y_x2, real_tiles(y_x2, 1), layer_dir("accel_deadlock"), design=design,
                   idle_prob=0.0, stall_prob=0.0)


def test_illegal_folding_names_the_layer_and_rule(y_x2, tmp_path):
    model = y_x2.transform(SetFolding(10**9))
    mvau = next(n for n in model.graph.node if n.op_type == "MVAU")
    getCustomOp(mvau).set_nodeattr("PE", 3)
    with pytest.raises(ValueError, match=rf"{mvau.name}: PE 3 does not divide \d+ outputs \(MH\)"):
        stitch(model, tmp_path)


def test_unknown_node_kind_is_refused(y_x2, tmp_path):
    model = ModelWrapper(y_x2.model)
    model.graph.node[1].op_type = "LabelSelect"
    with pytest.raises(UnsupportedLayerError, match=r"no RTL layer for op type LabelSelect"):
        stitch(model, tmp_path)


WHOLE_MAX_WIDTH = 24


@pytest.fixture(scope="module")
def wide_export(tmp_path_factory):
    """A small model whose hardware takes frames up to 24 pixels wide (graph: 8x8)."""
    return export_folder(tmp_path_factory, "wide", 3000, max_width=WHOLE_MAX_WIDTH,
                         arch="BinarySRResNet", scale=2, in_channels=1, channels=4, blocks=1)


def test_whole_frames_of_two_sizes_from_one_build_are_exact(wide_export):
    model = ModelWrapper(str(wide_export / DATAFLOW_FILE))
    build = layer_dir("accel_whole_frame")
    design = stitch(model, build / "rtl", max_width=WHOLE_MAX_WIDTH)
    for height, width in ((13, WHOLE_MAX_WIDTH), (21, 10)):  # wider and narrower than tall
        run = run_whole_frame(model, photo_frame(height, width, 1), build, design=design)
        assert run.frame == [height, width] and run.scale == 2
        assert run.cycles >= run.model_cycles  # one frame: the cycle model plus the fill


def test_cli_streams_one_whole_frame_and_prints_its_rates(wide_export, capsys):
    argv = ["--export", str(wide_export), "--build", str(layer_dir("accel_whole_frame_cli"))]
    assert main([*argv, "--frame", "9x20"]) == 0
    out = capsys.readouterr().out
    assert "PASS: one whole 9x20 LR frame (HxW, -> 18x40 SR)" in out
    assert "cycles per frame:" in out and "(one cycle = 10 ns)" in out
    assert "LR Mpixel/s in" in out and "SR Mpixel/s out" in out
    assert main([*argv, "--frame", "9x25"]) == 2  # wider than the hardware
    assert "wider than the 24 pixels" in capsys.readouterr().err
