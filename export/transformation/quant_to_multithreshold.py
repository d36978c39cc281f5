"""Exact conversion of activation quantizers into FINN MultiThreshold nodes.

FINN's ConvertQONNXtoFINN derives thresholds algebraically and places them at
(k + 0.5) * scale whatever the Quant's rounding mode; on integer sums over power-of-two
grids that disagrees with the model at ties and, after absorbing float scales and
biases, at values within a float32 rounding of a boundary. Here a quantizer and the
chain of elementwise constant ops in front of it (Mul, Add, Tanh, PReLU as
GreaterOrEqual/Mul/Where, ...) become one MultiThreshold on the chain's source, an
integer grid tensor, with thresholds found by *executing the chain itself* (QONNX's own
node execution, float32) at integer grid points: the result equals the original graph
bit for bit by construction.
"""
import numpy as np
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_shapes import InferShapes

from export.transformation.node_exec import CompiledNodes
from export.transformation.value_grid import GridError, ValueGrid, value_grid

CHAIN_OPS = {"Mul", "Add", "Sub", "Div", "GreaterOrEqual", "Greater", "Less", "LessOrEqual",
             "Where", "Relu", "Neg", "Max", "Min", "Tanh"}
BISECTION_STEPS = 64
MONOTONE_SAMPLES = 4096


class ChainError(ValueError):
    """A quantizer's input chain cannot become thresholds; the message names the node."""


def is_activation_quant(model, node):
    return (node.op_type in ("Quant", "BipolarQuant")
            and model.get_initializer(node.input[0]) is None)


def _dynamic_inputs(model, node):
    return [i for i in node.input if i and model.get_initializer(i) is None]


def _closure_until(model, tensor, stop):
    """Chain-op producers reachable backwards from ``tensor``, not going past ``stop``."""
    found, frontier = [], [tensor]
    while frontier:
        current = frontier.pop()
        producer = None if current == stop else model.find_producer(current)
        if producer is not None and producer.op_type in CHAIN_OPS and producer not in found:
            found.append(producer)
            frontier.extend(_dynamic_inputs(model, producer))
    return found


def _is_chain_from(model, quant, source, chain):
    """Every chain input is ``source`` or made inside; no inner value leaks out."""
    produced = {o for n in chain for o in n.output}
    inside = set(map(id, chain)) | {id(quant)}
    inputs_ok = all(i == source or i in produced
                    for n in chain + [quant] for i in _dynamic_inputs(model, n))
    private = all(id(c) in inside for t in produced for c in model.find_consumers(t))
    return inputs_ok and private


def collect_chain(model, quant):
    """(source tensor, chain nodes in graph order) feeding ``quant``'s data input.

    The chain is the largest set of elementwise nodes with constant side inputs whose
    values come from one source tensor and flow only into the quantizer.
    """
    candidates = [quant.input[0]] + [i for n in _closure_until(model, quant.input[0], None)
                                     for i in _dynamic_inputs(model, n)]
    best_source, best_chain = quant.input[0], []
    for source in dict.fromkeys(candidates):
        chain = _closure_until(model, quant.input[0], source)
        if len(chain) > len(best_chain) and _is_chain_from(model, quant, source, chain):
            best_source, best_chain = source, chain
    order = {id(n): i for i, n in enumerate(model.graph.node)}
    return best_source, sorted(best_chain, key=lambda n: order[id(n)])


class QuantLevels:
    """Integer levels of an activation quantizer: output = scale * level."""

    def __init__(self, model, quant):
        if quant.op_type == "BipolarQuant":
            self.scale = model.get_initializer(quant.input[1])
            self.levels = np.array([-1, 1])
            self.dtype = DataType["BIPOLAR"]
            return
        inst = getCustomOp(quant)
        if inst.get_nodeattr("rounding_mode").upper() != "FLOOR":
            raise ChainError(f"{quant.name}: rounding mode "
                             f"{inst.get_nodeattr('rounding_mode')} is not threshold-exact; "
                             f"train with FLOOR quantizers (train/quant.py)")
        if np.any(model.get_initializer(quant.input[2]) != 0):
            raise ChainError(f"{quant.name}: zero point must be 0")
        self.scale = model.get_initializer(quant.input[1])
        self.dtype = inst.get_integer_datatype(model)
        self.levels = np.arange(self.dtype.min(), self.dtype.max() + 1)

    @staticmethod
    def level_of(scaled_output):
        return np.round(scaled_output).astype(np.int64)


