"""FINN's ``resType`` of every integer MVAU for a DSP48E1 budget: ``SetResType``.

An integer MVAU builds its SIMD*PE products in DSP48E1s ("dsp": one per product, or one
per two PE lanes where ``hw.mvau.packs_pairs``) or in LUTs ("lut": shift-adds of the
weight's bits, or of the constant weights' signed digits when the layer is fully
unfolded; ``hw.mvau.product_style``). Nodes whose resType is
"auto" (FINN's default) are decided here, as FINN's "auto" leaves the choice to the
backend: with no budget every one takes DSPs; with a budget the DSPs go first to the
layers where one DSP saves the most LUTs (``hw.cost_model`` estimates of both styles),
while the DSPs of the layers set to "dsp" and those given so far fit the budget, and the
rest build their products in LUTs (so does a layer whose LUT products cost no more LUTs,
as constant weights often do). Run after folding (the cost is per product).
"""
import numpy as np
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from hw import mvau
from hw.graph import op_kind


def integer_mvaus(model) -> list:
    return [node for node in model.graph.node if op_kind(node) == "MVAU"
            and not getCustomOp(node).get_nodeattr("binaryXnorMode")]


def with_res_type(model, res_type: str):
    """``model`` with every integer MVAU's resType set to ``res_type`` (in place)."""
    for node in integer_mvaus(model):
        getCustomOp(node).set_nodeattr("resType", res_type)
    return model


def packs_pairs_of(node, model) -> bool:
    """Whether integer MVAU ``node`` of ``model`` with DSP products multiplies its PE lanes
    in pairs, as ``hw.graph_layers`` generates it (weights in their fewest signed bits)."""
    op = getCustomOp(node)
    idt = op.get_input_datatype()
    weights = model.get_initializer(node.input[1]).astype(np.int64)
    return mvau.packs_pairs(op.get_nodeattr("PE"), idt.bitwidth(), idt.signed(),
                            mvau.int_weight_bits(weights))


def dsp_count(node, model) -> int:
    """DSP48E1s of integer MVAU ``node`` of ``model`` with DSP products, as the RTL builds
    them: one per SIMD*PE product, one per pair of products where it packs pairs."""
    op = getCustomOp(node)
    products = op.get_nodeattr("SIMD") * op.get_nodeattr("PE")
    return products // 2 if packs_pairs_of(node, model) else products


class SetResType(Transformation):
    """Resolve resType "auto" of every integer MVAU for at most ``dsp_budget`` DSP48E1s
    (None: no limit, every "auto" node takes DSPs); see the module doc."""

    def __init__(self, dsp_budget: float | None = None):
        super().__init__()
        if dsp_budget is not None and dsp_budget < 0:
            raise ValueError(f"DSP budget must be >= 0, got {dsp_budget}")
        self.dsp_budget = dsp_budget

    def apply(self, model):
        from hw.cost_model import int_mvau_estimate

        nodes = integer_mvaus(model)
        auto = [n for n in nodes if getCustomOp(n).get_nodeattr("resType") == "auto"]
        used = sum(dsp_count(n, model) for n in nodes
                   if getCustomOp(n).get_nodeattr("resType") == "dsp")

        def luts_saved_per_dsp(node):
            saved = (int_mvau_estimate(node, model, "lut")["LUT"]
                     - int_mvau_estimate(node, model, "dsp")["LUT"])
            return saved / dsp_count(node, model)

        saved = {} if self.dsp_budget is None else {n.name: luts_saved_per_dsp(n) for n in auto}
        auto.sort(key=lambda n: saved.get(n.name, 0), reverse=True)
        for node in auto:
            fits = self.dsp_budget is None or (saved[node.name] > 0 and
                                               used + dsp_count(node, model) <= self.dsp_budget)
            getCustomOp(node).set_nodeattr("resType", "dsp" if fits else "lut")
            used += dsp_count(node, model) if fits else 0
        return model, False
