"""Integer-weight MatMuls on bipolar inputs become MatMuls on bits plus a correction
(export.transformation.bipolar_input): the same values, exactly; forks are refused.
(Exactness on whole models: test_methods_export.py, FRBC.)"""
import numpy as np
import pytest
from qonnx.core.datatype import DataType
from qonnx.custom_op.registry import getCustomOp
from onnx import helper

from export.transformation.bipolar_input import ConvertBipolarInputMatMulToBinary
from sim.finn_models import finn_execute, make_model


def bipolar_matmul(fork=False):
    """x (INT8) -> MultiThreshold (BIPOLAR) -> a -> MatMul with INT4 weights -> y
    (and, ``fork``, a also a graph output)."""
    rng = np.random.default_rng(0)
    sign = helper.make_node("MultiThreshold", ["x", "thresholds"], ["a"],
                            domain="qonnx.custom_op.general", out_dtype="BIPOLAR",
                            out_scale=2.0, out_bias=-1.0, name="sign")
    matmul = helper.make_node("MatMul", ["a", "weights"], ["y"], name="srb")
    outputs = {"y": ((5, 3), "INT32"), **({"a": ((5, 6), "BIPOLAR")} if fork else {})}
    return make_model(
        [sign, matmul], {"x": ((5, 6), "INT8")}, outputs,
        intermediates={} if fork else {"a": ((5, 6), "BIPOLAR")},
        initializers={"thresholds": (rng.integers(-3, 4, size=(6, 1)) + 0.5, "FLOAT32"),
                      "weights": (rng.integers(-7, 8, size=(6, 3)), "INT4")})


def test_matmul_on_bits_with_the_correction_gives_the_same_values():
    model = bipolar_matmul()
    x = {"x": np.random.default_rng(1).integers(-8, 8, size=(5, 6))}
    expected = finn_execute(model, x)["y"]
    converted = model.transform(ConvertBipolarInputMatMulToBinary())
    assert converted.get_tensor_datatype("a") == DataType["BINARY"]
    assert getCustomOp(converted.get_node_from_name("sign")).get_nodeattr("out_bias") == 0
    assert [n.op_type for n in converted.graph.node] == ["MultiThreshold", "MatMul", "Mul", "Add"]
    assert np.array_equal(converted.get_initializer("weights"), model.get_initializer("weights"))
    assert np.array_equal(finn_execute(converted, x)["y"], expected)


def test_a_forking_bipolar_input_is_refused_naming_the_node():
    with pytest.raises(ValueError, match="srb: its bipolar input forks at sign"):
        bipolar_matmul(fork=True).transform(ConvertBipolarInputMatMulToBinary())