class ChannelProbe:
    """Evaluates the chain per channel at integer grid points n (value = n * step_c).

    The chain is compiled once and run on (1, C, 1, ..., K) tensors: all K points of
    every channel in one call, whatever the frame size of the exported graph.
    """

    def __init__(self, model, chain, quant, source, grid: ValueGrid):
        self.model, self.chain, self.quant, self.source = model, chain, quant, source
        self.grid = grid
        self.levels = QuantLevels(model, quant)
        rank = len(model.get_tensor_shape(source))
        if rank < 3:
            raise ChainError(f"{quant.name}: input {source} has rank {rank}; "
                             "only channels-first feature maps (N, C, H, W) are supported")
        self.leading = (1, grid.channels) + (1,) * (rank - 3)
        self.run = CompiledNodes(model, chain + [quant])
        self.scale = np.broadcast_to(
            np.asarray(self.levels.scale, dtype=np.float64).reshape(-1), (grid.channels,))

    def __call__(self, n):
        """Levels at integer points ``n`` of shape (C, K) -> (C, K)."""
        values = (n * self.grid.step[:, None]).astype(np.float32)
        out = self.run({self.source: values.reshape(self.leading + (n.shape[1],))})
        out = np.asarray(out[self.quant.output[0]], dtype=np.float64).reshape(n.shape)
        return self.levels.level_of(out / self.scale[:, None])


def find_thresholds(probe: ChannelProbe):
    """Smallest integer n per (channel, level) with level(n) >= level, by bisection over
    [lo - 1, hi + 1]; a threshold of hi + 1 means the level is never reached."""
    grid, targets = probe.grid, probe.levels.levels[1:]
    lo = np.repeat(grid.lo[:, None] - 1, len(targets), axis=1)
    hi = np.repeat(grid.hi[:, None] + 1, len(targets), axis=1)
    for _ in range(BISECTION_STEPS):
        if np.all(hi - lo <= 1):
            return hi
        mid = (lo + hi) // 2
        reached = probe(mid) >= targets[None, :]
        hi = np.where(reached, mid, hi)
        lo = np.where(reached, lo, mid)
    raise AssertionError("bisection did not converge")


def decreasing_channels(probe: ChannelProbe):
    ends = probe(np.stack([probe.grid.lo, probe.grid.hi], axis=1))
    return ends[:, 1] < ends[:, 0]


def check_thresholds(probe: ChannelProbe, thresholds, rng):
    """Compare thresholding with the chain at random points and at every threshold +-1."""
    grid = probe.grid
    span = (grid.hi - grid.lo)[:, None]
    samples = grid.lo[:, None] + np.floor(rng.random((len(span), MONOTONE_SAMPLES)) * (span + 1))
    edges = np.clip(np.concatenate([thresholds - 1, thresholds], axis=1),
                    grid.lo[:, None], grid.hi[:, None])
    points = np.concatenate([samples.astype(np.int64), edges], axis=1)
    want = probe(points)
    got = probe.levels.levels[(points[:, :, None] >= thresholds[:, None, :]).sum(axis=2)]
    bad = np.argwhere(want != got)
    if len(bad):
        c, k = bad[0]
        raise ChainError(f"{probe.quant.name}: channel {c} is not monotone in its input "
                         f"(at grid point {points[c, k]}: {want[c, k]} vs {got[c, k]}); "
                         f"keep PReLU slopes and activation chains monotone")


