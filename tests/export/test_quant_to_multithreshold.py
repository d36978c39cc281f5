"""Activation quantizers -> MultiThreshold: chains that no threshold can reproduce are
refused, naming the quantizer. (Exactness on whole models: test_build.py.)"""
import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.util.basic import qonnx_make_model

from export.transformation.quant_to_multithreshold import (ChainError,
                                                           ConvertQuantChainsToMultiThreshold)


def single_quant_graph(chain_nodes, rounding="FLOOR", bits=4.0):
    """x (INT8 input) -> chain -> Quant(scale 1) -> y."""
    inits = {"scale": np.array(1.0, np.float32), "zp": np.array(0.0, np.float32),
             "bits": np.array(bits, np.float32), "zero": np.array(0.0, np.float32),
             "slope": np.array(-0.5, np.float32)}
    quant = helper.make_node("Quant", ["z", "scale", "zp", "bits"], ["y"],
                             domain="qonnx.custom_op.general", name="Quant_out",
                             rounding_mode=rounding, signed=1, narrow=0)
    graph = helper.make_graph(
        chain_nodes + [quant], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 4, 4])],
        [helper.make_tensor(k, TensorProto.FLOAT, v.shape, v.flatten()) for k, v in inits.items()],
        value_info=[helper.make_tensor_value_info(name, TensorProto.BOOL if name == "ge" else
                                                  TensorProto.FLOAT, [1, 1, 4, 4])
                    for n in chain_nodes for name in n.output])
    model = ModelWrapper(qonnx_make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    model.set_tensor_datatype("x", DataType["INT8"])
    return model


NEGATIVE_SLOPE_PRELU = [
    helper.make_node("GreaterOrEqual", ["x", "zero"], ["ge"]),
    helper.make_node("Mul", ["x", "slope"], ["neg"]),
    helper.make_node("Where", ["ge", "x", "neg"], ["z"]),
]


def test_non_monotone_chain_is_refused_with_the_quantizer_named():
    with pytest.raises(ChainError, match="Quant_out: channel 0 is not monotone"):
        single_quant_graph(NEGATIVE_SLOPE_PRELU).transform(ConvertQuantChainsToMultiThreshold())


def test_round_half_even_quantizer_is_refused():
    identity = [helper.make_node("Mul", ["x", "scale"], ["z"])]
    with pytest.raises(ChainError, match="Quant_out: rounding mode ROUND is not threshold-exact"):
        single_quant_graph(identity, rounding="ROUND").transform(
            ConvertQuantChainsToMultiThreshold())
