"""One builder per RTL layer kind: a configuration and random data in, a ``LayerCase`` out.

A case holds the golden model's output, FINN's model of the same HW op (executed by
qonnx/FINN in Python) and what ``run_stream_case`` needs to run the RTL. The RTL tests
(tests/sim) run fixed configurations through these builders, the fuzz campaign
(benchmarks/fuzz.py) random ones, so both check the same thing the same way.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hw import (depth_to_space, duplicate_streams, elementwise_add, fmpadding, mvau,
                sliding_window, stream_fifo, stream_width_converter, thresholding)
from hw.codegen import GeneratedLayer, int_range
from hw.stream import StreamFormat
from sim import finn_models
from sim.golden.depth_to_space import depth_to_space_nhwc
from sim.golden.int_mvau import int_matmul, int_mvau
from sim.golden.sliding_window import fm_padding, im2col
from sim.golden.streams import add_streams, pass_through
from sim.golden.thresholding import multi_threshold
from sim.golden.xnor_mvau import xnor_mvau
from sim.tb.stream_tb import Stream, run_stream_case


@dataclass
class LayerCase:
    """A layer configuration with its data, ready to compare golden, FINN and RTL."""

    kind: str
    inputs: dict  # stream name -> Stream (values (frames, ...))
    outputs: dict  # stream name -> Stream of the golden model's values
    expected_cycles: int  # of one frame, no stalls: the layer's cycle model
    rtl: dict  # the rest of run_stream_case's arguments: toplevel, sources, parameters, ...
    # FINN's execution of its model of the layer: output stream name -> values like outputs
    finn: Callable[[], dict]
    stalls: dict = field(default_factory=dict)  # idle_prob / stall_prob other than the default
    ports: dict = field(default_factory=dict)  # run-time input ports (in_w, in_h) -> value

    def finn_mismatches(self) -> list[str]:
        """Output streams where FINN's execution differs from the golden model."""
        finn = self.finn()
        return [name for name, stream in self.outputs.items()
                if not np.array_equal(finn[name], stream.values)]

    def run_rtl(self, build_dir: Path, simulator: str, seed: int | None = None,
                more_sizes: tuple["LayerCase", ...] = ()) -> None:
        """AssertionError unless the RTL's outputs equal the golden model's and a stall-free
        frame takes ``expected_cycles``; then the same for each of ``more_sizes`` (cases of
        the same build at other run-time sizes), in the same simulation."""
        for other in more_sizes:
            if other.rtl != self.rtl:
                raise ValueError(f"{other.kind}: a run-time size needs the same build "
                                 f"({other.rtl['parameters']} != {self.rtl['parameters']})")
        run_stream_case(build_dir, inputs=self.inputs, outputs=self.outputs,
                        expected_cycles=self.expected_cycles, simulator=simulator, seed=seed,
                        ports=self.ports,
                        more_sizes=[dict(inputs=o.inputs, outputs=o.outputs, ports=o.ports,
                                         expected_cycles=o.expected_cycles)
                                    for o in more_sizes],
                        **self.stalls, **self.rtl)


def run_at_sizes(builder: Callable[..., LayerCase], rng, layer: tuple, max_w: int, sizes,
                 build_dir: Path, simulator: str, frames: int = 2) -> None:
    """Build the spatial layer ``builder(rng, in_h, in_w, *layer, ...)`` once for ``max_w``
    and run it at each run-time (in_h, in_w) of ``sizes`` in one simulation."""
    first, *more = (builder(rng, height, width, *layer, frames=frames, max_w=max_w)
                    for height, width in sizes)
    first.run_rtl(build_dir, simulator, more_sizes=tuple(more))


def _per_frame(model, inputs: dict, out_names: dict) -> dict:
    """FINN's execution of a one-frame model on every frame of ``inputs``, stacked:
    output stream name -> values, ``out_names`` mapping stream names to model outputs."""
    frames = len(next(iter(inputs.values())))
    runs = [finn_models.finn_execute(model, {name: x[f][None] for name, x in inputs.items()})
            for f in range(frames)]
    return {name: np.concatenate([run[output] for run in runs])
            for name, output in out_names.items()}


def _generated(kind: str, layer: GeneratedLayer, x: np.ndarray, golden: np.ndarray,
               cycles: int, test_module: str, finn) -> LayerCase:
    return LayerCase(
        kind, {"in0": Stream(x, layer.in_stream)}, {"out0": Stream(golden, layer.out_stream)},
        cycles, dict(toplevel=layer.name, sources=layer.sources, parameters={},
                     test_module=test_module), finn)


