"""Stitch a FINN dataflow graph into one top-level RTL module.

Every node becomes its RTL layer (``hw.graph_layers``); every tensor becomes an
AXI-Stream link with a FIFO, plus width converters where producer and consumer fold
it differently. FIFOs on the short side of a residual or skip add are sized from the
window fill of the long side, so the design never deadlocks; those on a split's branch
with the smaller first window fill from the difference, so the split does not wait once
per frame; all others hold 2 words, which also cuts the combinational ready path
between layers.

The top level streams whole LR frames of a size set at run time (ports frame_w, frame_h,
up to ``max_width`` pixels wide) and follows the AXI4-Stream video convention at both
edges (TUSER = start of frame, TLAST = last word of a line): ``video_frame_in`` repairs
bad input into whole frames and flags it (port ``status``), ``video_frame_out`` marks
the HR frames. Every spatial layer's in_w/in_h ports are the frame size plus its offset
in the graph.
"""
import math
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from hw import stream_fifo, stream_width_converter
from hw.codegen import header
from hw.graph import op_kind, topological_nodes
from hw.folding import RTL_DIR
from hw.graph_layers import Frame, Instance, Port, instance_for
from hw.stream import StreamFormat

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
# the top level's video edges (AXI4-Stream video convention, frame size at run time)
EDGE_SOURCES = (RTL_DIR / "video_frame_in.sv", RTL_DIR / "video_frame_out.sv")
DEFAULT_FIFO_DEPTH = 2
# pixels of slack on a skip FIFO beyond the long branch's window fill: the pixel each
# layer of the branch may hold, rounded up generously
SKIP_SLACK_PIXELS = 8


@dataclass
class Link:
    """A wire between an output port and an input port."""

    name: str
    bits: int  # TDATA width of the driving port


@dataclass
class Design:
    name: str
    top: Path
    sources: list
    instances: list  # layer instances, then FIFOs and width converters
    in_port: Port
    out_port: Port
    fifo_depths: dict = field(default_factory=dict)  # tensor -> depth
    # (instance name, port name) -> the top module's wire prefix (``s3``: s3_TDATA ...);
    # the instance name is None for the top's own ports
    wires: dict = field(default_factory=dict)
    # the graph's LR frame and the widest LR frame the hardware takes (frame.max_width)
    frame: Frame | None = None
    scale: int = 1  # HR pixels per LR pixel along each axis
    model: ModelWrapper | None = None  # the dataflow graph with its StreamingFIFO nodes

    @property
    def max_width(self) -> int:
        return self.frame.max_width

    @property
    def layers(self):
        return [inst for inst in self.instances if inst.kind not in ("FIFO", "DWC")]

    @property
    def bottleneck(self) -> Instance:
        return max(self.layers, key=lambda inst: inst.exp_cycles)

    def bottleneck_at(self, height: int, width: int) -> Instance:
        """The slowest layer on LR frames of height x width."""
        return max(self.layers, key=lambda inst: inst.cycles_at(height, width))

    def cycles_at(self, height: int, width: int) -> int:
        """The cycle model of one LR frame of height x width: its slowest layer's cycles."""
        return self.bottleneck_at(height, width).cycles_at(height, width)


def _window_fill_pixels(op, frame: Frame):
    """Pixels a sliding window reads before its first window on the widest frame:
    (KH-1) rows + KW pixels. At full rate this is also the cycles it lags, padding
    included: the padding it reads takes a cycle per word like its input."""
    kh, kw = op.get_nodeattr("ConvKernelDim")
    return (kh - 1) * frame.layer_max_width(op.get_nodeattr("IFMDim")) + kw


def _window_lead_pixels(model: ModelWrapper, node, frame: Frame):
    """Input pixels that must enter before a sliding window's first window: its fill,
    less the top rows and left pixels an FMPadding right before it generates itself (a
    3x3 window after 1 pixel of padding waits for one row + 2 pixels of input, not
    2 rows + 3). The padding of the rows in between stays counted as input and rows are
    max-width rows: an upper bound at any run-time width, as a deadlock bound needs."""
    op = getCustomOp(node)
    padding = model.find_producer(node.input[0])
    top, left = (getCustomOp(padding).get_nodeattr("Padding")[:2]
                 if padding is not None and op_kind(padding) == "FMPadding" else (0, 0))
    return _window_fill_pixels(op, frame) - \
        top * frame.layer_max_width(op.get_nodeattr("IFMDim")) - left


