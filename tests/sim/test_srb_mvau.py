"""One SRB layer of an exported deployable FRBC in RTL: the integer MVAU on bits with SRB's
integer weight plane (hw/rtl/mvau.sv, IB=1, IN_SIGNED=0), fed the bits it receives on a real
image tile, exact against the golden model and FINN's execution, cycle-exact."""
import sys
from pathlib import Path

import numpy as np
import pytest
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from export.build import DATAFLOW_FILE, ExportConfig, export_model
from hw.graph import op_kind
from sim.accelerator import cosimulate, real_tiles
from sim.golden.graph import run_graph
from sim.layer_cases import int_mvau_case_of
from sim.runner import simulator_mark
from sim.tb.layer_run import layer_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))
from sr_models import trained_like  # noqa: E402

FRAME = 8
TARGET_CYCLES = 500  # per frame: folds the 36 x 4 SRB layers (SIMD * PE > 1)


@pytest.fixture(scope="module")
def frbc(tmp_path_factory):
    """A tiny deployable FRBC (4 channels, 1 block: 3 SRB units), exported and folded."""
    model = trained_like("FRBC", 2, 1, seed=3, channels=4, mode="deployable")
    out = tmp_path_factory.mktemp("frbc")
    export_model(model, ExportConfig(out, FRAME, FRAME, target_fps=1e8 / TARGET_CYCLES),
                 log=lambda *_: None)
    return ModelWrapper(str(out / DATAFLOW_FILE))


def srb_layers(model):
    """The integer MVAUs on bits: SRB convs (binary convs are XNOR MVAUs)."""
    return [n for n in model.graph.node if op_kind(n) == "MVAU"
            and not getCustomOp(n).get_nodeattr("binaryXnorMode")
            and getCustomOp(n).get_input_datatype() == DataType["BINARY"]]


def test_every_body_conv_is_an_integer_mvau_on_bits_with_a_4_bit_plane(frbc):
    layers = srb_layers(frbc)
    assert len(layers) == 3
    for node in layers:
        weights = frbc.get_initializer(node.input[1])
        assert frbc.get_tensor_datatype(node.input[1]).bitwidth() <= 4
        assert np.abs(weights).max() <= 7  # 4 s1 + k s2, k in 0..3


@simulator_mark("verilator")
def test_srb_layer_rtl_matches_golden_and_finn_on_a_real_tile(frbc):
    node = srb_layers(frbc)[1]
    op = getCustomOp(node)
    simd, pe, mw, mh = (op.get_nodeattr(k) for k in ("SIMD", "PE", "MW", "MH"))
    assert simd * pe > 1
    trace = run_graph(frbc, {frbc.graph.input[0].name: real_tiles(frbc, 1)}, trace=True)
    x = trace[node.input[0]].reshape(-1, mw)
    name = "srb_mvau_frbc"
    case = int_mvau_case_of(
        layer_dir(name), name, frbc.get_initializer(node.input[1]).astype(np.int64),
        frbc.get_tensor_datatype(node.input[1]).name, frbc.get_initializer(node.input[2]), x, simd=simd,
        pe=pe, in_bits=1, in_signed=False, act_val=op.get_nodeattr("ActVal"))
    assert np.array_equal(case.outputs["out0"].values, trace[node.output[0]].reshape(-1, mh))
    assert case.finn_mismatches() == []
    case.run_rtl(layer_dir(name), "verilator")


@pytest.mark.slow
@simulator_mark("verilator")
def test_the_whole_frbc_accelerator_is_exact_in_rtl(frbc):
    result = cosimulate(frbc, real_tiles(frbc), layer_dir("accel_frbc"))
    assert result.frames == 2