def _activation_dtype(thresholds, act_val: int, raw_range: tuple[int, int]) -> str:
    """FINN output DataType: of the counts [act_val, act_val + T], or the raw range."""
    if thresholds is None:
        return finn_models.int_dtype(*raw_range)
    return finn_models.int_dtype(act_val, act_val + thresholds.shape[1])


def mvau_thresholds(rng, acc_lo: int, acc_hi: int, channels: int, steps: int) -> np.ndarray:
    """Unsorted thresholds around [acc_lo, acc_hi], some fractional and some outside it."""
    shape = (channels, steps)
    return rng.integers(acc_lo - 2, acc_hi + 3, size=shape) + rng.choice([0.0, 0.5], size=shape)


def xnor_mvau_case(rng, out_dir: Path, name: str, mw: int, mh: int, simd: int, pe: int,
                   steps: int | None, act_val: int, vectors: int = 3) -> LayerCase:
    """Binary MVAU: XNOR-popcount of bits, optionally thresholded (steps per channel)."""
    weights = rng.integers(0, 2, size=(mw, mh))
    thresholds = None if steps is None else mvau_thresholds(rng, 0, mw, mh, steps)
    x = rng.integers(0, 2, size=(vectors, mw))
    layer = mvau.generate_xnor_mvau(name, weights, thresholds, simd=simd, pe=pe,
                                    out_dir=out_dir, act_val=act_val)
    golden = xnor_mvau(x, weights, thresholds, act_val)
    model = finn_models.mvau_model(
        weights, "BINARY", "BINARY", _activation_dtype(thresholds, act_val, (0, mw)),
        (1, 1, vectors), thresholds, act_val, binary_xnor=1, simd=simd, pe=pe)
    finn = lambda: {"out0": finn_models.finn_execute(model, {"x": x[None, None]})["out"][0, 0]}  # noqa: E731
    return _generated("xnor_mvau", layer, x, golden,
                      mvau.expected_cycles(mw, mh, simd, pe, steps or 0, binary=True),
                      "sim.tb.mvau_tb", finn)


def extreme_inputs(weights: np.ndarray, x_lo: int, x_hi: int) -> np.ndarray:
    """The two input vectors reaching the largest and the smallest accumulator.

    They test that the generator's accumulator width holds both bounds.
    """
    positive = weights > 0
    largest = np.where(positive, x_hi, x_lo)  # (MW, MH): per column, its maximising vector
    smallest = np.where(positive, x_lo, x_hi)
    top = np.argmax((largest * weights).sum(axis=0))
    bottom = np.argmin((smallest * weights).sum(axis=0))
    return np.stack([largest[:, top], smallest[:, bottom]])


def int_mvau_case(rng, out_dir: Path, name: str, mw: int, mh: int, simd: int, pe: int,
                  in_bits: int, in_signed: bool, weight_bits: int, steps: int | None,
                  act_val: int, vectors: int = 4, res_type: str = "dsp") -> LayerCase:
    """Integer MVAU on random and extreme inputs, optionally thresholded around the
    accumulators actually reached, so every count occurs; products built as FINN's
    ``res_type`` ("dsp" or "lut", see ``hw.mvau.product_style``)."""
    w_lo, w_hi = int_range(weight_bits, signed=True)
    weights = rng.integers(w_lo, w_hi + 1, size=(mw, mh))
    x_lo, x_hi = int_range(in_bits, in_signed)
    x = np.concatenate([rng.integers(x_lo, x_hi + 1, size=(vectors - 2, mw)),
                        extreme_inputs(weights, x_lo, x_hi)])
    acc = int_matmul(x, weights)
    thresholds = (None if steps is None else
                  mvau_thresholds(rng, int(acc.min()), int(acc.max()), mh, steps))
    return int_mvau_case_of(out_dir, name, weights, finn_models.int_dtype(w_lo, w_hi), thresholds,
                            x, simd=simd, pe=pe, in_bits=in_bits, in_signed=in_signed,
                            act_val=act_val, res_type=res_type)