def skip_fifo_depths(model: ModelWrapper, instances: dict, max_width: int | None = None,
                     slack_pixels: int = SKIP_SLACK_PIXELS, input_lead: bool = False) -> dict:
    """FIFO depth (words) for the shorter input of every add: tensor -> depth.

    A tensor's lead is how many input pixels must enter before its first pixel can
    leave: window fills add up along a path, every other layer adds one pixel. The
    short input of an add buffers the difference of the two leads, plus ``slack_pixels``,
    in the words of the FIFO's stream
    (0: the deadlock minimum). Rows are those of the widest LR frame, ``max_width``
    pixels (default: the graph's width). ``input_lead``: count only the input pixels a
    window waits for, not the padding before it generates (the deadlock minimum; at full
    rate the padding takes cycles like input, and a FIFO of that depth slows the frame).
    """
    frame = Frame.of(model, max_width)
    lead = {t.name: 0 for t in model.graph.input}
    depths = {}
    for node in topological_nodes(model.graph):
        inputs = [lead[t] for t in node.input if t in lead]
        base = max(inputs, default=0)
        step = 1 if op_kind(node) != "ConvolutionInputGenerator" else \
            _window_lead_pixels(model, node, frame) if input_lead else \
            _window_fill_pixels(getCustomOp(node), frame)
        for tensor in node.output:
            lead[tensor] = base + step
        if op_kind(node) == "ElementwiseAdd":
            short = min(node.input, key=lambda t: lead[t])
            _, channels = _pixel_channels(model, short)
            words_per_pixel = channels // _fifo_port(instances, node.name, short).stream.per_word
            depths[short] = (base - lead[short] + slack_pixels) * words_per_pixel
    return depths


def _fifo_port(instances: dict, consumer: str, tensor: str) -> Port:
    """The port whose words the FIFO on ``tensor`` holds: its producer's output (the
    stitcher puts width converters after the FIFO), the consumer's input for a graph input."""
    ports = [p for inst in instances.values() for p in inst.outputs if p.tensor == tensor]
    return ports[0] if ports else \
        next(p for p in instances[consumer].inputs if p.tensor == tensor)


def _first_window_fill(model: ModelWrapper, tensor: str, frame: Frame) -> int:
    """Pixels of ``tensor`` the first window generator downstream of it (before any other
    split or join) reads before its first window; 0 if there is none."""
    node = model.find_consumer(tensor)
    while node is not None and op_kind(node) not in ("DuplicateStreams", "ElementwiseAdd"):
        if op_kind(node) == "ConvolutionInputGenerator":
            return _window_fill_pixels(getCustomOp(node), frame)
        node = model.find_consumer(node.output[0])
    return 0


def split_fifo_depths(model: ModelWrapper, instances: dict,
                      max_width: int | None = None) -> dict:
    """FIFO depth (words) for the branches of every split whose first window fills less
    than another branch's: tensor -> depth.

    At a frame boundary a branch's window generator holds its input once its line buffer
    is full; the branch with the larger fill still needs that many more pixels of the
    shared input before its first window. The branch with the smaller fill buffers the
    difference, plus slack, or the whole split waits for it once per frame (on the
    default model, 456 of 18,456 cycles of a 20x36 frame). Rows as in skip_fifo_depths.
    """
    frame = Frame.of(model, max_width)
    depths = {}
    for node in topological_nodes(model.graph):
        if op_kind(node) != "DuplicateStreams":
            continue
        fills = {t: _first_window_fill(model, t, frame) for t in node.output}
        for port in instances[node.name].outputs:
            lag = max(fills.values()) - fills[port.tensor]
            if lag:
                _, channels = _pixel_channels(model, port.tensor)
                depths[port.tensor] = (lag + SKIP_SLACK_PIXELS) * channels // port.stream.per_word
    return depths


def analytic_fifo_depths(model: ModelWrapper, layers: dict, max_width: int) -> dict:
    """Tensor -> depth of the skip and split FIFOs (the larger where a tensor is both), from
    the graph without FIFO nodes and its layer instances."""
    split = split_fifo_depths(model, layers, max_width)
    skip = skip_fifo_depths(model, layers, max_width)
    return {t: max(split.get(t, 0), skip.get(t, 0)) for t in {*split, *skip}}


def _pixel_channels(model, tensor):
    *pixels, channels = model.get_tensor_shape(tensor)
    return int(np.prod(pixels)), channels


def _top_port(name, tensor, model, per_word):
    dtype = model.get_tensor_datatype(tensor)
    return Port(name, tensor, StreamFormat(dtype.bitwidth(), per_word, dtype.signed()))


def _stream_pixels(frame: Frame, height: int, width: int):
    """Pixels of a stream of graph size height x width at run-time LR size (h, w) -> count:
    HR streams (integer multiples of the LR frame) scale, the others add their offset."""
    scale = height // frame.height
    if scale > 1 and (height, width) == (scale * frame.height, scale * frame.width):
        return lambda h, w: scale * h * scale * w
    return frame.pixels((height, width))


