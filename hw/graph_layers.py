"""FINN dataflow-graph nodes -> RTL layer instances (the RTL backend of each node kind).

Each adapter reads a node's FINN attributes and initializers and calls the generator
or parameter function of its layer kind in ``hw/``; the result is an ``Instance``:
module, parameters, sources, stream formats of its ports and expected cycles.

The graph is built for one small verification frame; the hardware streams LR frames of
any size up to ``Frame.max_width`` pixels wide, set at run time. Every layer's input
size is the LR frame size plus a constant offset, its graph size minus the graph
input's (an SWG after 1-pixel padding: +2), so an instance knows its cycles at any LR
frame size (``cycles_at``) and, if it is a spatial core with run-time size ports
(in_w, in_h), its ``size_offset``.
"""
from collections.abc import Callable
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
    exp_cycles: int  # cycles of one frame of the graph's size (cycles_at that size)
    kind: str = ""
    extra_ports: dict = field(default_factory=dict)  # e.g. a FIFO's fill count, left open
    # cycles of one frame at run-time LR size (height, width); None: moves no frames itself
    cycles_at: Callable[[int, int], int] | None = None
    # (rows, columns) its in_h/in_w ports add to the LR frame size; None: no size ports
    size_offset: tuple[int, int] | None = None


@dataclass(frozen=True)
class Frame:
    """The graph's LR input frame (height, width) and the widest LR frame the hardware takes."""

    height: int
    width: int
    max_width: int

    @classmethod
    def of(cls, model, max_width: int | None = None) -> "Frame":
        """The frame of ``model``'s input; max_width defaults to the graph's width."""
        _, height, width, _ = model.get_tensor_shape(model.graph.input[0].name)
        max_width = width if max_width is None else max_width
        if max_width < 1:
            raise ValueError(f"max_width {max_width} is not a positive number of pixels")
        return cls(height, width, max_width)

    def offset(self, dims) -> tuple[int, int]:
        """(rows, columns) a layer of graph size ``dims`` (height, width) adds to the frame."""
        return int(dims[0]) - self.height, int(dims[1]) - self.width

    def pixels(self, dims) -> Callable[[int, int], int]:
        """Pixels of a layer of graph size ``dims`` at run-time LR size (height, width)."""
        rows, cols = self.offset(dims)
        return lambda height, width: (height + rows) * (width + cols)

    def layer_max_width(self, dims) -> int:
        """The widest input of a layer of graph size ``dims``."""
        return self.max_width + self.offset(dims)[1]


class UnsupportedLayerError(UserError):
    """A node of the dataflow graph has no RTL layer."""


def _stream(model, tensor, per_word):
    dtype = model.get_tensor_datatype(tensor)
    return StreamFormat(dtype.bitwidth(), per_word, signed=dtype.signed())


def _raw_port(model, name, tensor, per_word):
    """Port of a hand-written module: TDATA is exactly per_word elements wide."""
    return Port(name, tensor, _stream(model, tensor, per_word).unpadded())


def _graph_cycles(frame: Frame, cycles_at) -> int:
    return cycles_at(frame.height, frame.width)


def _generated(layer, node, frame, cycles_at, kind):
    """Instance of a generated wrapper (ports padded to whole bytes, as FINN does)."""
    return Instance(
        name=node.name, module=layer.name, parameters={}, sources=list(layer.sources),
        inputs=[Port("in0_V", node.input[0], layer.in_stream)],
        outputs=[Port("out0_V", node.output[0], layer.out_stream)],
        exp_cycles=_graph_cycles(frame, cycles_at), kind=kind, cycles_at=cycles_at)


def _vectors(op, frame: Frame):
    """Input vectors of an MVAU or Thresholding at run-time LR size: (h, w) -> count."""
    *_, height, width = op.get_nodeattr("numInputVectors")
    return frame.pixels((height, width))


def _mvau(node, model, out_dir, frame):
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
        res_type = op.get_nodeattr("resType")
        layer = mvau.generate_int_mvau(node.name, weights, thresholds, in_bits=idt.bitwidth(),
                                       in_signed=idt.signed(), res_type=res_type, **common)
        kind = mvau.INT_KINDS[mvau.product_style(res_type, simd, pe, mw, mh)]
    vectors = _vectors(op, frame)
    return _generated(layer, node, frame,
                      lambda h, w: mvau.layer_expected_cycles(layer, vectors(h, w)), kind)


