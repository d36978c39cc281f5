"""Integer grids of QONNX tensors: value = n * step_c with integer n in [lo_c, hi_c].

Derived from the graph alone (datatype annotations, quantizer parameters, constant
weights), per channel (axis 1). Thresholds are searched on these grids, so every
tensor that feeds an activation quantizer must be on one; anything else is an error
that names the tensor and the node that produced it.
"""
from dataclasses import dataclass

import numpy as np
from qonnx.custom_op.registry import getCustomOp
from qonnx.util.basic import get_by_name

from export.transformation.node_exec import constant_output


class GridError(ValueError):
    """A tensor is not an integer grid the export can reason about."""


@dataclass
class ValueGrid:
    step: np.ndarray  # (C,) float64, > 0
    lo: np.ndarray  # (C,) int64
    hi: np.ndarray  # (C,) int64

    @property
    def channels(self):
        return len(self.step)


def _channels(model, tensor):
    shape = model.get_tensor_shape(tensor)
    return shape[1] if shape and len(shape) > 1 else 1


def _per_channel(value, channels):
    flat = np.asarray(value, dtype=np.float64).reshape(-1)
    if flat.size not in (1, channels):
        raise GridError(f"a per-channel constant of size {flat.size} does not match "
                        f"{channels} channels")
    return np.broadcast_to(flat, (channels,)).copy()


def _as_integers(values, what):
    rounded = np.round(values)
    if not np.array_equal(rounded, values):
        raise GridError(f"{what} is not on the integer grid")
    return rounded.astype(np.int64)


def value_grid(model, tensor):
    """The ``ValueGrid`` of ``tensor``, following its producers."""
    producer = model.find_producer(tensor)
    channels = _channels(model, tensor)
    if producer is None:
        return _annotated_grid(model, tensor, channels)
    handler = _HANDLERS.get(producer.op_type)
    if handler is None:
        raise GridError(f"tensor {tensor} comes from {producer.op_type} node {producer.name}, "
                        f"which has no known integer grid")
    return handler(model, producer, channels)


def _annotated_grid(model, tensor, channels):
    dtype = model.get_tensor_datatype(tensor)
    if not dtype.is_integer():
        raise GridError(f"graph input {tensor} is {dtype.name}; annotate it with an integer "
                        f"datatype (e.g. UINT8 pixels)")
    return ValueGrid(np.ones(channels), np.full(channels, int(dtype.min())),
                     np.full(channels, int(dtype.max())))


def _quant_grid(model, node, channels):
    inst = getCustomOp(node)
    dtype = inst.get_integer_datatype(model)
    step = _per_channel(model.get_initializer(node.input[1]), channels)
    return ValueGrid(step, np.full(channels, int(dtype.min())), np.full(channels, int(dtype.max())))


def _bipolar_grid(model, node, channels):
    step = _per_channel(model.get_initializer(node.input[1]), channels)
    return ValueGrid(step, np.full(channels, -1), np.full(channels, 1))


def _multithreshold_grid(model, node, channels):
    """Integer levels out_bias + out_scale * count, count in [0, thresholds]."""
    inst = getCustomOp(node)
    n_thresholds = model.get_initializer(node.input[1]).shape[1]
    scale, bias = inst.get_nodeattr("out_scale"), inst.get_nodeattr("out_bias")
    if scale <= 0 or not float(scale).is_integer() or not float(bias).is_integer():
        raise GridError(f"{node.name}: out_scale {scale} / out_bias {bias} are not integers")
    return ValueGrid(np.ones(channels), np.full(channels, int(bias)),
                     np.full(channels, int(bias + scale * n_thresholds)))


def _mul_grid(model, node, channels):
    source, const = _dynamic_and_constant(model, node)
    grid = value_grid(model, source)
    factor = _per_channel(const, channels)
    if np.any(factor == 0):
        raise GridError(f"{node.name}: multiplies by zero")
    step = grid.step * np.abs(factor)
    negative = factor < 0
    lo = np.where(negative, -grid.hi, grid.lo)
    hi = np.where(negative, -grid.lo, grid.hi)
    return ValueGrid(step, lo, hi)


def _add_grid(model, node, channels):
    if all(model.get_initializer(i) is None for i in node.input):
        a, b = (value_grid(model, i) for i in node.input)
        step = np.minimum(a.step, b.step)
        ra, rb = (_as_integers(g.step / step, f"{node.name}: the ratio of its input steps")
                  for g in (a, b))
        return ValueGrid(step, a.lo * ra + b.lo * rb, a.hi * ra + b.hi * rb)
    source, const = _dynamic_and_constant(model, node)
    grid = value_grid(model, source)
    offset = _as_integers(_per_channel(const, channels) / grid.step,
                          f"{node.name}: added constant")
    return ValueGrid(grid.step, grid.lo + offset, grid.hi + offset)


