"""Run a FINN dataflow graph node by node with the golden kernels.

Tensors hold the values of their FINN DataType (BIPOLAR as {-1, +1}), so inputs,
outputs and traces compare directly with FINN's own execution. Between nodes they are
stored narrow (``encoding.storage_dtype``), so a whole video frame fits in memory;
what ``run_graph`` returns is int64.
Node attributes are read straight from the ONNX protobuf, with FINN's defaults for
optional ones, so running a graph never imports FINN (whose import pulls in torch).
"""
from collections.abc import Iterable
from os import PathLike

import numpy as np
from onnx import GraphProto, NodeProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

from hw.graph import op_kind, topological_nodes
from sim.golden.depth_to_space import depth_to_space_nhwc
from sim.golden.encoding import (BIPOLAR, bits_to_values, check_values, storage_dtype, to_int64,
                                 values_to_bits)
from sim.golden.int_mvau import int_mvau
from sim.golden.sliding_window import fm_padding, im2col
from sim.golden.streams import add_streams, duplicate_streams, pass_through
from sim.golden.thresholding import multi_threshold
from sim.golden.xnor_mvau import xnor_mvau
from train.cli import UserError

_ONNX_DOMAINS = ("", "ai.onnx")
_REQUIRED = object()


class UnsupportedNodeError(UserError, NotImplementedError):
    """The golden model has no kernel for this node's op type (a user error: the graph
    holds a layer the flow does not support; the message names it)."""

    def __init__(self, node: NodeProto):
        super().__init__(
            f"golden model cannot run node {node.name!r}: op type {node.op_type!r} "
            f"(domain {node.domain!r}) is not supported"
        )
        self.node = node


def _integer(values: dict, name: str) -> np.ndarray:
    """Tensor ``name``: an integer array as stored, a float one (an initializer) as int64."""
    value = values[name]
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.integer):
        return value
    return to_int64(value, f"tensor {name!r}")


def _attr(node: NodeProto, name: str, default=_REQUIRED):
    """Attribute ``name`` of ``node``, or ``default`` if absent (FINN's default when optional)."""
    for attr in node.attribute:
        if attr.name == name:
            value = helper.get_attribute_value(attr)
            return value.decode() if isinstance(value, bytes) else value
    if default is _REQUIRED:
        raise ValueError(f"node {node.name!r} ({node.op_type}) lacks attribute {name!r}")
    return default


def _dtype(node: NodeProto, name: str) -> DataType:
    return DataType[_attr(node, name)]


def _mvau(node: NodeProto, values: dict) -> tuple:
    idt, wdt = _dtype(node, "inputDataType"), _dtype(node, "weightDataType")
    odt = _dtype(node, "outputDataType")
    x, weights = _integer(values, node.input[0]), _integer(values, node.input[1])
    thresholds = None if _attr(node, "noActivation", 0) else values[node.input[2]]
    # FINN's MVAU ignores ActVal for a bipolar output (count c -> 2c - 1), unlike Thresholding
    act_val = 0 if odt == BIPOLAR else _attr(node, "ActVal", 0)
    # FINN also takes the XNOR path when both operands are bipolar without the flag
    if _attr(node, "binaryXnorMode", 0) or idt == wdt == BIPOLAR:
        out = xnor_mvau(values_to_bits(x, idt), values_to_bits(weights, wdt), thresholds, act_val)
    else:
        out = int_mvau(x, weights, thresholds, act_val)
    return (bits_to_values(out, odt),)


def _thresholding(node: NodeProto, values: dict) -> tuple:
    x, thresholds = _integer(values, node.input[0]), values[node.input[1]]
    counts = multi_threshold(x, thresholds, _attr(node, "ActVal", 0))
    return (bits_to_values(counts, _dtype(node, "outputDataType")),)


def _fm_padding(node: NodeProto, values: dict) -> tuple:
    # the hardware inserts all-zero bits, which encode -1 for BIPOLAR
    pad_value = int(bits_to_values(0, _dtype(node, "inputDataType")))
    return (fm_padding(_integer(values, node.input[0]), _attr(node, "Padding"), pad_value),)


def _convolution_input_generator(node: NodeProto, values: dict) -> tuple:
    kernel, stride = _attr(node, "ConvKernelDim"), _attr(node, "Stride")
    return (im2col(_integer(values, node.input[0]), kernel, stride, _attr(node, "Dilation")),)


def _duplicate_streams(node: NodeProto, values: dict) -> tuple:
    return duplicate_streams(_integer(values, node.input[0]), len(node.output))


def _add_streams(node: NodeProto, values: dict) -> tuple:
    return (add_streams(_integer(values, node.input[0]), _integer(values, node.input[1])),)


def _fifo(node: NodeProto, values: dict) -> tuple:
    return (pass_through(_integer(values, node.input[0])),)


def _data_width_converter(node: NodeProto, values: dict) -> tuple:
    # a DWC regroups bits between words: its tensor keeps the input's shape (FINN's
    # inShape == outShape); not read from the node, which holds the graph's frame size
    return (pass_through(_integer(values, node.input[0])),)


def _depth_to_space(node: NodeProto, values: dict) -> tuple:
    return (depth_to_space_nhwc(_integer(values, node.input[0]), _attr(node, "BlockSize")),)


