"""Integer-weight MatMuls on bipolar inputs (SRB's integer weight plane) as MatMuls on bits.

With x = 2b - 1 for the stored bit b: x @ W = 2 * (b @ W) - colsum(W). The producing
bipolar MultiThreshold then outputs the bit b (as ConvertBipolarMatMulToXnorPopcount
does for all-bipolar MatMuls), and the Mul by 2 and the per-channel Add of -colsum(W)
follow the MatMul, to be absorbed into its thresholds: an integer MVAU with 1-bit
unsigned inputs and the weights unchanged.
"""
import numpy as np
from onnx import TensorProto
from onnx import helper as oh
from qonnx.core.datatype import DataType
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes

BIPOLAR = DataType["BIPOLAR"]


def _is_bipolar_multithreshold(node):
    return (node.op_type == "MultiThreshold"
            and getCustomOp(node).get_nodeattr("out_dtype") == "BIPOLAR")


class ConvertBipolarInputMatMulToBinary(Transformation):
    """MatMul(BIPOLAR x, integer non-bipolar W) -> Add(Mul(MatMul(BINARY b, W), 2), -colsum W)."""

    def apply(self, model):
        for index, node in enumerate(model.graph.node):
            weights = model.get_initializer(node.input[1]) if node.op_type == "MatMul" else None
            if weights is None or model.get_tensor_datatype(node.input[0]) != BIPOLAR:
                continue
            wdt = model.get_tensor_datatype(node.input[1])
            if wdt == BIPOLAR or not wdt.is_integer():
                continue
            self._input_to_bits(model, node)
            self._correct_output(model, node, index, weights)
            model = model.transform(InferShapes()).transform(InferDataTypes())
            return model, True
        return model, False

    @staticmethod
    def _input_to_bits(model, node):
        chain = model.find_upstream(node.input[0], _is_bipolar_multithreshold)
        if not chain:
            raise ValueError(f"{node.name}: its bipolar input comes from no bipolar "
                             f"MultiThreshold, so it cannot become bits")
        outputs = {t.name for t in model.graph.output}
        shared = [n.name for n in chain
                  if len(model.find_consumers(n.output[0])) != 1 or n.output[0] in outputs]
        if shared:
            raise ValueError(f"{node.name}: its bipolar input forks at {', '.join(shared)}; "
                             f"turning it into bits would change the other consumers")
        threshold = getCustomOp(chain[-1])
        if (threshold.get_nodeattr("out_scale"), threshold.get_nodeattr("out_bias")) != (2.0, -1.0):
            raise ValueError(f"{chain[-1].name}: a bipolar MultiThreshold needs out_scale 2 "
                             f"and out_bias -1")
        threshold.set_nodeattr("out_dtype", "BINARY")
        threshold.set_nodeattr("out_scale", 1.0)
        threshold.set_nodeattr("out_bias", 0.0)
        model.set_tensor_datatype(node.input[0], DataType["BINARY"])

    @staticmethod
    def _correct_output(model, node, index, weights):
        """2 * (b @ W) - colsum(W) after the MatMul, in its place in the graph."""
        shape = model.get_tensor_shape(node.output[0])
        result = node.output[0]
        products = model.make_new_valueinfo_name()
        doubled = model.make_new_valueinfo_name()
        node.output[0] = products
        for name in (products, doubled):
            model.graph.value_info.append(
                oh.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        two, offset = model.make_new_valueinfo_name(), model.make_new_valueinfo_name()
        model.set_initializer(two, np.asarray([2.0], dtype=np.float32))
        model.set_initializer(offset, -weights.sum(axis=0).astype(np.float32))
        model.graph.node.insert(index + 1, oh.make_node("Mul", [products, two], [doubled]))
        model.graph.node.insert(index + 2, oh.make_node("Add", [doubled, offset], [result]))
