"""One op kind per node, whatever its backend; every dispatch table is keyed by it."""
from onnx import helper

from hw.graph import op_kind
from hw.graph_layers import ADAPTERS
from hw.set_folding import FOLDERS
from sim.golden.graph import _HW_KERNELS


def test_backend_suffixes_are_stripped_once():
    kinds = [op_kind(helper.make_node(op, [], [])) for op in
             ("MVAU", "MVAU_hls", "MVAU_rtl", "Thresholding_rtl", "Transpose", "Foo_rtl_hls")]
    assert kinds == ["MVAU", "MVAU", "MVAU", "Thresholding", "Transpose", "Foo_rtl"]


def test_every_rtl_layer_and_folding_rule_has_a_golden_kernel():
    assert set(ADAPTERS) <= set(_HW_KERNELS) and set(FOLDERS) <= set(ADAPTERS)