def _transpose(node: NodeProto, values: dict) -> tuple:
    return (np.transpose(_integer(values, node.input[0]), _attr(node, "perm", None)),)


def _reshape(node: NodeProto, values: dict) -> tuple:
    x = _integer(values, node.input[0])
    # ONNX Reshape: a 0 keeps the input's size on that axis
    shape = [x.shape[axis] if size == 0 else size
             for axis, size in enumerate(_integer(values, node.input[1]).tolist())]
    return (x.reshape(shape),)


# keyed by op kind (hw.graph.op_kind), as the RTL layers and folding rules
_HW_KERNELS = {
    "MVAU": _mvau,
    "Thresholding": _thresholding,
    "FMPadding": _fm_padding,
    "ConvolutionInputGenerator": _convolution_input_generator,
    "DuplicateStreams": _duplicate_streams,
    "AddStreams": _add_streams,
    "ElementwiseAdd": _add_streams,
    "StreamingFIFO": _fifo,
    "StreamingDataWidthConverter": _data_width_converter,
    "DepthToSpace": _depth_to_space,
}
# plain ONNX ops, which may sit at the boundary of the dataflow graph
_ONNX_KERNELS = {"Transpose": _transpose, "Reshape": _reshape}


def _kernel_for(node: NodeProto):
    if node.domain in _ONNX_DOMAINS:
        kernel = _ONNX_KERNELS.get(node.op_type)
    else:
        kernel = _HW_KERNELS.get(op_kind(node))
    if kernel is None:
        raise UnsupportedNodeError(node)
    return kernel


def _activation_inputs(graph: GraphProto) -> list[str]:
    initializers = {t.name for t in graph.initializer}
    return [t.name for t in graph.input if t.name not in initializers]


def tensor_order(model: ModelWrapper) -> list[str]:
    """Graph inputs, then every node output in execution order: the ``order`` of a trace."""
    node_outputs = [name for node in topological_nodes(model.graph) for name in node.output]
    return _activation_inputs(model.graph) + node_outputs


def _graph_input(model: ModelWrapper, name: str, inputs: dict, any_frame_size: bool) -> np.ndarray:
    if name not in inputs:
        raise KeyError(f"no value given for graph input {name!r}")
    x = to_int64(inputs[name], f"graph input {name!r}")
    expected = tuple(model.get_tensor_shape(name))
    # NHWC: with any_frame_size only batch and channels must match
    compared = [0, len(expected) - 1] if any_frame_size else range(len(expected))
    if x.ndim != len(expected) or any(x.shape[i] != expected[i] for i in compared):
        raise ValueError(f"graph input {name!r} has shape {x.shape}, the model expects {expected}")
    check_values(x, model.get_tensor_datatype(name), f"graph input {name!r}")
    return x


def run_graph(
    model: ModelWrapper | str | PathLike, inputs: dict[str, np.ndarray], trace: bool = False,
    any_frame_size: bool = False,
) -> dict[str, np.ndarray]:
    """Execute a FINN dataflow graph with the golden kernels.

    model: a ModelWrapper or the path of an .onnx file.
    inputs: graph input name -> array of its DataType's values (floats must be integral).
    trace: return every graph input and node output (see ``tensor_order``), not only
    the graph outputs.
    any_frame_size: accept NHWC frames of any height and width. The kernels only use
    kernel sizes, paddings and block sizes, so this is the same network applied to a
    whole image: the reference for tiled processing.
    Returns name -> int64 array (read-only by convention: duplicated streams share one).
    Raises UnsupportedNodeError for a node without kernel and ValueError when a tensor
    leaves the range of its annotated DataType.
    """
    if not isinstance(model, ModelWrapper):
        model = ModelWrapper(str(model))
    graph = model.graph
    values = {t.name: model.get_initializer(t.name) for t in graph.initializer}
    values.update({name: _graph_input(model, name, inputs, any_frame_size)
                   for name in _activation_inputs(graph)})
    for node in topological_nodes(graph):
        for name, value in zip(node.output, _kernel_for(node)(node, values)):
            where = f"node {node.name!r} output {name!r}"
            dtype = model.get_tensor_datatype(name)
            check_values(value, dtype, where)
            values[name] = value.astype(storage_dtype(dtype), copy=False)
    names = tensor_order(model) if trace else [t.name for t in graph.output]
    return {name: values[name].astype(np.int64, copy=False) for name in names}


def first_divergence(
    golden_trace: dict[str, np.ndarray], other_trace: dict[str, np.ndarray], order: Iterable[str]
) -> tuple[str, int] | None:
    """The first tensor in ``order`` whose values differ, with its count of differing elements.

    Tensors absent from either trace are skipped (a testbench may probe only some).
    Arrays of equal size are compared flat, so folded shapes match their normal ones;
    a size mismatch counts every element of the larger one. None if nothing differs.
    """
    for name in order:
        if name not in golden_trace or name not in other_trace:
            continue
        golden, other = np.asarray(golden_trace[name]), np.asarray(other_trace[name])
        if golden.size != other.size:
            return name, max(golden.size, other.size)
        n_differing = int(np.count_nonzero(golden.reshape(-1) != other.reshape(-1)))
        if n_differing:
            return name, n_differing
    return None
