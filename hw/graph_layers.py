"""FINN dataflow-graph nodes -> RTL layer instances (the RTL backend of each node kind).

Each adapter reads a node's FINN attributes and initializers and calls the generator
or parameter function of its layer kind in ``hw/``; the result is an ``Instance``:
module, parameters, sources, stream formats of its ports and expected cycles.
"""
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.custom_op.registry import getCustomOp

from hw import (depth_to_space, duplicate_streams, elementwise_add, fmpadding, mvau,
                sliding_window, thresholding)
from hw.graph import op_kind
from hw.stream import StreamFormat
from train.cli import UserError

BIPOLAR = DataType["BIPOLAR"]


@dataclass(frozen=True)
class Port:
    """One AXI-Stream port of an instance: FINN name (in0_V ...), tensor, format."""

    name: str
    tensor: str
    stream: StreamFormat


@dataclass
class Instance:
    name: str
    module: str
    parameters: dict
    sources: list
    inputs: list
    outputs: list
    exp_cycles: int
    kind: str = ""
    extra_ports: dict = field(default_factory=dict)  # e.g. a FIFO's fill count, left open


class UnsupportedLayerError(UserError):
    """A node of the dataflow graph has no RTL layer."""


def _stream(model, tensor, per_word):
    dtype = model.get_tensor_datatype(tensor)
    return StreamFormat(dtype.bitwidth(), per_word, signed=dtype.signed())


def _raw_port(model, name, tensor, per_word):
    """Port of a hand-written module: TDATA is exactly per_word elements wide."""
    return Port(name, tensor, _stream(model, tensor, per_word).unpadded())


def _generated(layer, node, exp_cycles, kind):
    """Instance of a generated wrapper (ports padded to whole bytes, as FINN does)."""
    return Instance(
        name=node.name, module=layer.name, parameters={}, sources=list(layer.sources),
        inputs=[Port("in0_V", node.input[0], layer.in_stream)],
        outputs=[Port("out0_V", node.output[0], layer.out_stream)],
        exp_cycles=exp_cycles, kind=kind)


def _vectors(op):
    return int(np.prod(op.get_nodeattr("numInputVectors")))


def _mvau(node, model, out_dir):
    op = getCustomOp(node)
    simd, pe = op.get_nodeattr("SIMD"), op.get_nodeattr("PE")
    mw, mh = op.get_nodeattr("MW"), op.get_nodeattr("MH")
    idt, odt = op.get_input_datatype(), op.get_output_datatype()
    weights = model.get_initializer(node.input[1]).astype(np.int64)
    thresholds = None if op.get_nodeattr("noActivation") else model.get_initializer(node.input[2])
    # as in the golden model: a bipolar output ignores ActVal (count c -> 2c - 1)
    act_val = 0 if odt == BIPOLAR else op.get_nodeattr("ActVal")
    common = dict(simd=simd, pe=pe, out_dir=out_dir, act_val=act_val, out_bits=odt.bitwidth())
    binary = bool(op.get_nodeattr("binaryXnorMode"))
    if binary:
        layer = mvau.generate_xnor_mvau(node.name, weights, thresholds, **common)
        kind = "binary MVAU"
    else:
        layer = mvau.generate_int_mvau(node.name, weights, thresholds, in_bits=idt.bitwidth(),
                                       in_signed=idt.signed(), **common)
        kind = "integer MVAU"
    cycles = mvau.expected_cycles(mw, mh, simd, pe, layer.parameters["T"], _vectors(op),
                                  binary=binary)
    return _generated(layer, node, cycles, kind)


def _thresholding(node, model, out_dir):
    op = getCustomOp(node)
    channels, pe = op.get_nodeattr("NumChannels"), op.get_nodeattr("PE")
    idt, odt = op.get_input_datatype(), op.get_output_datatype()
    layer = thresholding.generate_thresholding(
        node.name, model.get_initializer(node.input[1]), channels=channels, pe=pe,
        in_bits=idt.bitwidth(), in_signed=idt.signed(), out_dir=out_dir,
        act_val=op.get_nodeattr("ActVal"), out_bits=odt.bitwidth())
    cycles = thresholding.expected_cycles(channels, pe, layer.parameters["T"], _vectors(op))
    return _generated(layer, node, cycles, "Thresholding")


def _raw(node, model, module, parameters, sources, per_word, exp_cycles, kind,
         out_per_word=None, extra_ports=None):
    """Instance of a hand-written module with one input and one output stream, of
    ``per_word`` elements per word (the output ``out_per_word`` if given)."""
    return Instance(
        name=node.name, module=module, parameters=parameters, sources=list(sources),
        inputs=[_raw_port(model, "in0_V", node.input[0], per_word)],
        outputs=[_raw_port(model, "out0_V", node.output[0], out_per_word or per_word)],
        exp_cycles=exp_cycles, kind=kind, extra_ports=extra_ports or {})


def _fmpadding(node, model, out_dir):
    op = getCustomOp(node)
    (h, w), c, simd = op.get_nodeattr("ImgDim"), op.get_nodeattr("NumChannels"), \
        op.get_nodeattr("SIMD")
    padding = list(op.get_nodeattr("Padding"))
    bits = op.get_input_datatype().bitwidth()
    return _raw(node, model, fmpadding.MODULE,
                fmpadding.rtl_parameters(h, w, c, simd, bits, padding), fmpadding.SOURCES, simd,
                fmpadding.expected_cycles(h, w, c, simd, padding), "FMPadding")