def int_mvau_case_of(out_dir: Path, name: str, weights: np.ndarray, weight_dtype: str,
                     thresholds, x: np.ndarray, *, simd: int, pe: int, in_bits: int,
                     in_signed: bool, act_val: int, res_type: str = "dsp") -> LayerCase:
    """Integer MVAU with given (MW, MH) weights of FINN DataType ``weight_dtype``,
    thresholds (or None) and input vectors x (vectors, MW), e.g. a layer of an exported
    model on its real inputs."""
    acc = int_matmul(x, weights)
    layer = mvau.generate_int_mvau(name, weights, thresholds, simd=simd, pe=pe, in_bits=in_bits,
                                   in_signed=in_signed, out_dir=out_dir, act_val=act_val,
                                   res_type=res_type)
    golden = int_mvau(x, weights, thresholds, act_val)
    model = finn_models.mvau_model(
        weights, weight_dtype, finn_models.int_dtype(*int_range(in_bits, in_signed)),
        _activation_dtype(thresholds, act_val, (int(acc.min()), int(acc.max()))),
        (1, 1, len(x)), thresholds, act_val, simd=simd, pe=pe)
    finn = lambda: {"out0": finn_models.finn_execute(model, {"x": x[None, None]})["out"][0, 0]}  # noqa: E731
    return _generated("int_mvau", layer, x, golden,
                      mvau.layer_expected_cycles(layer), "sim.tb.mvau_tb", finn)


def thresholding_case(rng, out_dir: Path, name: str, channels: int, pe: int, in_bits: int,
                      in_signed: bool, steps: int, shared: bool, act_val: int,
                      pixels: int = 6) -> LayerCase:
    """Thresholds beyond the input range on both sides, some fractional: exercises
    clipping and ceil; (1, T) thresholds are shared by all channels."""
    lo, hi = int_range(in_bits, in_signed)
    rows = 1 if shared else channels
    thresholds = (rng.integers(lo - 2, hi + 3, size=(rows, steps))
                  + rng.choice([0.0, 0.25], size=(rows, steps)))
    x = rng.integers(lo, hi + 1, size=(pixels, channels))
    layer = thresholding.generate_thresholding(name, thresholds, channels=channels, pe=pe,
                                               in_bits=in_bits, in_signed=in_signed,
                                               out_dir=out_dir, act_val=act_val)
    golden = multi_threshold(x, thresholds, act_val)
    activation = finn_models.Activation(_activation_dtype(thresholds, act_val, (lo, hi)),
                                        thresholds, act_val)
    model = finn_models.thresholding_model(activation, finn_models.int_dtype(lo, hi),
                                           (1, 1, pixels, channels))
    finn = lambda: {"out0": finn_models.finn_execute(model, {"x": x[None, None]})["out"][0, 0]}  # noqa: E731
    return _generated("thresholding", layer, x, golden,
                      thresholding.expected_cycles(channels, pe, steps), "sim.tb.thresholding_tb",
                      finn)


def _unsigned(rng, frames: int, shape, elem_bits: int) -> np.ndarray:
    return rng.integers(0, 1 << elem_bits, (frames, *shape))


def _udtype(elem_bits: int) -> str:
    return finn_models.int_dtype(0, (1 << elem_bits) - 1)


def _hand_written(kind: str, layer, parameters: dict, x: Stream, out: Stream, cycles: int,
                  model, stalls: dict | None = None, ports: dict | None = None,
                  **extra) -> LayerCase:
    """A hand-written core with one stream in and one out: ``layer`` is its hw module
    (MODULE, SOURCES), its testbench sim/tb/<kind>_tb.py, ``model`` FINN's one-frame model,
    ``ports`` its run-time input ports."""
    return LayerCase(
        kind, {"in0": x}, {"out0": out}, cycles,
        dict(toplevel=layer.MODULE, sources=layer.SOURCES, test_module=f"sim.tb.{kind}_tb",
             parameters=parameters, **extra),
        lambda: _per_frame(model, {"x": x.values}, {"out0": "out"}), stalls or {}, ports or {})


def _size_ports(in_h: int, in_w: int) -> dict:
    """The run-time size ports of a spatial core."""
    return {"in_w": in_w, "in_h": in_h}


def fmpadding_case(rng, in_h: int, in_w: int, channels: int, simd: int, elem_bits: int,
                   padding, frames: int = 2, max_w: int | None = None) -> LayerCase:
    """Zero padding [top, left, bottom, right] of unsigned frames; the RTL built for
    ``max_w`` (default ``in_w``), run at in_h x in_w."""
    image = _unsigned(rng, frames, (in_h, in_w, channels), elem_bits)
    node, out_dim = finn_models.fm_padding_node("x", "out", (in_h, in_w), padding, channels,
                                                _udtype(elem_bits), simd)
    model = finn_models.make_model([node], {"x": ((1, in_h, in_w, channels), _udtype(elem_bits))},
                                   {"out": ((1, *out_dim, channels), _udtype(elem_bits))})
    return _hand_written(
        "fmpadding", fmpadding,
        fmpadding.rtl_parameters(max_w or in_w, channels, simd, elem_bits, padding),
        Stream(image, StreamFormat(elem_bits, simd)),
        Stream(fm_padding(image, padding, 0), StreamFormat(elem_bits, simd)),
        fmpadding.expected_cycles(in_h, in_w, channels, simd, padding), model,
        ports=_size_ports(in_h, in_w))