def _fifo(node, tensor, stream, model):
    """The stream_fifo instance of StreamingFIFO ``node`` on ``tensor``; its cycle model
    moves the stream's words at run-time LR size with the FIFO's latency."""
    stream, depth = stream.unpadded(), getCustomOp(node).get_nodeattr("depth")
    port = lambda p: Port(p, tensor, stream)  # noqa: E731
    frame = Frame.of(model)
    _, height, width, channels = model.get_tensor_shape(tensor)
    pixels = _stream_pixels(frame, height, width)
    cycles_at = lambda h, w: stream_fifo.expected_cycles(  # noqa: E731
        pixels(h, w) * channels // stream.per_word, depth)
    return Instance(name=node.name, module=stream_fifo.MODULE,
                    parameters=stream_fifo.rtl_parameters(depth, stream.data_bits),
                    sources=list(stream_fifo.SOURCES), inputs=[port("in0_V")],
                    outputs=[port("out0_V")], exp_cycles=cycles_at(frame.height, frame.width),
                    kind="FIFO", extra_ports={"count": ""}, cycles_at=cycles_at)


def _width_converter(name, tensor, src: StreamFormat, per_word: int):
    src = src.unpadded()
    dst = StreamFormat(src.elem_bits, per_word, src.signed).unpadded()
    return Instance(
        name=name, module=stream_width_converter.MODULE,
        parameters=stream_width_converter.rtl_parameters(src.per_word, per_word, src.elem_bits),
        sources=list(stream_width_converter.SOURCES),
        inputs=[Port("in0_V", tensor, src)],
        outputs=[Port("out0_V", tensor, dst)], exp_cycles=0, kind="DWC")


def _adapters(tensor, src: StreamFormat, dst: StreamFormat, fifo_node, model):
    """The stream's FIFO node, then width converters (through the gcd when neither width
    divides the other)."""
    chain = [_fifo(fifo_node, tensor, src, model)]
    tag = fifo_node.name.removeprefix(f"{stream_fifo.LAYER}_")
    if src.per_word != dst.per_word:
        stops = [dst.per_word]
        if src.per_word % dst.per_word and dst.per_word % src.per_word:
            stops.insert(0, math.gcd(src.per_word, dst.per_word))
        fmt = src
        for i, per_word in enumerate(stops):
            chain.append(_width_converter(f"dwc_{tag}_{i}", tensor, fmt, per_word))
            fmt = chain[-1].outputs[0].stream
    return chain


class _Wiring:
    """Links and the port-to-link map of the design being built."""

    def __init__(self):
        self.links, self.connections = [], {}

    def connect(self, src: tuple, dst: tuple):
        """src/dst: (instance name or None for the top, Port)."""
        link = Link(f"s{len(self.links)}", src[1].stream.tdata_bits)
        self.links.append(link)
        self.connections[(src[0], src[1].name)] = link
        self.connections[(dst[0], dst[1].name)] = link


def _data_expr(link: Link, bits: int) -> str:
    """The link's TDATA as a ``bits``-wide input: sliced, or zero-extended (padding)."""
    if bits == link.bits:
        return f"{link.name}_TDATA"
    if bits < link.bits:
        return f"{link.name}_TDATA[{bits - 1}:0]"
    return f"{{{{{bits - link.bits}{{1'b0}}}}, {link.name}_TDATA}}"


def _size_ports(offset: tuple[int, int]) -> dict:
    """in_w/in_h of a spatial instance: the top's frame size plus its offset."""
    rows, cols = offset
    return {"in_w": f"frame_w + 16'd{cols}", "in_h": f"frame_h + 16'd{rows}"}


def stitch(model: ModelWrapper, out_dir: Path, name: str = "accelerator",
           fifo_depths: dict | None = None, max_width: int | None = None) -> Design:
    """Generate every layer into ``out_dir`` and the top module ``name`` connecting them,
    for LR frames up to ``max_width`` pixels wide (default: the graph's frame width).

    fifo_depths: tensor -> depth overrides (e.g. from a simulation run).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sized = stream_fifo.fifo_depths(model)
    model = model.transform(stream_fifo.RemoveStreamFIFOs())
    frame = Frame.of(model, max_width)
    layers = {node.name: instance_for(node, model, out_dir, frame)
              for node in topological_nodes(model.graph)}
    for inst in layers.values():
        if inst.size_offset is not None:
            inst.extra_ports.update(_size_ports(inst.size_offset))
    producers = {p.tensor: (inst.name, p) for inst in layers.values() for p in inst.outputs}
    consumers = {p.tensor: (inst.name, p) for inst in layers.values() for p in inst.inputs}
    graph_in, graph_out = model.graph.input[0].name, model.graph.output[0].name
    in_port = _top_port("in0_V", graph_in, model, consumers[graph_in][1].stream.per_word)
    out_port = _top_port("out0_V", graph_out, model, producers[graph_out][1].stream.per_word)
    producers[graph_in], consumers[graph_out] = (None, in_port), (None, out_port)
    depths = {**analytic_fifo_depths(model, layers, frame.max_width), **sized,
              **(fifo_depths or {})}
    model = model.transform(stream_fifo.InsertStreamFIFOs(
        depths, {tensor: src[1].stream.per_word for tensor, src in producers.items()},
        DEFAULT_FIFO_DEPTH))
    fifo_nodes = {stream_fifo.stream_tensor(model, node): node
                  for node in model.graph.node if stream_fifo.is_fifo(node)}

    wiring, extra = _Wiring(), []
    for tensor, src in producers.items():
        chain = _adapters(tensor, src[1].stream, consumers[tensor][1].stream,
                          fifo_nodes[tensor], model)
        extra += chain
        hops = [src] + [hop for inst in chain for hop in ((inst.name, inst.inputs[0]),
                                                          (inst.name, inst.outputs[0]))] \
            + [consumers[tensor]]
        for a, b in zip(hops[::2], hops[1::2]):
            wiring.connect(a, b)
    instances = list(layers.values()) + extra
    scale = model.get_tensor_shape(graph_out)[1] // frame.height
    top = _render_top(out_dir, name, instances, wiring, in_port, out_port, model, frame, scale)
    sources = list(dict.fromkeys([*EDGE_SOURCES,
                                  *(s for inst in instances for s in inst.sources)])) + [top]
    return Design(name, top, sources, instances, in_port, out_port,
                  stream_fifo.fifo_depths(model),
                  {port: link.name for port, link in wiring.connections.items()}, frame, scale,
                  model)


def _port_entry(inst, port, wiring, input_bits=None):
    """Template data of one port: its link, and its TDATA expression."""
    link = wiring.connections[(inst.name, port.name)]
    data = f"{link.name}_TDATA" if input_bits is None else _data_expr(link, input_bits)
    return dict(name=port.name, link=link.name, data=data)


def _pixel_words(model, tensor, port: Port) -> int:
    """Stream words per pixel of NHWC ``tensor`` on ``port``."""
    return model.get_tensor_shape(tensor)[-1] // port.stream.per_word


def _line_words(model, tensor, port: Port, scale: int) -> int:
    """Stream words of NHWC HR ``tensor`` per HR line per LR pixel of width: the ``scale``
    HR pixels it spans (a word may hold several, as DepthToSpace's output can)."""
    elements = model.get_tensor_shape(tensor)[-1] * scale
    if elements % port.stream.per_word:
        raise ValueError(f"{tensor}: words of {port.stream.per_word} elements do not tile "
                         f"the {elements} elements of an LR pixel's HR line")
    return elements // port.stream.per_word


def _render_top(out_dir, name, instances, wiring, in_port, out_port, model, frame, scale):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    rendered = [dict(module=inst.module, name=inst.name, parameters=inst.parameters,
                     inputs=[_port_entry(inst, p, wiring, p.stream.tdata_bits)
                             for p in inst.inputs],
                     outputs=[_port_entry(inst, p, wiring) for p in inst.outputs],
                     extra=inst.extra_ports) for inst in instances]
    in_link, out_link = wiring.connections[(None, "in0_V")], wiring.connections[(None, "out0_V")]
    parameters = {"graph": Path(model.model.graph.name or "dataflow").name,
                  "layers": len([i for i in instances if i.kind not in ("FIFO", "DWC")]),
                  "input": f"{in_port.stream}", "output": f"{out_port.stream}",
                  "max_width": frame.max_width, "scale": scale}
    text = env.get_template("accelerator_top.sv.j2").render(
        header=header("hw/stitch.py stitch", name, parameters), name=name,
        links=wiring.links, instances=rendered, in_port=in_port, out_port=out_port,
        in_link=in_link, out_link=out_link,
        out_data=_data_expr(out_link, out_port.stream.tdata_bits), max_width=frame.max_width,
        scale=scale, in_pixel_words=_pixel_words(model, in_port.tensor, in_port),
        out_line_words=_line_words(model, out_port.tensor, out_port, scale))
    path = out_dir / f"{name}.sv"
    path.write_text(text)
    return path
