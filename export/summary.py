"""Per-layer summary of a dataflow graph: kind, shapes, bit widths, ops per LR pixel,
weight and threshold memory, expected cycles; written as summary.json and summary.md."""
import json

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.custom_op.registry import getCustomOp

from hw.graph import op_kind


def layer_kind(node, op) -> str:
    if op_kind(node) == "MVAU":
        return "binary MVAU" if op.get_nodeattr("binaryXnorMode") else "integer MVAU"
    return node.op_type


def _mvau_costs(node, op, model):
    """(binary ops, integer MACs, weight bits, threshold bits) of one frame."""
    mw, mh = op.get_nodeattr("MW"), op.get_nodeattr("MH")
    vectors = int(np.prod(op.get_nodeattr("numInputVectors")))
    macs = mw * mh * vectors
    weight_bits = mw * mh * model.get_tensor_datatype(node.input[1]).bitwidth()
    threshold_bits = 0
    if not op.get_nodeattr("noActivation"):
        # thresholds are stored at the accumulator's width
        acc_bits = DataType[op.get_nodeattr("accDataType")].bitwidth()
        threshold_bits = model.get_initializer(node.input[2]).size * acc_bits
    binary = bool(op.get_nodeattr("binaryXnorMode"))
    return (macs if binary else 0), (0 if binary else macs), weight_bits, threshold_bits


def _threshold_bits(node, model):
    # compared with the input, so stored at the input's width
    thresholds = model.get_initializer(node.input[1])
    return thresholds.size * model.get_tensor_datatype(node.input[0]).bitwidth()


def layer_row(node, model, lr_pixels):
    op = getCustomOp(node)
    binary_ops = int_macs = weight_bits = threshold_bits = 0
    if op_kind(node) == "MVAU":
        binary_ops, int_macs, weight_bits, threshold_bits = _mvau_costs(node, op, model)
    elif op_kind(node) == "Thresholding":
        threshold_bits = _threshold_bits(node, model)
    return {
        "name": node.name,
        "kind": layer_kind(node, op),
        "in_shape": [int(v) for v in op.get_normal_input_shape()],
        "out_shape": [int(v) for v in op.get_normal_output_shape()],
        "in_dtype": op.get_input_datatype().name,
        "out_dtype": op.get_output_datatype().name,
        "weight_dtype": model.get_tensor_datatype(node.input[1]).name if weight_bits else "",
        "binary_ops_per_lr_pixel": binary_ops / lr_pixels,
        "int_macs_per_lr_pixel": int_macs / lr_pixels,
        "weight_bits": weight_bits,
        "threshold_bits": threshold_bits,
        "exp_cycles": int(op.get_exp_cycles()),
    }


TOTAL_KEYS = ("binary_ops_per_lr_pixel", "int_macs_per_lr_pixel", "weight_bits",
              "threshold_bits")


def summarize(model) -> dict:
    """Rows per HW layer and model totals for the frame the graph is built for."""
    _, height, width, channels = model.get_tensor_shape(model.graph.input[0].name)
    rows = [layer_row(node, model, height * width) for node in model.graph.node]
    totals = {key: sum(row[key] for row in rows) for key in TOTAL_KEYS}
    bottleneck = max(rows, key=lambda row: row["exp_cycles"])
    totals.update(layers=len(rows), max_exp_cycles=bottleneck["exp_cycles"],
                  bottleneck=bottleneck["name"])
    return {"frame": {"height": height, "width": width, "channels": channels},
            "layers": rows, "totals": totals}


def _fmt(value):
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "x".join(str(v) for v in value)
    return str(value)


MD_COLUMNS = [("name", "layer"), ("kind", "kind"), ("in_shape", "in"), ("out_shape", "out"),
              ("in_dtype", "in type"), ("weight_dtype", "weights"), ("out_dtype", "out type"),
              ("binary_ops_per_lr_pixel", "XNOR ops/px"), ("int_macs_per_lr_pixel", "int MACs/px"),
              ("weight_bits", "weight bits"), ("threshold_bits", "threshold bits"),
              ("exp_cycles", "exp. cycles")]


def to_markdown(summary) -> str:
    frame, totals = summary["frame"], summary["totals"]
    lines = [f"# Dataflow graph: {frame['height']}x{frame['width']}x{frame['channels']} LR frame",
             "", "| " + " | ".join(title for _, title in MD_COLUMNS) + " |",
             "|" + "---|" * len(MD_COLUMNS)]
    lines += ["| " + " | ".join(_fmt(row[key]) for key, _ in MD_COLUMNS) + " |"
              for row in summary["layers"]]
    lines += ["", f"Totals: {totals['layers']} layers, "
              f"{totals['binary_ops_per_lr_pixel']:g} XNOR ops and "
              f"{totals['int_macs_per_lr_pixel']:g} integer MACs per LR pixel, "
              f"{totals['weight_bits']} weight bits, {totals['threshold_bits']} threshold bits. "
              f"Slowest layer at this folding: {totals['bottleneck']} "
              f"({totals['max_exp_cycles']} cycles per frame, FINN's estimate).", ""]
    return "\n".join(lines)


def write_summary(model, folder):
    summary = summarize(model)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (folder / "summary.md").write_text(to_markdown(summary))
    return summary
