"""Small FINN models of single HW layers, random data and FINN's own Python execution:
the reference the golden-model tests and the fuzz campaign (benchmarks/fuzz.py) compare with."""
from typing import NamedTuple

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.util.basic import qonnx_make_model

from hw.codegen import range_bits
from sim.golden.graph import run_graph

FINN_DOMAIN = "finn.custom_op.fpgadataflow"
# our own HW ops (DepthToSpace), registered when export.custom_op is imported
EXPORT_DOMAIN = "export.custom_op.fpgadataflow"

def hw_node(op_type: str, inputs: list[str], outputs: list[str], domain: str = FINN_DOMAIN,
            **attrs):
    """A FINN HW-layer node (abstract, executed in Python by FINN)."""
    return helper.make_node(
        op_type, inputs, outputs, domain=domain, backend="fpgadataflow",
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


def int_dtype(lo: int, hi: int) -> str:
    """The FINN DataType name of the narrowest integer type holding [lo, hi]."""
    bits = range_bits(lo, hi)
    if lo < 0:
        return f"INT{bits}"
    return "BINARY" if bits == 1 else f"UINT{bits}"


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
                        stride=(1, 1), dilation=(1, 1), simd=1, parallel_window=0):
    """FINN ConvolutionInputGenerator. Returns (node, output (H, W))."""
    ofm_dim = [(size - d * (k - 1) - 1) // s + 1
               for size, k, s, d in zip(ifm_dim, kernel, stride, dilation)]
    node = hw_node("ConvolutionInputGenerator", [inp], [out], ConvKernelDim=list(kernel),
                   IFMChannels=channels, IFMDim=list(ifm_dim), OFMDim=ofm_dim, SIMD=simd,
                   Stride=list(stride), Dilation=list(dilation), inputDataType=dtype,
                   outputDataType=dtype, parallel_window=parallel_window)
    return node, tuple(ofm_dim)


def thresholding_model(activation: Activation, idt: str, shape) -> ModelWrapper:
    """A single FINN Thresholding node x -> out over the last axis of ``shape``."""
    odt, thresholds, act_val = activation
    node = hw_node(
        "Thresholding", ["x", "t"], ["out"], NumChannels=shape[-1], PE=1,
        numSteps=thresholds.shape[1], inputDataType=idt, weightDataType="FLOAT32",
        outputDataType=odt, ActVal=act_val, numInputVectors=list(shape[:-1]),
    )
    return make_model([node], {"x": (shape, idt)}, {"out": (shape, odt)},
                      initializers={"t": (thresholds, "FLOAT32")})


def elementwise_add_model(lhs_dtype: str, rhs_dtype: str, out_dtype: str, shape, rhs_shape,
                          rhs_const=None, pe: int = 1) -> ModelWrapper:
    """FINN ElementwiseAdd of stream x and stream y, or of x and the constant ``rhs_const``."""
    style = "input" if rhs_const is None else "const"
    node = hw_node("ElementwiseAdd", ["x", "y"], ["out"], lhs_dtype=lhs_dtype,
                   rhs_dtype=rhs_dtype, out_dtype=out_dtype, lhs_shape=list(shape),
                   rhs_shape=list(rhs_shape), out_shape=list(shape), rhs_style=style, PE=pe)
    streams = {"x": (shape, lhs_dtype)}
    if rhs_const is None:
        streams["y"] = (rhs_shape, rhs_dtype)
    initializers = {} if rhs_const is None else {"y": (rhs_const, rhs_dtype)}
    return make_model([node], streams, {"out": (shape, out_dtype)}, initializers=initializers)


def duplicate_streams_model(shape, dtype: str, n_outputs: int, pe: int = 1) -> ModelWrapper:
    """FINN DuplicateStreams x -> out0, out1, ..."""
    outputs = [f"out{i}" for i in range(n_outputs)]
    node = hw_node("DuplicateStreams", ["x"], outputs, NumChannels=shape[-1], PE=pe,
                   NumOutputStreams=n_outputs, inputDataType=dtype,
                   numInputVectors=list(shape[:-1]))
    return make_model([node], {"x": (shape, dtype)}, {name: (shape, dtype) for name in outputs})


def depth_to_space_model(img_dim, channels: int, block: int, dtype: str,
                         simd: int = 1, out_simd: int = 0) -> ModelWrapper:
    """Our DepthToSpace HW op, (1, H, W, C*S*S) -> (1, H*S, W*S, C)."""
    import export.custom_op  # noqa: F401  (registers the op's domain)

    height, width = img_dim
    node = hw_node("DepthToSpace", ["x"], ["out"], domain=EXPORT_DOMAIN, ImgDim=list(img_dim),
                   NumChannels=channels, BlockSize=block, SIMD=simd, OutSIMD=out_simd,
                   inputDataType=dtype)
    return make_model([node], {"x": ((1, height, width, channels * block * block), dtype)},
                      {"out": ((1, height * block, width * block, channels), dtype)})


def fifo_model(shape, dtype: str, depth: int) -> ModelWrapper:
    """FINN StreamingFIFO x -> out (one element per word)."""
    node = hw_node("StreamingFIFO", ["x"], ["out"], depth=depth, folded_shape=[*shape, 1],
                   normal_shape=list(shape), dataType=dtype)
    return make_model([node], {"x": (shape, dtype)}, {"out": (shape, dtype)})


def width_converter_model(shape, dtype: str, in_elems: int, out_elems: int) -> ModelWrapper:
    """FINN StreamingDataWidthConverter x -> out, ``in_elems`` to ``out_elems`` per word."""
    bits = DataType[dtype].bitwidth()
    node = hw_node("StreamingDataWidthConverter", ["x"], ["out"], inShape=list(shape),
                   outShape=list(shape), inWidth=in_elems * bits, outWidth=out_elems * bits,
                   dataType=dtype)
    return make_model([node], {"x": (shape, dtype)}, {"out": (shape, dtype)})