class ConvertQuantChainsToMultiThreshold(Transformation):
    """Activation Quant/BipolarQuant + elementwise chain -> MultiThreshold (+ Mul scale).

    A channel whose chain decreases is thresholded on its negation: the source's
    producer (a Conv/MatMul with constant weights only this chain reads) gets that
    output channel negated, and a Mul by -1 in front of the chain keeps the graph's
    values (a sign change is exact).
    """

    def __init__(self, seed=0):
        super().__init__()
        self.rng = np.random.default_rng(seed)

    def apply(self, model):
        for quant in model.graph.node:
            if is_activation_quant(model, quant):
                probe = probe_for(model, quant)
                decreasing = decreasing_channels(probe)
                if decreasing.any():  # converted in the next round, on the new shapes
                    negate_source_channels(model, probe.source, decreasing, quant)
                else:
                    thresholds = find_thresholds(probe)
                    check_thresholds(probe, thresholds, self.rng)
                    replace_with_multithreshold(model, probe,
                                                thresholds * probe.grid.step[:, None])
                return model.transform(InferShapes()), True
        return model, False


def probe_for(model, quant):
    source, chain = collect_chain(model, quant)
    try:
        grid = value_grid(model, source)
    except GridError as err:
        raise ChainError(f"{quant.name}: its input chain starts at {source}: {err}") from err
    return ChannelProbe(model, chain, quant, source, grid)


def negate_source_channels(model, source, negate, quant):
    producer = model.find_producer(source)
    channels = np.flatnonzero(negate).tolist()
    if producer is None or producer.op_type not in ("Conv", "MatMul"):
        raise ChainError(f"{quant.name}: decreasing channels {channels} but the source "
                         f"{source} is not a conv/matmul output that can be negated")
    weight_name = producer.input[1]
    weights = model.get_initializer(weight_name)
    if weights is None or len(model.find_consumers(weight_name)) != 1:
        raise ChainError(f"{producer.name}: weights must be a folded constant of its own to "
                         f"negate channels {channels}")
    if len(model.find_consumers(source)) != 1:
        raise ChainError(f"{producer.name}: output feeds more than {quant.name}; cannot "
                         f"negate channels {channels}")
    sign = np.where(negate, -1.0, 1.0).astype(np.float32)
    axis = 0 if producer.op_type == "Conv" else 1
    model.set_initializer(weight_name, weights * _along(sign, axis, weights.ndim))
    if len(producer.input) > 2 and producer.input[2]:
        bias_name = producer.input[2]
        model.set_initializer(bias_name, model.get_initializer(bias_name) * sign)
    negated = model.make_new_valueinfo_name()
    sign_name = model.make_new_valueinfo_name()
    model.set_initializer(sign_name, _along(sign, 1, len(model.get_tensor_shape(source))))
    consumer = model.find_consumers(source)[0]
    consumer.input[list(consumer.input).index(source)] = negated
    index = list(model.graph.node).index(producer) + 1
    model.graph.node.insert(index, helper.make_node(
        "Mul", [source, sign_name], [negated], name=f"{producer.name}_unnegate"))


def _along(vector, axis, ndim):
    shape = [1] * ndim
    shape[axis] = -1
    return vector.reshape(shape)


def replace_with_multithreshold(model, probe: ChannelProbe, thresholds):
    """Remove chain and quantizer; MultiThreshold + Mul(scale) right after the source."""
    quant, levels = probe.quant, probe.levels
    threshold_name, counted, scale_name = (model.make_new_valueinfo_name() for _ in range(3))
    model.set_initializer(threshold_name, thresholds.astype(np.float32))
    model.set_initializer(scale_name, np.asarray(levels.scale, dtype=np.float32))
    bipolar = levels.dtype == DataType["BIPOLAR"]
    mt = helper.make_node(
        "MultiThreshold", [probe.source, threshold_name], [counted],
        domain="qonnx.custom_op.general", name=f"{quant.name}_thresholds",
        out_dtype=levels.dtype.name, out_scale=2.0 if bipolar else 1.0,
        out_bias=float(levels.levels[0]), data_layout="NCHW")
    mul = helper.make_node("Mul", [counted, scale_name], [quant.output[0]],
                           name=f"{quant.name}_scale")
    for node in probe.chain + [quant]:
        model.graph.node.remove(node)
    producer = model.find_producer(probe.source)
    index = 0 if producer is None else list(model.graph.node).index(producer) + 1
    model.graph.node.insert(index, mul)
    model.graph.node.insert(index, mt)
    model.set_tensor_datatype(counted, levels.dtype)