def sliding_window_case(rng, in_h: int, in_w: int, channels: int, simd: int, elem_bits: int,
                        kernel: int, frames: int = 2, max_w: int | None = None) -> LayerCase:
    """Square windows, stride 1, on an (already padded) image; the RTL built for ``max_w``
    (default ``in_w``), run at in_h x in_w."""
    image = _unsigned(rng, frames, (in_h, in_w, channels), elem_bits)
    node, out_dim = finn_models.sliding_window_node("x", "out", (in_h, in_w), (kernel, kernel),
                                                    channels, _udtype(elem_bits), simd=simd)
    model = finn_models.make_model(
        [node], {"x": ((1, in_h, in_w, channels), _udtype(elem_bits))},
        {"out": ((1, *out_dim, kernel * kernel * channels), _udtype(elem_bits))})
    return _hand_written(
        "sliding_window", sliding_window,
        sliding_window.rtl_parameters(max_w or in_w, channels, simd, elem_bits, kernel),
        Stream(image, StreamFormat(elem_bits, simd)),
        Stream(im2col(image, (kernel, kernel), (1, 1), (1, 1)), StreamFormat(elem_bits, simd)),
        sliding_window.expected_cycles(in_h, in_w, channels, simd, kernel), model,
        ports=_size_ports(in_h, in_w))


def sliding_window_parallel_case(rng, in_h: int, in_w: int, channels: int, elem_bits: int,
                                 kernel: tuple[int, int], frames: int = 2,
                                 max_w: int | None = None) -> LayerCase:
    """KH x KW windows, stride 1, one whole window per word, of an (already padded) image;
    the RTL built for ``max_w`` (default ``in_w``), run at in_h x in_w."""
    sliding_window.check_parallel(in_h, in_w, max_w or in_w, channels, channels, kernel)
    image = _unsigned(rng, frames, (in_h, in_w, channels), elem_bits)
    node, out_dim = finn_models.sliding_window_node(
        "x", "out", (in_h, in_w), kernel, channels, _udtype(elem_bits), simd=channels,
        parallel_window=1)
    window = sliding_window.window_elems(channels, kernel)
    model = finn_models.make_model([node], {"x": ((1, in_h, in_w, channels), _udtype(elem_bits))},
                                   {"out": ((1, *out_dim, window), _udtype(elem_bits))})
    return _hand_written(
        "sliding_window_parallel", sliding_window.PARALLEL,
        sliding_window.parallel_rtl_parameters(max_w or in_w, channels, elem_bits, kernel),
        Stream(image, StreamFormat(elem_bits, channels)),
        Stream(im2col(image, kernel, (1, 1), (1, 1)), StreamFormat(elem_bits, window)),
        sliding_window.expected_cycles(in_h, in_w, channels, channels, kernel,
                                       parallel_window=True), model,
        ports=_size_ports(in_h, in_w))


def depth_to_space_case(rng, in_h: int, in_w: int, channels: int, block: int, simd: int,
                        out_simd: int, elem_bits: int, frames: int = 2,
                        max_w: int | None = None) -> LayerCase:
    """CRD depth-to-space; channels are the output's, ``simd`` elements per input word,
    ``out_simd`` per output word (P*channels: P HR pixels); the RTL built for ``max_w``
    (default ``in_w``), run at in_h x in_w."""
    image = _unsigned(rng, frames, (in_h, in_w, channels * block * block), elem_bits)
    model = finn_models.depth_to_space_model((in_h, in_w), channels, block, _udtype(elem_bits),
                                             simd, out_simd)
    return _hand_written(
        "depth_to_space", depth_to_space,
        depth_to_space.rtl_parameters(max_w or in_w, channels, block, simd, out_simd, elem_bits),
        Stream(image, StreamFormat(elem_bits, simd)),
        Stream(depth_to_space_nhwc(image, block), StreamFormat(elem_bits, out_simd)),
        depth_to_space.expected_cycles(in_h, in_w, channels, block, simd, out_simd), model,
        ports=_size_ports(in_h, in_w))


