"""run_graph, tensor traces and first_divergence on multi-node FINN graphs."""
import numpy as np
import pytest
from onnx import helper

from sim.finn_models import (
    finn_execute,
    fm_padding_node,
    hw_node,
    make_model,
    mvau_node,
    random_activation,
    random_values,
    sliding_window_node,
)
from sim.golden.depth_to_space import depth_to_space_nhwc
from sim.golden.graph import UnsupportedNodeError, first_divergence, run_graph, tensor_order

H, W, C = 4, 5, 4
SHAPE = (1, H, W, C)


def same_conv3x3(inp: str, out: str, rng, idt: str, wdt: str, acc_range, out_channels: int):
    """'same' 3x3 conv as FINN lowers it: FMPadding -> ConvolutionInputGenerator -> MVAU.

    Binary (XNOR) when the weights are BINARY; thresholds give an INT4 output.
    Returns (nodes, intermediates, initializers).
    """
    pad, padded_dim = fm_padding_node(inp, f"{out}_padded", (H, W), (1, 1, 1, 1), C, idt, simd=2)
    swg, _ = sliding_window_node(f"{out}_padded", f"{out}_windows", padded_dim, (3, 3), C, idt,
                                 simd=2)
    weights = random_values(rng, wdt, (9 * C, out_channels))
    act = random_activation(rng, "int4", out_channels, *acc_range, fractional=True)
    mvau, initializers = mvau_node(f"{out}_windows", out, weights, wdt, idt, act.odt, (1, H, W),
                                   act.thresholds, act.act_val,
                                   binary_xnor=int(wdt == "BINARY"), simd=4, pe=2)
    intermediates = {f"{out}_padded": ((1, H + 2, W + 2, C), idt),
                     f"{out}_windows": ((1, H, W, 9 * C), idt)}
    return [pad, swg, mvau], intermediates, initializers


def conv_model(rng, binary: bool):
    """x -> same 3x3 conv (binary XNOR or integer) -> out, 6 output channels."""
    idt, wdt = ("BINARY", "BINARY") if binary else ("UINT2", "INT2")
    # UINT2 x INT2 over 36 terms: accumulators have mean -27 and deviation 13
    acc_range = (0, 9 * C) if binary else (-60, 10)
    nodes, intermediates, initializers = same_conv3x3("x", "out", rng, idt, wdt, acc_range, 6)
    model = make_model(nodes, {"x": (SHAPE, idt)}, {"out": ((1, H, W, 6), "INT4")},
                       intermediates, initializers)
    return model, {"x": random_values(rng, idt, SHAPE)}


def residual_block_model(rng):
    """The SR body block: x -> binarize -> binary 3x3 conv -> thresholds -> + x (integer)."""
    duplicate = hw_node("DuplicateStreams", ["x"], ["x_a", "x_skip"], NumChannels=C, PE=1,
                        NumOutputStreams=2, inputDataType="INT8", numInputVectors=[1, H, W])
    binarize = hw_node("Thresholding", ["x_a", "sign"], ["bits"], NumChannels=C, PE=1,
                       numSteps=1, inputDataType="INT8", weightDataType="INT8",
                       outputDataType="BINARY", ActVal=0, numInputVectors=[1, H, W])
    conv, intermediates, initializers = same_conv3x3("bits", "branch", rng, "BINARY", "BINARY",
                                                     (0, 9 * C), C)
    add = hw_node("ElementwiseAdd", ["branch", "x_skip"], ["out"], lhs_dtype="INT4",
                  rhs_dtype="INT8", out_dtype="INT9", lhs_shape=list(SHAPE),
                  rhs_shape=list(SHAPE), out_shape=list(SHAPE))
    intermediates.update({"x_a": (SHAPE, "INT8"), "x_skip": (SHAPE, "INT8"),
                          "bits": (SHAPE, "BINARY"), "branch": (SHAPE, "INT4")})
    initializers["sign"] = (random_values(rng, "INT4", (C, 1)), "INT8")
    model = make_model([duplicate, binarize, *conv, add], {"x": (SHAPE, "INT8")},
                       {"out": (SHAPE, "INT9")}, intermediates, initializers)
    return model, {"x": random_values(rng, "INT8", SHAPE)}


