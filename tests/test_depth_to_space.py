"""DepthToSpace HW layer: golden, FINN custom op, InferDepthToSpaceLayer, HLS C-sim."""
import importlib.util
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_data_layouts import InferDataLayouts
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.basic import qonnx_make_model

from export.transformation.infer_depth_to_space import InferDepthToSpaceLayer
from finn.transformation.streamline.absorb import AbsorbConsecutiveTransposes
from hw.stream import StreamFormat
from sim.golden.depth_to_space import depth_to_space_nhwc

REPO = Path(__file__).resolve().parents[1]
HLS_DIR = REPO / "hw" / "hls"
TB_SOURCE = HLS_DIR / "csim" / "depth_to_space_tb.cpp"
HW_DOMAIN = "export.custom_op.fpgadataflow"


# ---------------------------------------------------------------- helpers


def random_values(rng, dtype, shape):
    """Random values of a FINN DataType, as float32 like FINN's execution context."""
    if dtype == DataType["BIPOLAR"]:
        return rng.choice([-1.0, 1.0], size=shape).astype(np.float32)
    return rng.integers(dtype.min(), dtype.max() + 1, size=shape).astype(np.float32)


def torch_pixel_shuffle_nhwc(x, block):
    """Reference: torch pixel_shuffle applied through NHWC<->NCHW transposes."""
    nchw = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    return torch.nn.functional.pixel_shuffle(nchw, block).numpy().transpose(0, 2, 3, 1)


def make_hw_node(op_type="DepthToSpace", domain=HW_DOMAIN, **attrs):
    """A DepthToSpace HW node (abstract or _hls) with FINN-style attributes."""
    defaults = dict(
        ImgDim=[2, 3], NumChannels=3, BlockSize=2, SIMD=1,
        inputDataType="UINT8", numInputVectors=1,
    )
    defaults.update(attrs)
    return helper.make_node(
        op_type, ["inp"], ["outp"], domain=domain, backend="fpgadataflow",
        name="d2s_test", **defaults
    )


def execute_hw(inst, x):
    """Run the custom op's execute_node on one input tensor."""
    context = {"inp": x, "outp": np.zeros(inst.get_normal_output_shape(), np.float32)}
    inst.execute_node(context, None)
    return context["outp"]


def ap_types_dir():
    """hls4ml's bundled Xilinx ap_int.h / hls_stream.h, found without importing hls4ml."""
    spec = importlib.util.find_spec("hls4ml")
    return Path(spec.submodule_search_locations[0]) / "templates" / "vivado" / "ap_types"


def compile_tb(exe, configs, extra=()):
    """Build the C-sim bench; configs maps name -> (H, W, C, S, SIMD, BITS, DUT)."""
    entries = " ".join(
        f"D2S_CONFIG({name}, {', '.join(map(str, cfg))})" for name, cfg in configs.items()
    )
    cmd = ["g++", "-std=c++14", "-O1", "-I", str(HLS_DIR), "-I", str(ap_types_dir())]
    cmd += [f"-DD2S_CONFIGS={entries}", *extra, str(TB_SOURCE), "-o", str(exe)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-4000:]
    return exe