def _sliding_window(node, model, out_dir):
    """The parallel-window RTL when the node's ``parallel_window`` is set, else the folded one."""
    op = getCustomOp(node)
    kh, kw = op.get_nodeattr("ConvKernelDim")
    if list(op.get_nodeattr("Stride")) != [1, 1] or list(op.get_nodeattr("Dilation")) != [1, 1]:
        raise UnsupportedLayerError(f"{node.name}: the sliding window RTL supports stride 1 "
                                    "and dilation 1 only")
    h, w = op.get_nodeattr("IFMDim")
    c, simd = op.get_nodeattr("IFMChannels"), op.get_nodeattr("SIMD")
    bits = op.get_input_datatype().bitwidth()
    if op.get_nodeattr("parallel_window"):
        return _parallel_window(node, model, (h, w), c, simd, bits, (kh, kw))
    if kh != kw:
        raise UnsupportedLayerError(f"{node.name}: the folded sliding window RTL supports "
                                    f"square kernels only, not {kh}x{kw}; parallel_window=1 "
                                    "takes any")
    return _raw(node, model, sliding_window.MODULE,
                sliding_window.rtl_parameters(h, w, c, simd, bits, kh), sliding_window.SOURCES,
                simd, sliding_window.expected_cycles(h, w, c, simd, kh), "ConvolutionInputGenerator")


def _parallel_window(node, model, size, channels, simd, bits, kernel):
    """One window per word. Built for the graph's width, its run-time size ports tied to
    the graph's size (until the top level carries frame_w/frame_h: then frame size +
    this layer's offset, see notes/frame_contract)."""
    (h, w), kind = size, "ConvolutionInputGenerator"
    try:
        sliding_window.check_parallel(h, w, w, channels, simd, kernel)
    except ValueError as error:
        raise UnsupportedLayerError(f"{node.name}: {error}") from None
    return _raw(node, model, sliding_window.PARALLEL_MODULE,
                sliding_window.parallel_rtl_parameters(w, channels, bits, kernel),
                sliding_window.PARALLEL_SOURCES, channels,
                sliding_window.parallel_expected_cycles(h, w), kind,
                out_per_word=sliding_window.window_elems(channels, kernel),
                extra_ports={"in_w": f"16'd{w}", "in_h": f"16'd{h}"})


def _depth_to_space(node, model, out_dir):
    op = getCustomOp(node)
    h, w = op.get_nodeattr("ImgDim")
    c, block, simd = (op.get_nodeattr(k) for k in ("NumChannels", "BlockSize", "SIMD"))
    bits = op.get_input_datatype().bitwidth()
    return _raw(node, model, depth_to_space.MODULE,
                depth_to_space.rtl_parameters(h, w, c, block, simd, bits), depth_to_space.SOURCES,
                simd, depth_to_space.expected_cycles(h, w, c, block, simd), "DepthToSpace")


def _pixels_and_channels(model, tensor):
    *pixels, channels = model.get_tensor_shape(tensor)
    return int(np.prod(pixels)), channels


def _duplicate_streams(node, model, out_dir):
    op = getCustomOp(node)
    pe, n_out = op.get_nodeattr("PE"), len(node.output)
    pixels, channels = _pixels_and_channels(model, node.input[0])
    bits = op.get_input_datatype().bitwidth()
    parameters = duplicate_streams.rtl_parameters(channels, pe, bits, n_out)
    return Instance(
        name=node.name, module=duplicate_streams.wrapper_module(n_out), parameters=parameters,
        sources=duplicate_streams.write_wrapper(n_out, out_dir),
        inputs=[_raw_port(model, "in0_V", node.input[0], pe)],
        outputs=[_raw_port(model, f"out{i}_V", t, pe) for i, t in enumerate(node.output)],
        exp_cycles=duplicate_streams.expected_cycles(pixels, 1, channels, pe),
        kind="DuplicateStreams")


def _elementwise_add(node, model, out_dir):
    op = getCustomOp(node)
    pe = op.get_nodeattr("PE")
    a, b = (model.get_tensor_datatype(t) for t in node.input)
    out = model.get_tensor_datatype(node.output[0])
    parameters = elementwise_add.rtl_parameters(model.get_tensor_shape(node.input[0])[-1], pe,
                                                a.bitwidth(), a.signed(), b.bitwidth(), b.signed())
    if parameters["OUT_BITS"] != out.bitwidth() or \
            model.get_tensor_shape(node.input[0]) != model.get_tensor_shape(node.input[1]):
        raise UnsupportedLayerError(
            f"{node.name}: the add RTL needs equal input shapes and an output of "
            f"{parameters['OUT_BITS']} bits for {a.name} + {b.name}, the graph has {out.name}")
    pixels, channels = _pixels_and_channels(model, node.input[0])
    return Instance(
        name=node.name, module=elementwise_add.MODULE, parameters=parameters,
        sources=list(elementwise_add.SOURCES),
        inputs=[_raw_port(model, f"in{i}_V", t, pe) for i, t in enumerate(node.input)],
        outputs=[_raw_port(model, "out0_V", node.output[0], pe)],
        exp_cycles=elementwise_add.expected_cycles(pixels, 1, channels, pe),
        kind="ElementwiseAdd")


ADAPTERS = {
    "MVAU": _mvau,
    "Thresholding": _thresholding,
    "FMPadding": _fmpadding,
    "ConvolutionInputGenerator": _sliding_window,
    "DepthToSpace": _depth_to_space,
    "DuplicateStreams": _duplicate_streams,
    "ElementwiseAdd": _elementwise_add,
}


def instance_for(node, model, out_dir: Path) -> Instance:
    """The RTL instance of dataflow node ``node``; UnsupportedLayerError if none exists."""
    adapter = ADAPTERS.get(op_kind(node))
    if adapter is None:
        raise UnsupportedLayerError(
            f"{node.name}: no RTL layer for op type {node.op_type}; supported: "
            f"{', '.join(sorted(ADAPTERS))}")
    return adapter(node, model, Path(out_dir))
