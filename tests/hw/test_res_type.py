"""SetResType: FINN's resType of the integer MVAUs for a DSP budget."""
import pytest
import torch
from qonnx.custom_op.registry import getCustomOp

from export.build import ExportConfig, export_model
from hw.cost_model import int_mvau_estimate
from hw.res_type import SetResType, dsp_count, integer_mvaus
from train.archs import build_model
from train.cli import read_onnx


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    """16 channels, 1 block, x2, folded for 2 cycles per pixel of a 4x64 frame (its
    integer MVAUs of 36 to 144 lanes), resType left "auto"."""
    work = tmp_path_factory.mktemp("res_type")
    torch.manual_seed(0)
    model = build_model({"type": "BinarySRResNet", "channels": 16, "blocks": 1}, 2, 1).eval()
    export_model(model, ExportConfig(work, 4, 64, target_fps=100e6 / (2 * 4 * 64)),
                 log=lambda *a: None)
    return read_onnx(work / "dataflow.onnx")


def res_types(model) -> dict:
    return {n.name: getCustomOp(n).get_nodeattr("resType") for n in integer_mvaus(model)}


def dsps(model) -> int:
    return sum(dsp_count(n, model) for n in integer_mvaus(model)
               if getCustomOp(n).get_nodeattr("resType") == "dsp")


def test_export_without_a_budget_puts_every_product_in_a_dsp(graph):
    assert set(res_types(graph).values()) == {"dsp"}


def with_auto(graph):
    model = graph.transform(SetResType())  # a copy
    for node in integer_mvaus(model):
        getCustomOp(node).set_nodeattr("resType", "auto")
    return model


def test_a_zero_budget_puts_every_product_in_luts(graph):
    assert set(res_types(with_auto(graph).transform(SetResType(0))).values()) == {"lut"}


def test_dsps_go_where_they_save_most_luts_within_the_budget(graph):
    model = with_auto(graph)
    nodes = integer_mvaus(model)
    saved = {n.name: (int_mvau_estimate(n, model, "lut")["LUT"]
                      - int_mvau_estimate(n, model, "dsp")["LUT"]) / dsp_count(n, model)
             for n in nodes}
    best = max(nodes, key=lambda n: saved[n.name])
    budget = dsp_count(best, model)
    model = model.transform(SetResType(budget))
    assert dsps(model) <= budget
    assert res_types(model)[best.name] == "dsp"


def test_nodes_set_to_dsp_count_against_the_budget(graph):
    model = with_auto(graph)
    first = integer_mvaus(model)[0]
    getCustomOp(first).set_nodeattr("resType", "dsp")
    budget = dsp_count(first, model)
    model = model.transform(SetResType(budget))
    assert res_types(model)[first.name] == "dsp"
    assert dsps(model) == budget


def test_negative_budget_is_refused():
    with pytest.raises(ValueError, match="DSP budget must be >= 0"):
        SetResType(-1)
