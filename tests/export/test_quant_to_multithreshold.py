"""Activation quantizers -> MultiThreshold: bit-exact against the model, by construction,
and still exact after FINN's ConvertQONNXtoFINN and Streamline."""
import numpy as np
import pytest
import torch
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.extract_conv_bias import ExtractBiasFromConv
from qonnx.util.basic import qonnx_make_model

from export.qonnx_export import export_qonnx_model
from export.transformation.qonnx_cleanup import (FoldQuantBias, RemoveIdentityInputQuant,
                                                 RemoveRedundantQuant)
from export.transformation.quant_to_multithreshold import (ChainError,
                                                           ConvertQuantChainsToMultiThreshold)
from finn.transformation.qonnx.convert_qonnx_to_finn import ConvertQONNXtoFINN
from finn.transformation.qonnx.fold_quant_weights import FoldQuantWeights
from finn.transformation.streamline import Streamline
from train.archs import build_model

PREPARE = [RemoveRedundantQuant(), RemoveIdentityInputQuant(), FoldQuantBias(),
           ExtractBiasFromConv(), FoldQuantWeights()]


def trained_like(arch, scale, in_channels, seed, **kwargs):
    """A small model with BN statistics and random (also negative) channel affines."""
    torch.manual_seed(seed)
    model = build_model({"type": arch, "channels": 6, "blocks": 1, **kwargs}, scale, in_channels)
    model.train()
    for _ in range(2):
        model(torch.randint(0, 256, (2, in_channels, 10, 10)).float())
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(("gamma", "beta", "bias", "slope", "shift_in", "shift_out")) \
                    and p.requires_grad:
                p.uniform_(-1.5, 1.5) if not name.endswith("slope") else p.uniform_(0, 0.5)
    return model.eval()


def run(model, pixels):
    name = model.graph.input[0].name
    return execute_onnx(model, {name: pixels})[model.graph.output[0].name]


@pytest.mark.parametrize("arch,scale,in_channels,kwargs", [
    ("BinarySRResNet", 2, 1, {}),
    ("BinaryEDSR", 3, 3, {}),
    ("BinarySRResNet", 4, 1, dict(convs_per_block=1, out_act="rprelu", affine="learned",
                                  branch_bits=4)),
])
def test_thresholds_reproduce_the_model_exactly(arch, scale, in_channels, kwargs):
    model = trained_like(arch, scale, in_channels, seed=scale, **kwargs)
    qonnx = export_qonnx_model(model, 8, 8)
    converted = qonnx
    for step in PREPARE + [ConvertQuantChainsToMultiThreshold()]:
        converted = converted.transform(step)
    ops = {n.op_type for n in converted.graph.node}
    assert not ops & {"Quant", "BipolarQuant", "Where", "GreaterOrEqual"}
    streamlined = converted.transform(ConvertQONNXtoFINN()).transform(Streamline())
    rng = np.random.default_rng(0)
    for _ in range(4):
        pixels = rng.integers(0, 256, (1, in_channels, 8, 8)).astype(np.float32)
        with torch.no_grad():
            expected = model(torch.from_numpy(pixels)).numpy()
        for graph in (qonnx, converted, streamlined):
            assert np.array_equal(run(graph, pixels), expected)


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
