"""QONNX graph clean-ups that FINN's conversion needs first (FINN-style passes)."""
import numpy as np
from qonnx.core.datatype import DataType
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation
from qonnx.transformation.remove import remove_node_and_rewire

from export.transformation.node_exec import constant_output


def _same_quantizer(model, a, b):
    if a.op_type != b.op_type or a.attribute != b.attribute:
        return False
    params = zip(a.input[1:], b.input[1:])
    return all(np.array_equal(model.get_initializer(x), model.get_initializer(y))
               for x, y in params)


class RemoveRedundantQuant(Transformation):
    """Drop a Quant whose input comes from an identical Quant: re-quantizing is identity.

    Brevitas emits these where a layer's own input quantizer follows a quantized
    activation (the conv's ``input_quant`` after the residual quantizer)."""

    def apply(self, model):
        for node in model.graph.node:
            if node.op_type != "Quant":
                continue
            producer = model.find_producer(node.input[0])
            if producer is not None and _same_quantizer(model, producer, node):
                remove_node_and_rewire(model, node)
                return model, True
        return model, False


class RemoveIdentityInputQuant(Transformation):
    """Drop Quant(Mul(x, s)) on a graph input x annotated as an integer datatype when the
    quantizer has scale s and holds every value of that datatype: pixels arrive as
    integers, so quantizing them again is identity."""

    def apply(self, model):
        for inp in model.graph.input:
            dtype = model.get_tensor_datatype(inp.name)
            for mul in model.find_consumers(inp.name) or []:
                consumers = model.find_consumers(mul.output[0]) if mul.op_type == "Mul" else []
                if len(consumers) != 1 or consumers[0].op_type != "Quant" or not dtype.is_integer():
                    continue
                quant = consumers[0]
                s = model.get_initializer(mul.input[1])
                inst = getCustomOp(quant)
                qdtype = inst.get_integer_datatype(model)
                if (np.array_equal(model.get_initializer(quant.input[1]), s)
                        and qdtype.min() <= dtype.min() and qdtype.max() >= dtype.max()
                        and not np.any(model.get_initializer(quant.input[2]))):
                    remove_node_and_rewire(model, quant)
                    return model, True
        return model, False


class FoldQuantBias(Transformation):
    """Replace a Conv/Gemm bias that is a Quant of a constant by its (exact) value.

    qonnx's ExtractBiasFromConv fails on per-channel bias quantizers (it reshapes the
    scalar zero point to the bias shape); folded, the bias is a plain initializer."""

    def apply(self, model):
        for node in model.graph.node:
            if node.op_type not in ("Conv", "Gemm") or len(node.input) < 3:
                continue
            quant = model.find_producer(node.input[2])
            if quant is None or quant.op_type != "Quant":
                continue
            if any(model.get_initializer(i) is None for i in quant.input):
                continue
            model.set_initializer(quant.output[0],
                                  constant_output(model, quant).astype(np.float32))
            model.graph.node.remove(quant)
            return model, True
        return model, False


class AnnotateBipolarWeights(Transformation):
    """Annotate the output of a BipolarQuant of constant weights as BIPOLAR.

    FINN's FoldQuantWeights folds a unit-scale quantizer into a plain initializer and
    drops its datatype; without the annotation ConvertBipolarMatMulToXnorPopcount
    would not recognise the binary convs."""

    def apply(self, model):
        changed = False
        for node in model.graph.node:
            bipolar = DataType["BIPOLAR"]
            if node.op_type == "BipolarQuant" and model.get_initializer(node.input[0]) is not None \
                    and model.get_tensor_datatype(node.output[0]) != bipolar:
                model.set_tensor_datatype(node.output[0], bipolar)
                changed = True
        return model, changed


class AnnotateUnitScaleIntWeights(Transformation):
    """Annotate the output of a Quant of constant weights with scale 1 and zero point 0
    with its integer datatype (SRB's integer weight plane): FoldQuantWeights folds such a
    quantizer into a plain initializer and drops the datatype, as for bipolar weights."""

    def apply(self, model):
        changed = False
        for node in model.graph.node:
            if node.op_type != "Quant" or any(model.get_initializer(i) is None
                                              for i in node.input):
                continue
            scale, zero_point = (model.get_initializer(i) for i in node.input[1:3])
            dtype = getCustomOp(node).get_integer_datatype(model)
            if np.all(scale == 1) and not np.any(zero_point) \
                    and model.get_tensor_datatype(node.output[0]) != dtype:
                model.set_tensor_datatype(node.output[0], dtype)
                changed = True
        return model, changed
