"""SetFolding: FINN's least-parallelism folding, and integer MVAUs folded to pair their
products in DSP48E1s."""
import pytest
import torch
from qonnx.custom_op.registry import getCustomOp

from export.build import ExportConfig, export_model
from hw.graph import op_kind
from hw.res_type import dsp_count, integer_mvaus
from hw.set_folding import SetFolding
from train.archs import build_model
from train.cli import read_onnx

FRAME = (4, 64)


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    """8 channels, 1 block, x2, folded for 4 cycles per LR pixel: the 3x3 windows go
    parallel (9 cycles folded), and the tail (MW 72, MH 4) needs all 72x4 lanes."""
    work = tmp_path_factory.mktemp("set_folding")
    torch.manual_seed(0)
    model = build_model({"type": "BinarySRResNet", "channels": 8, "blocks": 1}, 2, 1).eval()
    height, width = FRAME
    export_model(model, ExportConfig(work, height, width, target_fps=1e8 / (4 * height * width)),
                 log=lambda *a: None)
    return read_onnx(work / "dataflow.onnx")


def fold(node):
    op = getCustomOp(node)
    return op.get_nodeattr("SIMD"), op.get_nodeattr("PE")


def test_the_tail_trades_simd_for_pe_to_pair_its_products(graph):
    tail = integer_mvaus(graph)[-1]
    op = getCustomOp(tail)
    mw, mh = op.get_nodeattr("MW"), op.get_nodeattr("MH")
    assert (mw, mh) == (72, 4)
    # FINN's rule alone gives SIMD 72 x PE 1 (a DSP48E1 per product): the same 72 lanes
    # as 36 x 2 take the same MW/SIMD * MH/PE = 4 cycles per pixel in half the DSPs
    assert fold(tail) == (36, 2)
    assert dsp_count(tail, graph) == 36


def test_pairing_keeps_every_layers_cycles(graph):
    def cycles(node):
        op = getCustomOp(node)
        simd, pe = fold(node)
        return op.get_nodeattr("MW") // simd * (op.get_nodeattr("MH") // pe)

    refolded = graph.transform(SetFolding(4 * FRAME[0] * FRAME[1]))
    mvaus = [n for n in refolded.graph.node if op_kind(n) == "MVAU"]
    assert all(cycles(n) <= 4 for n in mvaus)
    binary = [n for n in mvaus if getCustomOp(n).get_nodeattr("binaryXnorMode")]
    # binary MVAUs keep FINN's SIMD-first fold (SIMD = MW before PE grows): their lanes
    # are LUTs, not DSPs
    assert binary and all(fold(n)[0] == getCustomOp(n).get_nodeattr("MW") for n in binary)