def _thresholding(node, model, out_dir, frame):
    op = getCustomOp(node)
    channels, pe = op.get_nodeattr("NumChannels"), op.get_nodeattr("PE")
    idt, odt = op.get_input_datatype(), op.get_output_datatype()
    layer = thresholding.generate_thresholding(
        node.name, model.get_initializer(node.input[1]), channels=channels, pe=pe,
        in_bits=idt.bitwidth(), in_signed=idt.signed(), out_dir=out_dir,
        act_val=op.get_nodeattr("ActVal"), out_bits=odt.bitwidth())
    vectors, steps = _vectors(op, frame), layer.parameters["T"]
    return _generated(layer, node, frame, lambda h, w: thresholding.expected_cycles(
        channels, pe, steps, vectors(h, w)), "Thresholding")


def _spatial(node, model, frame, dims, module, parameters, sources, per_word, cycles, kind,
             out_per_word=None):
    """Instance of a hand-written spatial core (one stream in and out, run-time size ports
    in_w/in_h) whose input is ``dims`` (height, width) in the graph; ``cycles(h, w)`` is its
    cycle model at input size h x w. Words carry ``per_word`` elements (the output's
    ``out_per_word`` if given)."""
    rows, cols = frame.offset(dims)
    cycles_at = lambda h, w: cycles(h + rows, w + cols)  # noqa: E731
    return Instance(
        name=node.name, module=module, parameters=parameters, sources=list(sources),
        inputs=[_raw_port(model, "in0_V", node.input[0], per_word)],
        outputs=[_raw_port(model, "out0_V", node.output[0], out_per_word or per_word)],
        exp_cycles=_graph_cycles(frame, cycles_at), kind=kind, cycles_at=cycles_at,
        size_offset=(rows, cols))


def _fmpadding(node, model, out_dir, frame):
    op = getCustomOp(node)
    dims, c, simd = op.get_nodeattr("ImgDim"), op.get_nodeattr("NumChannels"), \
        op.get_nodeattr("SIMD")
    padding = list(op.get_nodeattr("Padding"))
    bits = op.get_input_datatype().bitwidth()
    return _spatial(node, model, frame, dims, fmpadding.MODULE,
                    fmpadding.rtl_parameters(frame.layer_max_width(dims), c, simd, bits, padding),
                    fmpadding.SOURCES, simd,
                    lambda h, w: fmpadding.expected_cycles(h, w, c, simd, padding), "FMPadding")


def _sliding_window(node, model, out_dir, frame):
    """The parallel-window RTL when the node's ``parallel_window`` is set, else the folded one."""
    op = getCustomOp(node)
    kh, kw = op.get_nodeattr("ConvKernelDim")
    if list(op.get_nodeattr("Stride")) != [1, 1] or list(op.get_nodeattr("Dilation")) != [1, 1]:
        raise UnsupportedLayerError(f"{node.name}: the sliding window RTL supports stride 1 "
                                    "and dilation 1 only")
    dims = op.get_nodeattr("IFMDim")
    c, simd = op.get_nodeattr("IFMChannels"), op.get_nodeattr("SIMD")
    bits = op.get_input_datatype().bitwidth()
    if op.get_nodeattr("parallel_window"):
        return _parallel_window(node, model, frame, dims, c, simd, bits, (kh, kw))
    if kh != kw:
        raise UnsupportedLayerError(f"{node.name}: the folded sliding window RTL supports "
                                    f"square kernels only, not {kh}x{kw}; parallel_window=1 "
                                    "takes any")
    return _spatial(node, model, frame, dims, sliding_window.MODULE,
                    sliding_window.rtl_parameters(frame.layer_max_width(dims), c, simd, bits, kh),
                    sliding_window.SOURCES, simd,
                    lambda h, w: sliding_window.expected_cycles(h, w, c, simd, kh),
                    "ConvolutionInputGenerator")


