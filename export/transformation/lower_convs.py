"""Conv lowering helpers: explicit Pad nodes into Im2Col, bipolar padding as bits, and
the Transpose clean-up that turns the lowered graph channels-last.

Binary convs pad with -1 (bit 0), which a Conv's ``pads`` attribute cannot say, so the
models export an explicit Pad. FINN's Im2Col carries a ``pad_value`` and becomes
FMPadding + ConvolutionInputGenerator, so the Pad is folded into it.
"""
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_data_layouts import InferDataLayouts
from qonnx.util.basic import get_by_name

from export.transformation.streamline_scales import ApplyUntilFixpoint
from finn.transformation.streamline.absorb import (AbsorbConsecutiveTransposes,
                                                   AbsorbTransposeIntoMultiThreshold)
from finn.transformation.streamline.reorder import (MoveTransposePastFork,
                                                    MoveTransposePastJoinAdd)

NCHW_TO_NHWC = [0, 2, 3, 1]
NHWC_TO_NCHW = [0, 3, 1, 2]


def _single_consumer(model, tensor, op_type):
    consumers = model.find_consumers(tensor)
    if len(consumers) == 1 and consumers[0].op_type == op_type:
        return consumers[0]
    return None


def _spatial_padding(model, pad):
    """FINN's [top, left, bottom, right] of an NCHW constant Pad, or None if not that."""
    attrs = {a.name: helper.get_attribute_value(a) for a in pad.attribute}
    if attrs.get("mode", b"constant") not in (b"constant", "constant"):
        return None
    pads = model.get_initializer(pad.input[1])
    if pads is None or len(pads) != 8:
        return None
    n_begin, c_begin, top, left, n_end, c_end, bottom, right = (int(p) for p in pads)
    if n_begin or c_begin or n_end or c_end:
        return None
    return [top, left, bottom, right]


def _pad_value(model, pad):
    value = model.get_initializer(pad.input[2]) if len(pad.input) > 2 and pad.input[2] else 0
    if value is None or float(value) != int(value):
        return None
    return int(value)


class AbsorbPadIntoIm2Col(Transformation):
    """Pad(NCHW, constant v) -> Transpose(to NHWC) -> Im2Col without padding
    becomes Transpose -> Im2Col(pad_amount, pad_value=v)."""

    def apply(self, model):
        for pad in model.graph.node:
            if pad.op_type != "Pad":
                continue
            transpose = _single_consumer(model, pad.output[0], "Transpose")
            if transpose is None or list(get_by_name(transpose.attribute, "perm").ints) != NCHW_TO_NHWC:
                continue
            im2col = _single_consumer(model, transpose.output[0], "Im2Col")
            padding, value = _spatial_padding(model, pad), _pad_value(model, pad)
            if im2col is None or padding is None or value is None:
                continue
            op = getCustomOp(im2col)
            if any(op.get_nodeattr("pad_amount")):
                continue
            old_shape = model.get_tensor_shape(transpose.output[0])
            n, h, w, c = model.get_tensor_shape(pad.input[0])[0], *old_shape[1:]
            transpose.input[0] = pad.input[0]
            n_pad = (padding[0] + padding[2], padding[1] + padding[3])
            model.set_tensor_shape(transpose.output[0], [n, h - n_pad[0], w - n_pad[1], c])
            op.set_nodeattr("pad_amount", padding)
            op.set_nodeattr("pad_value", value)
            op.set_nodeattr("input_shape", f"({n},{h - n_pad[0]},{w - n_pad[1]},{c})")
            model.graph.node.remove(pad)
            return model, True
        return model, False


class PadBinaryIm2ColWithBits(Transformation):
    """After ConvertBipolarMatMulToXnorPopcount, data that was BIPOLAR is BINARY bits,
    where bit 0 stands for -1: a pad value of -1 becomes 0."""

    def apply(self, model):
        changed = False
        for node in model.graph.node:
            if node.op_type != "Im2Col":
                continue
            op = getCustomOp(node)
            if model.get_tensor_datatype(node.input[0]) == DataType["BINARY"] \
                    and op.get_nodeattr("pad_value") == -1:
                op.set_nodeattr("pad_value", 0)
                changed = True
        return model, changed


class MakeChannelsLast(ApplyUntilFixpoint):
    """Push the Transposes of lowered convs through thresholds, forks and Adds until the
    opposite pairs cancel, leaving the graph NHWC between its boundary Transposes."""

    def __init__(self):
        super().__init__([InferDataLayouts(), AbsorbPadIntoIm2Col(),
                          AbsorbTransposeIntoMultiThreshold(), MoveTransposePastFork(),
                          MoveTransposePastJoinAdd(), AbsorbConsecutiveTransposes()])


class MakeChannelsLastIO(Transformation):
    """Drop the NCHW<->NHWC Transposes at the graph input and output, making the
    dataflow graph's interface NHWC: a pixel stream is channels-last, and the host
    (driver or testbench) reorders once per frame."""

    def apply(self, model):
        changed = self._strip_input(model) | self._strip_output(model)
        return model, changed

    @staticmethod
    def _strip_input(model):
        name = model.graph.input[0].name
        consumers = model.find_consumers(name)
        if not consumers or any(c.op_type != "Transpose" or
                                list(get_by_name(c.attribute, "perm").ints) != NCHW_TO_NHWC
                                for c in consumers):
            return False
        nhwc_shape = model.get_tensor_shape(consumers[0].output[0])
        for transpose in consumers:
            for user in model.find_consumers(transpose.output[0]):
                user.input[:] = [name if i == transpose.output[0] else i for i in user.input]
            model.graph.node.remove(transpose)
        model.set_tensor_shape(name, nhwc_shape)
        return True

    @staticmethod
    def _strip_output(model):
        name = model.graph.output[0].name
        transpose = model.find_producer(name)
        if transpose is None or transpose.op_type != "Transpose" or \
                list(get_by_name(transpose.attribute, "perm").ints) != NHWC_TO_NCHW or \
                len(model.find_consumers(transpose.input[0])) != 1:
            return False
        nhwc_shape = model.get_tensor_shape(transpose.input[0])
        producer = model.find_producer(transpose.input[0])
        producer.output[:] = [name if o == transpose.input[0] else o for o in producer.output]
        model.graph.node.remove(transpose)
        model.set_tensor_shape(name, nhwc_shape)
        return True
