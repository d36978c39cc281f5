"""Small FINN models, random data and FINN's own Python execution, for golden-model tests."""
from typing import NamedTuple

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.util.basic import qonnx_make_model

from sim.golden.graph import run_graph

FINN_DOMAIN = "finn.custom_op.fpgadataflow"

# a handful of examples per property keeps the whole golden suite well under a minute
few_examples = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def hw_node(op_type: str, inputs: list[str], outputs: list[str], **attrs):
    """A FINN HW-layer node (abstract, executed in Python by FINN)."""
    return helper.make_node(
        op_type, inputs, outputs, domain=FINN_DOMAIN, backend="fpgadataflow",
        name=f"{op_type}_{outputs[0]}", **attrs,
    )


def make_model(nodes, inputs: dict, outputs: dict, intermediates=None, initializers=None):
    """A ModelWrapper with DataType annotations on every tensor.

    inputs, outputs, intermediates: name -> (shape, DataType name);
    initializers: name -> (array, DataType name).
    """
    intermediates, initializers = intermediates or {}, initializers or {}

    def value_infos(specs):
        return [helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))
                for name, (shape, _) in specs.items()]

    graph = helper.make_graph(nodes, "golden_test", value_infos(inputs), value_infos(outputs),
                              value_info=value_infos(intermediates))
    model = ModelWrapper(qonnx_make_model(graph, producer_name="golden-tests"))
    for name, (_, dtype) in {**inputs, **outputs, **intermediates}.items():
        model.set_tensor_datatype(name, DataType[dtype])
    for name, (value, dtype) in initializers.items():
        model.set_initializer(name, np.asarray(value, dtype=np.float32))
        model.set_tensor_datatype(name, DataType[dtype])
    return model


def random_values(rng: np.random.Generator, dtype: str, shape) -> np.ndarray:
    """Uniform random int64 values of a FINN integer DataType (BIPOLAR as {-1, +1})."""
    dt = DataType[dtype]
    if dt == DataType["BIPOLAR"]:
        return rng.choice(np.array([-1, 1]), size=shape)
    return rng.integers(dt.min(), dt.max() + 1, size=shape)


# activation name -> (output DataType, number of thresholds, ActVal) as FINN infers them
ACTIVATIONS = {"uint2": ("UINT2", 3, 0), "int4": ("INT4", 15, -8), "bipolar": ("BIPOLAR", 1, 0)}


class Activation(NamedTuple):
    odt: str
    thresholds: np.ndarray
    act_val: int


def random_activation(rng, name: str, rows: int, lo: int, hi: int, fractional: bool):
    """Sorted random thresholds in [lo, hi] for ``rows`` channels (1: shared by all).

    fractional shifts them by 0.5, FINN thresholds being floats that need not be integral.
    """
    odt, steps, act_val = ACTIVATIONS[name]
    thresholds = np.sort(rng.integers(lo, hi + 1, size=(rows, steps)), axis=1).astype(np.float64)
    return Activation(odt, thresholds + 0.5 if fractional else thresholds, act_val)


class MvauGeometry(NamedTuple):
    simd: int
    pe: int
    mw: int
    mh: int
    vectors: tuple


@st.composite
def mvau_geometries(draw, simd_choices=(1, 2, 4), max_simd_fold=4):
    """MW, MH with SIMD | MW and PE | MH, and a small (1, H, W) batch of input vectors."""
    simd, pe = draw(st.sampled_from(simd_choices)), draw(st.sampled_from((1, 2)))
    mw = simd * draw(st.integers(1, max_simd_fold))
    mh = pe * draw(st.integers(1, 3))
    vectors = (1, draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return MvauGeometry(simd, pe, mw, mh, vectors)


def finn_execute(model: ModelWrapper, inputs: dict, full_context: bool = False) -> dict:
    """FINN's Python execution (execute_onnx) on float32 copies of the inputs."""
    as_float = {name: np.asarray(x, dtype=np.float32) for name, x in inputs.items()}
    return execute_onnx(model, as_float, return_full_exec_context=full_context)


def assert_matches_finn(model: ModelWrapper, inputs: dict, kernel_out: np.ndarray) -> None:
    """The kernel output, and run_graph on the model, both equal FINN's single output."""
    out_name = model.graph.output[0].name
    expected = finn_execute(model, inputs)[out_name]
    assert np.array_equal(kernel_out, expected)
    assert np.array_equal(run_graph(model, inputs)[out_name], expected)


def mvau_node(inp: str, out: str, weights, wdt: str, idt: str, odt: str, vectors,
              thresholds=None, act_val=0, binary_xnor=0, simd=1, pe=1):
    """FINN MVAU inp -> out; no thresholds means noActivation. Returns (node, initializers)."""
    mw, mh = weights.shape
    initializers = {f"{out}_weights": (weights, wdt)}
    if thresholds is not None:
        initializers[f"{out}_thresholds"] = (thresholds, "FLOAT32")
    node = hw_node(
        "MVAU", [inp, *initializers], [out], MW=mw, MH=mh, SIMD=simd, PE=pe,
        inputDataType=idt, weightDataType=wdt, outputDataType=odt, ActVal=act_val,
        binaryXnorMode=binary_xnor, noActivation=int(thresholds is None),
        numInputVectors=list(vectors),
    )
    return node, initializers


def mvau_model(weights, wdt: str, idt: str, odt: str, vectors, thresholds=None, act_val=0,
               binary_xnor=0, simd=1, pe=1) -> ModelWrapper:
    """A single FINN MVAU x (*vectors, MW) -> out (*vectors, MH)."""
    node, initializers = mvau_node("x", "out", weights, wdt, idt, odt, vectors, thresholds,
                                   act_val, binary_xnor, simd, pe)
    mw, mh = weights.shape
    return make_model([node], {"x": ((*vectors, mw), idt)}, {"out": ((*vectors, mh), odt)},
                      initializers=initializers)


def fm_padding_node(inp: str, out: str, img_dim, padding, channels: int, dtype: str, simd=1):
    """FINN FMPadding; padding is [top, left, bottom, right]. Returns (node, padded (H, W))."""
    node = hw_node("FMPadding", [inp], [out], ImgDim=list(img_dim), Padding=list(padding),
                   NumChannels=channels, SIMD=simd, inputDataType=dtype)
    top, left, bottom, right = padding
    return node, (img_dim[0] + top + bottom, img_dim[1] + left + right)


def sliding_window_node(inp: str, out: str, ifm_dim, kernel, channels: int, dtype: str,
                        stride=(1, 1), dilation=(1, 1), simd=1):
    """FINN ConvolutionInputGenerator. Returns (node, output (H, W))."""
    ofm_dim = [(size - d * (k - 1) - 1) // s + 1
               for size, k, s, d in zip(ifm_dim, kernel, stride, dilation)]
    node = hw_node("ConvolutionInputGenerator", [inp], [out], ConvKernelDim=list(kernel),
                   IFMChannels=channels, IFMDim=list(ifm_dim), OFMDim=ofm_dim, SIMD=simd,
                   Stride=list(stride), Dilation=list(dilation), inputDataType=dtype,
                   outputDataType=dtype)
    return node, tuple(ofm_dim)