def _parallel_window(node, model, frame, dims, channels, simd, bits, kernel):
    """One whole window per word, for inputs up to the layer's maximum width."""
    max_w = frame.layer_max_width(dims)
    try:
        sliding_window.check_parallel(*dims, max_w, channels, simd, kernel)
    except ValueError as error:
        raise UnsupportedLayerError(f"{node.name}: {error}") from None
    return _spatial(node, model, frame, dims, sliding_window.PARALLEL_MODULE,
                    sliding_window.parallel_rtl_parameters(max_w, channels, bits, kernel),
                    sliding_window.PARALLEL_SOURCES, channels,
                    lambda h, w: sliding_window.expected_cycles(h, w, channels, channels, kernel,
                                                                parallel_window=True),
                    "ConvolutionInputGenerator",
                    out_per_word=sliding_window.window_elems(channels, kernel))


def _depth_to_space(node, model, out_dir, frame):
    """SIMD elements per input word, the op's output width (OutSIMD, P*C for P HR pixels)
    per output word."""
    op = getCustomOp(node)
    dims = op.get_nodeattr("ImgDim")
    c, block, simd = (op.get_nodeattr(k) for k in ("NumChannels", "BlockSize", "SIMD"))
    out_simd = op.get_out_simd()
    bits = op.get_input_datatype().bitwidth()
    return _spatial(node, model, frame, dims, depth_to_space.MODULE,
                    depth_to_space.rtl_parameters(frame.layer_max_width(dims), c, block, simd,
                                                  out_simd, bits),
                    depth_to_space.SOURCES, simd,
                    lambda h, w: depth_to_space.expected_cycles(h, w, c, block, simd, out_simd),
                    "DepthToSpace", out_per_word=out_simd)


def _pixels_and_channels(model, tensor, frame):
    """Pixels of NHWC ``tensor`` at run-time LR size ((h, w) -> count), and its channels."""
    _, height, width, channels = model.get_tensor_shape(tensor)
    return frame.pixels((height, width)), channels


def _duplicate_streams(node, model, out_dir, frame):
    op = getCustomOp(node)
    pe, n_out = op.get_nodeattr("PE"), len(node.output)
    pixels, channels = _pixels_and_channels(model, node.input[0], frame)
    bits = op.get_input_datatype().bitwidth()
    parameters = duplicate_streams.rtl_parameters(channels, pe, bits, n_out)
    cycles_at = lambda h, w: duplicate_streams.expected_cycles(pixels(h, w), 1, channels, pe)  # noqa: E731
    return Instance(
        name=node.name, module=duplicate_streams.wrapper_module(n_out), parameters=parameters,
        sources=duplicate_streams.write_wrapper(n_out, out_dir),
        inputs=[_raw_port(model, "in0_V", node.input[0], pe)],
        outputs=[_raw_port(model, f"out{i}_V", t, pe) for i, t in enumerate(node.output)],
        exp_cycles=cycles_at(frame.height, frame.width), kind="DuplicateStreams",
        cycles_at=cycles_at)


def _elementwise_add(node, model, out_dir, frame):
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
    pixels, channels = _pixels_and_channels(model, node.input[0], frame)
    cycles_at = lambda h, w: elementwise_add.expected_cycles(pixels(h, w), 1, channels, pe)  # noqa: E731
    return Instance(
        name=node.name, module=elementwise_add.MODULE, parameters=parameters,
        sources=list(elementwise_add.SOURCES),
        inputs=[_raw_port(model, f"in{i}_V", t, pe) for i, t in enumerate(node.input)],
        outputs=[_raw_port(model, "out0_V", node.output[0], pe)],
        exp_cycles=cycles_at(frame.height, frame.width), kind="ElementwiseAdd",
        cycles_at=cycles_at)


ADAPTERS = {
    "MVAU": _mvau,
    "Thresholding": _thresholding,
    "FMPadding": _fmpadding,
    "ConvolutionInputGenerator": _sliding_window,
    "DepthToSpace": _depth_to_space,
    "DuplicateStreams": _duplicate_streams,
    "ElementwiseAdd": _elementwise_add,
}


def instance_for(node, model, out_dir: Path, frame: Frame | None = None) -> Instance:
    """The RTL instance of dataflow node ``node`` for LR frames up to ``frame.max_width``
    (default: the graph's frame); UnsupportedLayerError if none exists."""
    adapter = ADAPTERS.get(op_kind(node))
    if adapter is None:
        raise UnsupportedLayerError(
            f"{node.name}: no RTL layer for op type {node.op_type}; supported: "
            f"{', '.join(sorted(ADAPTERS))}")
    return adapter(node, model, Path(out_dir), frame or Frame.of(model))