def run_tb(exe, name, reps, words, workdir):
    """Feed hex words through config ``name`` of the bench, return its output words."""
    in_path, out_path = workdir / f"{name}.in", workdir / f"{name}.out"
    in_path.write_text("".join(f"{w:x}\n" for w in words))
    result = subprocess.run(
        [str(exe), name, str(reps), str(in_path), str(out_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return [int(line, 16) for line in out_path.read_text().split()]


needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")


# ---------------------------------------------------------------- golden and execute_node


@pytest.mark.parametrize("block", [2, 3, 4])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("dtype", ["UINT8", "INT9", "BIPOLAR"])
def test_execute_node_matches_pixel_shuffle(block, channels, dtype):
    rng = np.random.default_rng(block * 100 + channels)
    for height, width in [(1, 1), (2, 3), (5, 4)]:
        inst = getCustomOp(make_hw_node(
            ImgDim=[height, width], NumChannels=channels, BlockSize=block, inputDataType=dtype
        ))
        x = random_values(rng, DataType[dtype], inst.get_normal_input_shape())
        y = execute_hw(inst, x)
        assert y.dtype == np.float32
        np.testing.assert_array_equal(y, torch_pixel_shuffle_nhwc(x, block))


def test_golden_keeps_integer_dtype_and_rejects_bad_shapes():
    x = np.arange(2 * 2 * 3 * 8, dtype=np.int64).reshape(2, 2, 3, 8)
    y = depth_to_space_nhwc(x, 2)
    assert y.dtype == np.int64 and y.shape == (2, 4, 6, 2)
    # out[n, h*S+i, w*S+j, c] = x[n, h, w, c*S*S + i*S + j]
    assert y[1, 2 * 1 + 1, 2 * 2 + 0, 1] == x[1, 1, 2, 1 * 4 + 1 * 2 + 0]
    with pytest.raises(ValueError, match="multiple of block"):
        depth_to_space_nhwc(x, 3)
    with pytest.raises(ValueError, match="4D"):
        depth_to_space_nhwc(x[0], 2)


@st.composite
def op_configs(draw):
    """Random legal node attributes; SIMD is drawn among the divisors of C."""
    channels = draw(st.integers(1, 8))
    simd = draw(st.sampled_from([d for d in range(1, channels + 1) if channels % d == 0]))
    return dict(
        ImgDim=[draw(st.integers(1, 5)), draw(st.integers(1, 5))],
        NumChannels=channels,
        BlockSize=draw(st.integers(1, 4)),
        SIMD=simd,
        numInputVectors=draw(st.integers(1, 2)),
        inputDataType=draw(st.sampled_from(["BIPOLAR", "BINARY", "UINT4", "INT9", "UINT8"])),
    )


@settings(max_examples=60, deadline=None)
@given(attrs=op_configs(), seed=st.integers(0, 2**31 - 1))
def test_execute_node_random_sizes(attrs, seed):
    inst = getCustomOp(make_hw_node(**attrs))
    dtype = DataType[attrs["inputDataType"]]
    x = random_values(np.random.default_rng(seed), dtype, inst.get_normal_input_shape())
    np.testing.assert_array_equal(
        execute_hw(inst, x), torch_pixel_shuffle_nhwc(x, attrs["BlockSize"])
    )
    # folding only regroups the channel axis
    for normal, folded in [
        (inst.get_normal_input_shape(), inst.get_folded_input_shape()),
        (inst.get_normal_output_shape(), inst.get_folded_output_shape()),
    ]:
        assert folded[:-2] == normal[:-1] and folded[-1] == attrs["SIMD"]
        assert folded[-2] * folded[-1] == normal[-1]
    words_per_image = np.prod(inst.get_folded_input_shape()[:-1]) // attrs["numInputVectors"]
    rows = attrs["numInputVectors"] * attrs["ImgDim"][0]
    assert inst.get_exp_cycles() == (rows + 1) * words_per_image // attrs["ImgDim"][0]


# ---------------------------------------------------------------- shapes, widths, cycles


@pytest.mark.parametrize(
    "attrs, ishape, oshape, fin, fout, width, cycles",
    [
        # (N*H + 1) * W * S*S * C / SIMD
        (dict(ImgDim=[4, 5], NumChannels=3, BlockSize=2, SIMD=1),
         (1, 4, 5, 12), (1, 8, 10, 3), (1, 4, 5, 12, 1), (1, 8, 10, 3, 1), 8, 5 * 5 * 4 * 3),
        (dict(ImgDim=[4, 5], NumChannels=3, BlockSize=2, SIMD=3),
         (1, 4, 5, 12), (1, 8, 10, 3), (1, 4, 5, 4, 3), (1, 8, 10, 1, 3), 24, 5 * 5 * 4),
        (dict(ImgDim=[2, 3], NumChannels=6, BlockSize=3, SIMD=2, numInputVectors=2,
              inputDataType="INT9"),
         (2, 2, 3, 54), (2, 6, 9, 6), (2, 2, 3, 27, 2), (2, 6, 9, 3, 2), 18, 5 * 3 * 27),
        (dict(ImgDim=[8, 8], NumChannels=6, BlockSize=4, SIMD=6, inputDataType="BIPOLAR"),
         (1, 8, 8, 96), (1, 32, 32, 6), (1, 8, 8, 16, 6), (1, 32, 32, 1, 6), 6, 9 * 8 * 16),
    ],
)
def test_shapes_widths_cycles(attrs, ishape, oshape, fin, fout, width, cycles):
    inst = getCustomOp(make_hw_node(**attrs))
    assert inst.get_normal_input_shape() == ishape
    assert inst.get_normal_output_shape() == oshape
    assert inst.get_folded_input_shape() == fin
    assert inst.get_folded_output_shape() == fout
    assert inst.get_instream_width() == inst.get_outstream_width() == width
    assert inst.get_number_output_values() == np.prod(fout[:-1])
    assert inst.get_exp_cycles() == cycles
    assert inst.get_output_datatype() == inst.get_input_datatype()
    assert inst.verify_node() == ["Attribute backend is set correctly"]


@pytest.mark.parametrize("attrs, message", [
    (dict(NumChannels=3, SIMD=8), r"SIMD (8) must divide NumChannels * BlockSize**2 (12)"),
    (dict(NumChannels=3, OutSIMD=4), r"OutSIMD (4) must divide NumChannels * BlockSize (6)"),
])
def test_illegal_simd_names_node_and_rule(attrs, message):
    inst = getCustomOp(make_hw_node(**attrs))
    for method in (inst.get_folded_input_shape, inst.get_folded_output_shape,
                   inst.get_exp_cycles):
        with pytest.raises(ValueError, match=re.escape(f"d2s_test: {message}")):
            method()
    assert f"d2s_test: {message}" in inst.verify_node()


@pytest.mark.parametrize("attrs, message", [
    (dict(NumChannels=3, SIMD=2), "SIMD (2) must divide NumChannels (3) in the HLS kernel"),
    (dict(NumChannels=3, SIMD=3, OutSIMD=6), "the HLS kernel needs OutSIMD (6) = SIMD (3)"),
])
def test_hls_backend_keeps_its_kernels_folding(attrs, message):
    inst = getCustomOp(make_hw_node("DepthToSpace_hls", HW_DOMAIN + ".hls", **attrs))
    with pytest.raises(ValueError, match=re.escape(f"d2s_test: {message}")):
        inst.get_folded_input_shape()


def test_pixels_per_output_word():
    """OutSIMD = P*C: words of P whole HR pixels, cycles set by the slower side."""
    inst = getCustomOp(make_hw_node(ImgDim=[4, 5], NumChannels=1, BlockSize=2, SIMD=4,
                                    OutSIMD=2))
    assert inst.get_folded_input_shape() == (1, 4, 5, 1, 4)
    assert inst.get_folded_output_shape() == (1, 8, 5, 2)
    assert (inst.get_instream_width(), inst.get_outstream_width()) == (32, 16)
    # in 5 words per LR row, out 10: 5 + 3 * 10 + 10
    assert inst.get_exp_cycles() == 45
    assert inst.verify_node() == ["Attribute backend is set correctly"]


def test_make_shape_compatible_op_and_datatype_inference():
    node = make_hw_node(ImgDim=[2, 2], NumChannels=2, BlockSize=2, inputDataType="UINT8")
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("inp", TensorProto.FLOAT, [1, 2, 2, 8])],
        [helper.make_tensor_value_info("outp", TensorProto.FLOAT, None)],
    )
    model = ModelWrapper(qonnx_make_model(graph))
    model.set_tensor_datatype("inp", DataType["INT4"])
    model = model.transform(InferShapes())
    assert model.get_tensor_shape("outp") == [1, 4, 4, 2]
    getCustomOp(model.graph.node[0]).infer_node_datatype(model)
    assert model.get_tensor_datatype("outp") == DataType["INT4"]
    assert getCustomOp(model.graph.node[0]).get_nodeattr("inputDataType") == "INT4"


# ---------------------------------------------------------------- InferDepthToSpaceLayer


def d2s_model(block=2, channels=3, height=3, width=4, mode="CRD", dtype="UINT8", nhwc_io=False):
    """DepthToSpace on NCHW; with nhwc_io, wrapped in Transposes (as after FINN's
    convolution lowering) and followed by an Identity so the graph output is no Transpose."""
    in_ch = channels * block * block
    hr_height, hr_width = height * block, width * block
    mode_attr = {} if mode is None else {"mode": mode}
    nodes = [helper.make_node("DepthToSpace", ["x_nchw"], ["y_nchw"], blocksize=block,
                              name="pixel_shuffle", **mode_attr)]
    if nhwc_io:
        in_shape, out_shape = [1, height, width, in_ch], [1, hr_height, hr_width, channels]
        nodes.insert(0, helper.make_node("Transpose", ["x"], ["x_nchw"], perm=[0, 3, 1, 2]))
        nodes += [helper.make_node("Transpose", ["y_nchw"], ["y_nhwc"], perm=[0, 2, 3, 1]),
                  helper.make_node("Identity", ["y_nhwc"], ["y"])]
    else:
        in_shape, out_shape = [1, in_ch, height, width], [1, channels, hr_height, hr_width]
        nodes[0].input[0], nodes[0].output[0] = "x", "y"
    graph = helper.make_graph(
        nodes, "d2s",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
    )
    model = ModelWrapper(qonnx_make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    model = model.transform(InferShapes())
    model.set_tensor_datatype("x", DataType[dtype])
    if nhwc_io:
        model.set_tensor_layout("x", ["N", "H", "W", "C"])
    return model.transform(InferDataTypes()).transform(InferDataLayouts())


def assert_same_execution(before, after, dtype="UINT8", seed=0):
    """Both models give the same output on random data; returns (input, output)."""
    shape = before.get_tensor_shape("x")
    x = random_values(np.random.default_rng(seed), DataType[dtype], shape)
    expected = execute_onnx(before, {"x": x})["y"]
    np.testing.assert_array_equal(execute_onnx(after, {"x": x})["y"], expected)
    return x, expected


@pytest.mark.parametrize("block, dtype", [(2, "UINT8"), (3, "INT9"), (4, "BIPOLAR")])
def test_infer_layer_on_nchw_graph(block, dtype):
    model = d2s_model(block=block, dtype=dtype)
    converted, changed = InferDepthToSpaceLayer().apply(model)
    assert changed
    assert [(n.op_type, n.domain) for n in converted.graph.node] == [
        ("Transpose", ""), ("DepthToSpace", HW_DOMAIN), ("Transpose", "")
    ]
    inst = getCustomOp(converted.graph.node[1])
    assert inst.get_nodeattr("ImgDim") == [3, 4]
    assert inst.get_nodeattr("NumChannels") == 3
    assert inst.get_nodeattr("BlockSize") == block
    assert inst.get_nodeattr("inputDataType") == dtype
    assert converted.get_tensor_layout(converted.graph.node[1].input[0]) == ["N", "H", "W", "C"]
    assert converted.get_tensor_datatype("y") == DataType[dtype]
    x, y = assert_same_execution(model, converted, dtype)
    np.testing.assert_array_equal(y, torch.nn.functional.pixel_shuffle(torch.from_numpy(x), block))


def test_infer_layer_transposes_cancel_around_nhwc_data():
    model = d2s_model(nhwc_io=True)
    converted, _ = InferDepthToSpaceLayer().apply(model)
    converted = converted.transform(AbsorbConsecutiveTransposes())
    assert [n.op_type for n in converted.graph.node] == ["DepthToSpace", "Identity"]
    assert converted.graph.node[0].input[0] == "x"
    assert_same_execution(model, converted)


def test_infer_layer_on_torch_pixel_shuffle_export():
    f = io.BytesIO()
    torch.onnx.export(torch.nn.PixelShuffle(2), (torch.zeros(1, 12, 3, 4),), f,
                      input_names=["x"], output_names=["y"], opset_version=13, dynamo=False)
    model = ModelWrapper(f.getvalue())
    attrs = {a.name: helper.get_attribute_value(a) for a in model.graph.node[0].attribute}
    assert attrs == {"blocksize": 2, "mode": b"CRD"}
    model.set_tensor_datatype("x", DataType["UINT8"])
    model = model.transform(InferShapes()).transform(InferDataLayouts())
    converted, changed = InferDepthToSpaceLayer().apply(model)
    assert changed and converted.graph.node[1].op_type == "DepthToSpace"
    assert_same_execution(model, converted)


@pytest.mark.parametrize("mode", ["DCR", None])
def test_infer_layer_rejects_dcr(mode):
    # a missing mode attribute means DCR in ONNX
    with pytest.raises(ValueError, match="pixel_shuffle: DepthToSpace mode DCR is not supported"):
        InferDepthToSpaceLayer().apply(d2s_model(mode=mode))


def test_infer_layer_rejects_nhwc_annotated_input():
    model = d2s_model()
    model.set_tensor_layout("x", ["N", "H", "W", "C"])
    with pytest.raises(ValueError, match="pixel_shuffle: tensor x has layout"):
        InferDepthToSpaceLayer().apply(model)


def test_infer_layer_leaves_float_input():
    model = d2s_model(dtype="FLOAT32")
    converted, changed = InferDepthToSpaceLayer().apply(model)
    assert not changed
    assert [n.op_type for n in converted.graph.node] == ["DepthToSpace"]


# ---------------------------------------------------------------- HLS C-sim

# (H, W, C, S, SIMD, BITS, REPS, DUT); the skew banking differs with gcd(S*S, SIMD)
CSIM_CONFIGS = [
    (1, 1, 1, 1, 1, 1, 1, "BramDut"),     # S=1: identity
    (2, 3, 3, 2, 1, 8, 1, "BramDut"),     # UINT8-like, one element per word
    (3, 2, 6, 2, 3, 9, 2, "BramDut"),     # INT9-like, gcd 1, two images
    (2, 2, 4, 3, 2, 4, 1, "LutramDut"),   # S=3, gcd 1
    (2, 3, 6, 2, 6, 1, 2, "BramDut"),     # binary, gcd 2: skewed
    (2, 2, 8, 4, 8, 2, 1, "BramDut"),     # gcd 8 = SIMD
    (1, 2, 12, 3, 6, 16, 1, "LutramDut"), # gcd 3, 96-bit words
]


def csim_name(cfg):
    """Config name in the bench and the test id."""
    return "cfg_" + "_".join(map(str, cfg))


@pytest.fixture(scope="module")
def csim_bench(tmp_path_factory):
    """One bench holding all CSIM_CONFIGS (REPS is a run-time argument)."""
    if shutil.which("g++") is None:
        pytest.skip("g++ not installed")
    workdir = tmp_path_factory.mktemp("d2s_csim")
    configs = {csim_name(cfg): cfg[:6] + cfg[7:] for cfg in CSIM_CONFIGS}
    return compile_tb(workdir / "depth_to_space_tb", configs), workdir


@needs_gxx
@pytest.mark.parametrize("cfg", CSIM_CONFIGS, ids=csim_name)
def test_hls_csim_matches_golden(csim_bench, cfg):
    exe, workdir = csim_bench
    height, width, channels, block, simd, bits, reps, _ = cfg
    rng = np.random.default_rng(sum(cfg[:-1]))
    # signed values check that two's-complement bit patterns pass through unchanged
    low = -(1 << (bits - 1)) if bits > 1 else 0
    x = rng.integers(low, low + (1 << bits), size=(reps, height, width, channels * block * block))
    stream = StreamFormat(bits, simd)
    got = run_tb(exe, csim_name(cfg), reps, stream.pack_words(x), workdir)
    assert got == stream.pack_words(depth_to_space_nhwc(x, block))


@needs_gxx
def test_generated_hls_top_runs_in_csim(tmp_path, monkeypatch):
    """FINN's ipgen code for DepthToSpace_hls compiles against the kernel and matches golden."""
    monkeypatch.setenv("FINN_BUILD_DIR", str(tmp_path))
    attrs = dict(ImgDim=[2, 3], NumChannels=6, BlockSize=2, SIMD=3, numInputVectors=2,
                 inputDataType="BIPOLAR", ram_style="distributed")
    node = make_hw_node("DepthToSpace_hls", HW_DOMAIN + ".hls", **attrs)
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("inp", TensorProto.FLOAT, [2, 2, 3, 24])],
        [helper.make_tensor_value_info("outp", TensorProto.FLOAT, [2, 4, 6, 6])],
    )
    model = ModelWrapper(qonnx_make_model(graph))
    inst = getCustomOp(model.graph.node[0])
    inst.set_nodeattr("code_gen_dir_ipgen", str(tmp_path))
    inst.set_nodeattr("code_gen_dir_cppsim", str(tmp_path))
    inst.code_generation_ipgen(model, "xc7z020clg400-1", 10.0)
    inst.code_generation_cppsim(model)
    top = tmp_path / "top_d2s_test.cpp"
    call = ("depth_to_space<DepthToSpaceCfg>(in0_V, out0_V, DepthToSpaceReps, "
            "DepthToSpaceLutram());")
    assert call in top.read_text()
    assert call in (tmp_path / "execute_DepthToSpace_hls.cpp").read_text()

    exe = compile_tb(tmp_path / "tb_top", {"top": (2, 3, 6, 2, 3, 1, "TopDut")}, [
        "-I", str(HLS_DIR / "csim"), f'-DD2S_GENERATED_TOP="{top}"', "-DD2S_TOP=d2s_test",
    ])
    x = random_values(np.random.default_rng(7), DataType["BIPOLAR"], inst.get_normal_input_shape())
    bits = (x + 1) / 2  # BIPOLAR travels as BINARY
    got = run_tb(exe, "top", 2, StreamFormat(1, 3).pack_words(bits), tmp_path)
    assert got == StreamFormat(1, 3).pack_words(depth_to_space_nhwc(bits, 2))
