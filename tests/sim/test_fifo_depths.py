"""FIFOs as graph nodes (InsertStreamFIFOs) and their depths from a simulation of the
real stream (sim.fifo_depths): the nodes change no value, the stitcher builds them as
they are, sized depths run exact and deadlock-free at two frame sizes, and a too-small
depth in the graph is reported as a deadlock, not a hang."""
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper

from export.equivalence import run_onnx
from export.summary import summarize
from hw import stream_fifo
from hw.stitch import analytic_fifo_depths, stitch
from sim.accelerator import golden_frames
from sim.fifo_depths import size_fifos, sizing_frames
from sim.golden.graph import run_graph
from sim.harness import build_harness, run_frames
from sim.runner import simulator_mark
from sim.tb.layer_run import layer_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))
from sr_models import small_y_x2_dataflow  # noqa: E402

FRAME = 8
MAX_WIDTH = 40
SIZES = ((12, 20), (20, 36))  # run-time LR frames of the sized build


@pytest.fixture(scope="module")
def y_x2(tmp_path_factory):
    """Default architecture, small: Y channel, x2, one residual block."""
    return small_y_x2_dataflow(tmp_path_factory.mktemp("fifo_depths_y_x2"), FRAME)


@pytest.fixture(scope="module")
def with_fifos(y_x2):
    return stitch(y_x2, layer_dir("fifo_nodes") / "rtl", max_width=MAX_WIDTH)


def _streams(model):
    return [t.name for t in model.graph.input] + \
        [t for node in model.graph.node for t in node.output]


def test_every_stream_has_one_fifo_node_with_the_stitched_depth(y_x2, with_fifos):
    model = with_fifos.model
    fifos = [node for node in model.graph.node if stream_fifo.is_fifo(node)]
    assert sorted(stream_fifo.stream_tensor(model, n) for n in fifos) == sorted(_streams(y_x2))
    # every layer reads and writes FIFOs only
    producers = {t: node for node in model.graph.node for t in node.output}
    for node in model.graph.node:
        if not stream_fifo.is_fifo(node):
            streams = [t for t in node.input if model.get_initializer(t) is None]
            assert all(t in producers and stream_fifo.is_fifo(producers[t]) or
                       t == model.graph.input[0].name for t in streams), node.name
    layers = {inst.name: inst for inst in with_fifos.layers}
    analytic = analytic_fifo_depths(y_x2, layers, MAX_WIDTH)
    assert analytic and all(with_fifos.fifo_depths[t] == d for t, d in analytic.items())
    instances = [inst for inst in with_fifos.instances if inst.kind == "FIFO"]
    assert {inst.name for inst in instances} == {node.name for node in fifos}
    # the cycle model moves the stream's words with the FIFO's latency (block RAM: 2)
    deep = next(inst for inst in instances
                if inst.parameters["DEPTH"] > stream_fifo.LUTRAM_MAX_DEPTH)
    tensor, stream = deep.inputs[0].tensor, deep.inputs[0].stream
    words = int(np.prod(y_x2.get_tensor_shape(tensor))) // stream.per_word
    assert deep.exp_cycles == words + 2 == \
        stream_fifo.expected_cycles(words, deep.parameters["DEPTH"])


def test_fifo_nodes_keep_golden_and_finn_execution_exact(y_x2, with_fifos):
    x = np.random.default_rng(0).integers(0, 256, (1, FRAME, FRAME, 1))
    name, out = y_x2.graph.input[0].name, y_x2.graph.output[0].name
    plain = run_graph(y_x2, {name: x})[out]
    assert np.array_equal(run_graph(with_fifos.model, {name: x})[out], plain)
    finn = run_onnx(with_fifos.model, x.transpose(0, 3, 1, 2))
    assert np.array_equal(finn, plain)


def test_the_summary_lists_the_fifo_nodes(with_fifos):
    rows = summarize(with_fifos.model)["layers"]
    assert sum(row["kind"] == stream_fifo.LAYER for row in rows) == len(with_fifos.fifo_depths)


def test_removing_the_fifo_nodes_restores_the_graph(y_x2, with_fifos):
    restored = with_fifos.model.transform(stream_fifo.RemoveStreamFIFOs())
    key = lambda m: sorted((n.op_type, tuple(n.input), tuple(n.output)) for n in m.graph.node)  # noqa: E731
    assert key(restored) == key(y_x2)


@simulator_mark("verilator")
def test_simulated_depths_run_exact_at_two_sizes(y_x2):
    """Sized on one max-width frame; the sized graph, stitched as it is, streams frames of
    two other sizes exactly; the sized build is no slower than the deep one."""
    sized_model, sizing = size_fifos(y_x2, layer_dir("fifo_sizing"), MAX_WIDTH)
    assert sizing.frame == (FRAME, MAX_WIDTH)
    assert sizing.sized_interval <= sizing.deep_interval
    design = stitch(sized_model, layer_dir("fifo_sized") / "rtl", max_width=MAX_WIDTH)
    assert design.fifo_depths == sizing.depths
    binary = build_harness(design, layer_dir("fifo_sized"))
    for height, width in SIZES:
        frames = sizing_frames(y_x2, height, width, 2)
        outputs, _ = run_frames(y_x2, design, binary, frames)
        assert np.array_equal(outputs, golden_frames(y_x2, frames)), (height, width)


@simulator_mark("verilator")
def test_too_small_depth_in_the_graph_is_reported_as_deadlock(y_x2, with_fifos):
    model = ModelWrapper(with_fifos.model.model)
    layers = {inst.name: inst for inst in with_fifos.layers}
    skip = max(analytic_fifo_depths(y_x2, layers, MAX_WIDTH).items(), key=lambda kv: kv[1])[0]
    node = next(n for n in model.graph.node
                if stream_fifo.is_fifo(n) and stream_fifo.stream_tensor(model, n) == skip)
    node.attribute.remove(next(a for a in node.attribute if a.name == "depth"))
    node.attribute.append(helper.make_attribute("depth", 2))
    design = stitch(model, layer_dir("fifo_starved") / "rtl", max_width=MAX_WIDTH)
    assert design.fifo_depths[skip] == 2
    frames = sizing_frames(y_x2, *SIZES[0], 1)
    with pytest.raises(RuntimeError, match="harness deadlock .*no transfer for"):
        run_frames(y_x2, design, build_harness(design, layer_dir("fifo_starved")), frames)