GRAPHS = {
    "binary_conv": lambda rng: conv_model(rng, binary=True),
    "integer_conv": lambda rng: conv_model(rng, binary=False),
    "residual_block": residual_block_model,
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("graph", list(GRAPHS))
def test_every_traced_tensor_matches_finn(graph, seed):
    model, inputs = GRAPHS[graph](np.random.default_rng(seed))
    golden = run_graph(model, inputs, trace=True)
    finn = finn_execute(model, inputs, full_context=True)
    order = tensor_order(model)
    assert list(golden) == order
    assert first_divergence(golden, finn, order) is None
    assert all(np.array_equal(golden[name], finn[name]) for name in order)
    assert all(golden[name].dtype == np.int64 for name in order)


def test_without_trace_only_graph_outputs_are_returned():
    model, inputs = residual_block_model(np.random.default_rng(0))
    assert list(run_graph(model, inputs)) == ["out"]


def test_nodes_need_not_be_sorted():
    model, inputs = residual_block_model(np.random.default_rng(0))
    expected = run_graph(model, inputs)["out"]
    nodes = list(model.graph.node)
    del model.graph.node[:]
    model.graph.node.extend(reversed(nodes))
    assert np.array_equal(run_graph(model, inputs)["out"], expected)


def test_specialized_hls_and_rtl_nodes_run_like_abstract_ones():
    model, inputs = conv_model(np.random.default_rng(0), binary=True)
    expected = run_graph(model, inputs)["out"]
    for node, backend in zip(model.graph.node, ["rtl", "rtl", "hls"]):
        node.op_type += f"_{backend}"
        node.domain += f".{backend}"
    assert np.array_equal(run_graph(model, inputs)["out"], expected)


def test_accepts_a_model_path(tmp_path):
    model, inputs = conv_model(np.random.default_rng(0), binary=False)
    model.save(str(tmp_path / "conv.onnx"))
    assert np.array_equal(run_graph(tmp_path / "conv.onnx", inputs)["out"],
                          run_graph(model, inputs)["out"])


def test_transpose_and_reshape_at_the_graph_boundary_match_finn():
    nchw = (1, C, H, W)
    nodes = [
        helper.make_node("Transpose", ["x"], ["x_nhwc"], perm=[0, 2, 3, 1]),
        hw_node("Thresholding", ["x_nhwc", "t"], ["act"], NumChannels=C, PE=1, numSteps=3,
                inputDataType="INT8", weightDataType="INT8", outputDataType="UINT2",
                numInputVectors=[1, H, W]),
        helper.make_node("Reshape", ["act", "shape"], ["out"]),
    ]
    rng = np.random.default_rng(0)
    thresholds = np.sort(random_values(rng, "INT8", (C, 3)), axis=1)
    model = make_model(nodes, {"x": (nchw, "INT8")}, {"out": ((1, H * W * C), "UINT2")},
                       {"x_nhwc": (SHAPE, "INT8"), "act": (SHAPE, "UINT2")},
                       {"t": (thresholds, "INT8")})
    model.set_initializer("shape", np.array([0, -1], dtype=np.int64))
    x = random_values(rng, "INT8", nchw)
    assert np.array_equal(run_graph(model, {"x": x})["out"], finn_execute(model, {"x": x})["out"])


def single_node_model(node, out_dtype="INT8"):
    return make_model([node], {"x": (SHAPE, "INT8")}, {"out": (SHAPE, out_dtype)})


@pytest.mark.parametrize("node", [
    hw_node("LabelSelect", ["x"], ["out"]),
    helper.make_node("Relu", ["x"], ["out"], name="relu0"),
    # plain ONNX DepthToSpace works on NCHW: only the NHWC HW op maps to the golden kernel
    helper.make_node("DepthToSpace", ["x"], ["out"], name="d2s_onnx", blocksize=2),
], ids=lambda node: node.op_type)
def test_unknown_op_types_raise_naming_the_node(node):
    with pytest.raises(UnsupportedNodeError) as error:
        run_graph(single_node_model(node), {"x": np.zeros(SHAPE)})
    assert repr(node.name) in str(error.value) and repr(node.op_type) in str(error.value)


def test_depth_to_space_hw_layer_runs_the_shared_kernel_like_finn():
    block, channels = 2, 3
    node = helper.make_node("DepthToSpace", ["x"], ["out"], name="d2s",
                            domain="export.custom_op.fpgadataflow", backend="fpgadataflow",
                            ImgDim=[H, W], NumChannels=channels, BlockSize=block,
                            inputDataType="UINT8")
    lr_shape, hr_shape = (1, H, W, channels * block**2), (1, H * block, W * block, channels)
    model = make_model([node], {"x": (lr_shape, "UINT8")}, {"out": (hr_shape, "UINT8")})
    x = random_values(np.random.default_rng(0), "UINT8", lr_shape)
    golden = run_graph(model, {"x": x})["out"]
    assert np.array_equal(golden, depth_to_space_nhwc(x, block))
    assert np.array_equal(golden, finn_execute(model, {"x": x})["out"])


def test_values_outside_their_datatype_are_rejected():
    node = hw_node("StreamingFIFO", ["x"], ["out"], depth=2, folded_shape=[*SHAPE[:-1], 1, C],
                   normal_shape=list(SHAPE), dataType="INT8")
    with pytest.raises(ValueError, match="graph input 'x'.*INT8"):
        run_graph(single_node_model(node), {"x": np.full(SHAPE, 128)})
    narrow = single_node_model(node, out_dtype="INT4")
    with pytest.raises(ValueError, match="node 'StreamingFIFO_out' output 'out'.*INT4"):
        run_graph(narrow, {"x": np.full(SHAPE, 8)})


def test_bad_inputs_are_rejected():
    node = hw_node("StreamingFIFO", ["x"], ["out"], depth=2, folded_shape=[*SHAPE[:-1], 1, C],
                   normal_shape=list(SHAPE), dataType="INT8")
    model = single_node_model(node)
    with pytest.raises(KeyError, match="graph input 'x'"):
        run_graph(model, {})
    with pytest.raises(ValueError, match="shape"):
        run_graph(model, {"x": np.zeros((1, H * W * C))})
    with pytest.raises(ValueError, match="non-integer"):
        run_graph(model, {"x": np.full(SHAPE, 0.5)})


def test_first_divergence_reports_the_earliest_differing_tensor():
    model, inputs = residual_block_model(np.random.default_rng(0))
    golden = run_graph(model, inputs, trace=True)
    order = tensor_order(model)
    other = dict(golden)
    other["bits"] = 1 - golden["bits"]
    other["out"] = golden["out"] + 1
    other["branch"] = golden["branch"].copy()
    other["branch"][0, 1, 2, :2] += 1
    assert first_divergence(golden, other, order) == ("bits", golden["bits"].size)
    del other["bits"]  # a tensor the testbench did not probe is skipped
    assert first_divergence(golden, other, order) == ("branch", 2)


def test_first_divergence_compares_folded_shapes_flat_and_counts_size_mismatches():
    golden = {"a": np.arange(12).reshape(1, 2, 6), "b": np.zeros(4)}
    folded = {"a": np.arange(12).reshape(1, 2, 3, 2), "b": np.zeros(5)}
    assert first_divergence(golden, folded, ["a", "b"]) == ("b", 5)
    assert first_divergence(golden, {"a": folded["a"]}, ["a", "b"]) is None