def _pad_grid(model, node, channels):
    grid = value_grid(model, node.input[0])
    value = model.get_initializer(node.input[2]) if len(node.input) > 2 and node.input[2] else 0
    n = _as_integers(_per_channel(value, channels) / grid.step, f"{node.name}: pad value")
    return ValueGrid(grid.step, np.minimum(grid.lo, n), np.maximum(grid.hi, n))


def _conv_grid(model, node, channels):
    """Bounds of a conv/matmul accumulator: sum of |w_int| * input range, plus bias."""
    x = value_grid(model, node.input[0])
    if len(set(x.step)) != 1 or len(set(x.lo)) != 1 or len(set(x.hi)) != 1:
        raise GridError(f"{node.name}: input grid must be per-tensor")
    w_int, w_step = _integer_weights(model, node, channels)
    step = x.step[0] * w_step
    pos, neg = np.clip(w_int, 0, None), np.clip(w_int, None, 0)
    lo = pos * x.lo[0] + neg * x.hi[0]
    hi = pos * x.hi[0] + neg * x.lo[0]
    lo, hi = (v.reshape(channels, -1).sum(axis=1) for v in (lo, hi))
    if len(node.input) > 2 and node.input[2]:
        bias = _const_value(model, node.input[2])
        b_int = _as_integers(_per_channel(bias, channels) / step, f"{node.name}: bias")
        lo, hi = lo + b_int, hi + b_int
    return ValueGrid(step, lo, hi)


def _integer_weights(model, node, channels):
    """(integer weights with output channels first, per-channel step) of a Conv/MatMul."""
    weight_name = node.input[1]
    weights = _const_value(model, weight_name)
    if node.op_type == "MatMul":
        weights = weights.T
    producer = model.find_producer(weight_name)
    if producer is not None and producer.op_type in ("Quant", "BipolarQuant"):
        step = _per_channel(model.get_initializer(producer.input[1]), channels)
    else:
        step = _smallest_power_of_two_steps(weights, channels, node)
    w_int = _as_integers(weights / step.reshape((-1,) + (1,) * (weights.ndim - 1)),
                         f"{node.name}: weights")
    return w_int, step


def _smallest_power_of_two_steps(weights, channels, node):
    """Per output channel, the largest power of two that all its weights are multiples of."""
    steps = []
    for row in weights.reshape(channels, -1):
        nonzero = np.abs(row[row != 0])
        exponent = 0 if nonzero.size == 0 else int(np.floor(np.log2(nonzero.min())))
        while exponent > -60 and not np.all(np.mod(row, 2.0 ** exponent) == 0):
            exponent -= 1
        if exponent <= -60:
            raise GridError(f"{node.name}: weights are not on a power-of-two grid")
        steps.append(2.0 ** exponent)
    return np.array(steps)


def _const_value(model, tensor):
    """Value of a constant tensor: an initializer, or a Quant/BipolarQuant of initializers."""
    value = model.get_initializer(tensor)
    if value is not None:
        return value.astype(np.float64)
    producer = model.find_producer(tensor)
    if producer is None or any(model.get_initializer(i) is None for i in producer.input if i):
        raise GridError(f"tensor {tensor} is not constant")
    return constant_output(model, producer)


def _dynamic_and_constant(model, node):
    dynamic = [i for i in node.input if model.get_initializer(i) is None]
    const = [model.get_initializer(i) for i in node.input if model.get_initializer(i) is not None]
    if len(dynamic) != 1 or len(const) != 1:
        raise GridError(f"{node.name}: needs one dynamic and one constant input")
    return dynamic[0], const[0]


def _checked_conv_grid(model, node, channels):
    group = get_by_name(node.attribute, "group")
    if group is not None and group.i != 1:
        raise GridError(f"{node.name}: grouped convolutions are not supported")
    return _conv_grid(model, node, channels)


_HANDLERS = {
    "Quant": _quant_grid,
    "BipolarQuant": _bipolar_grid,
    "MultiThreshold": _multithreshold_grid,
    "Mul": _mul_grid,
    "Add": _add_grid,
    "Pad": _pad_grid,
    "Conv": _checked_conv_grid,
    "MatMul": _checked_conv_grid,
}