def duplicate_streams_case(rng, out_dir: Path, n_outputs: int, channels: int, pe: int,
                           elem_bits: int, in_h: int = 4, in_w: int = 4,
                           frames: int = 2) -> LayerCase:
    """One stream in, ``n_outputs`` identical copies out (a rendered wrapper per count)."""
    image = _unsigned(rng, frames, (in_h, in_w, channels), elem_bits)
    model = finn_models.duplicate_streams_model((1, in_h, in_w, channels), _udtype(elem_bits),
                                                n_outputs, pe)
    return LayerCase(
        "duplicate_streams", {"in0": Stream(image, StreamFormat(elem_bits, pe))},
        {f"out{i}": Stream(image, StreamFormat(elem_bits, pe)) for i in range(n_outputs)},
        duplicate_streams.expected_cycles(in_h, in_w, channels, pe),
        dict(toplevel=duplicate_streams.wrapper_module(n_outputs),
             sources=duplicate_streams.write_wrapper(n_outputs, out_dir / "rtl"),
             test_module="sim.tb.streams_tb",
             parameters=duplicate_streams.rtl_parameters(channels, pe, elem_bits, n_outputs)),
        lambda: _per_frame(model, {"x": image}, {f"out{i}": f"out{i}" for i in range(n_outputs)}))


def elementwise_add_case(rng, channels: int, pe: int, a_bits: int, a_signed: bool, b_bits: int,
                         b_signed: bool, in_h: int = 4, in_w: int = 4,
                         frames: int = 2) -> LayerCase:
    """Sum of two streams of any integer types, out in the narrowest type holding every sum."""
    shape = (frames, in_h, in_w, channels)
    a_lo, a_hi = int_range(a_bits, a_signed)
    b_lo, b_hi = int_range(b_bits, b_signed)
    lhs, rhs = rng.integers(a_lo, a_hi + 1, shape), rng.integers(b_lo, b_hi + 1, shape)
    out_bits, out_signed = elementwise_add.sum_type(a_bits, a_signed, b_bits, b_signed)
    frame = (1, in_h, in_w, channels)
    model = finn_models.elementwise_add_model(
        finn_models.int_dtype(a_lo, a_hi), finn_models.int_dtype(b_lo, b_hi),
        finn_models.int_dtype(*int_range(out_bits, out_signed)), frame, frame, pe=pe)
    return LayerCase(
        "elementwise_add",
        {"in0": Stream(lhs, StreamFormat(a_bits, pe, a_signed)),
         "in1": Stream(rhs, StreamFormat(b_bits, pe, b_signed))},
        {"out0": Stream(add_streams(lhs, rhs), StreamFormat(out_bits, pe, out_signed))},
        elementwise_add.expected_cycles(in_h, in_w, channels, pe),
        dict(toplevel=elementwise_add.MODULE, sources=elementwise_add.SOURCES,
             test_module="sim.tb.streams_tb",
             parameters=elementwise_add.rtl_parameters(channels, pe, a_bits, a_signed, b_bits,
                                                       b_signed)),
        lambda: _per_frame(model, {"x": lhs, "y": rhs}, {"out0": "out"}))


def stream_width_converter_case(rng, in_elems: int, out_elems: int, elem_bits: int,
                                frame_shape=(2, 2, 12), frames: int = 2) -> LayerCase:
    """Up-, down- or same-width conversion keeping element order; heavy backpressure
    keeps the up-converter's output register full while it gathers."""
    image = _unsigned(rng, frames, frame_shape, elem_bits)
    model = finn_models.width_converter_model((1, *frame_shape), _udtype(elem_bits),
                                              in_elems, out_elems)
    return _hand_written(
        "stream_width_converter", stream_width_converter,
        stream_width_converter.rtl_parameters(in_elems, out_elems, elem_bits),
        Stream(image, StreamFormat(elem_bits, in_elems)),
        Stream(pass_through(image), StreamFormat(elem_bits, out_elems)),
        stream_width_converter.expected_cycles(int(np.prod(frame_shape)), in_elems, out_elems),
        model, stalls=dict(idle_prob=0.2, stall_prob=0.5))


def fifo_case(rng, depth: int, width: int, words: int = 40, frames: int = 2) -> LayerCase:
    """Words of ``width`` bits in order through a FIFO of ``depth``; heavy backpressure fills
    it. A word is as few elements as keep each within float32's exact integers (FINN
    executes in float32)."""
    per_word = next(d for d in range(1, width + 1) if width % d == 0 and width // d <= 24)
    elem_bits = width // per_word
    values = _unsigned(rng, frames, (words, per_word), elem_bits)
    model = finn_models.fifo_model((1, words, per_word), _udtype(elem_bits), depth)
    return _hand_written(
        "fifo", stream_fifo, stream_fifo.rtl_parameters(depth, width),
        Stream(values, StreamFormat(elem_bits, per_word)),
        Stream(values, StreamFormat(elem_bits, per_word)),
        stream_fifo.expected_cycles(words, depth), model,
        stalls=dict(idle_prob=0.2, stall_prob=0.7), depth=depth)
