"""The equivalence chain of the deployable path, with exact equality:
Brevitas model == QONNX == every export step == dataflow graph (FINN python execution)
== numpy golden model. A mismatch names the first stage that differs and, inside the
dataflow graph, the first node whose output diverges from the golden model."""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx

from hw.artifacts import CONFIG_FILE, DATAFLOW_FILE, INTERMEDIATE_DIR, QONNX_FILE
from sim.golden.graph import first_divergence, run_graph, tensor_order


@dataclass
class StageResult:
    stage: str
    differing: int  # elements that differ from the Brevitas model's output
    first_divergence: tuple | None = None  # (tensor, differing elements), dataflow only


class EquivalenceError(AssertionError):
    """Some stage of the export does not reproduce the Brevitas model exactly."""


def _nchw_input_for(model, pixels):
    """``pixels`` (NCHW) in the layout the model's input expects (NCHW or NHWC)."""
    shape = tuple(model.get_tensor_shape(model.graph.input[0].name))
    return pixels if shape == pixels.shape else pixels.transpose(0, 2, 3, 1)


def _as_nchw(output, reference_shape):
    return output if output.shape == reference_shape else output.transpose(0, 3, 1, 2)


def run_onnx(model, pixels, full_context=False):
    name = model.graph.input[0].name
    result = execute_onnx(model, {name: _nchw_input_for(model, pixels).astype(np.float32)},
                          return_full_exec_context=full_context)
    return result if full_context else result[model.graph.output[0].name]


def export_stages(export_dir):
    """[(stage name, model)] in build order: QONNX, each saved step."""
    export_dir = Path(export_dir)
    steps = json.loads((export_dir / CONFIG_FILE).read_text())["steps"]
    paths = [("qonnx", export_dir / QONNX_FILE)]
    paths += [(step, export_dir / INTERMEDIATE_DIR / f"{step}.onnx") for step in steps]
    return [(stage, ModelWrapper(str(path))) for stage, path in paths if path.is_file()]


def _count_differing(a, b):
    return int(np.count_nonzero(a != b)) if a.shape == b.shape else max(a.size, b.size)


def dataflow_vs_golden(dataflow, pixels):
    """Golden model output (NHWC) and the first tensor where FINN's execution differs."""
    nhwc = _nchw_input_for(dataflow, pixels)
    name = dataflow.graph.input[0].name
    golden = run_graph(dataflow, {name: nhwc}, trace=True)
    finn = run_onnx(dataflow, pixels, full_context=True)
    order = tensor_order(dataflow)
    return golden[dataflow.graph.output[0].name], first_divergence(golden, finn, order)


def check_chain(torch_model, export_dir, pixels, log=print):
    """Run every stage on ``pixels`` (uint8 NCHW); raise EquivalenceError on any mismatch.

    Returns [StageResult] (all with differing == 0 on success).
    """
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(pixels.astype(np.float32))).numpy()
    results = [StageResult("brevitas", 0)]
    for stage, model in export_stages(export_dir):
        out = _as_nchw(run_onnx(model, pixels), expected.shape)
        results.append(StageResult(stage, _count_differing(out, expected)))
    dataflow = ModelWrapper(str(Path(export_dir) / DATAFLOW_FILE))
    golden, divergence = dataflow_vs_golden(dataflow, pixels)
    golden = _as_nchw(golden, expected.shape)
    results.append(StageResult("golden", _count_differing(golden, expected), divergence))
    for result in results:
        log(f"  {result.stage:28s} {'exact' if not result.differing else result.differing}")
    failed = [r for r in results if r.differing or r.first_divergence]
    if failed:
        first = failed[0]
        where = (f"; golden vs FINN first differ at {first.first_divergence[0]} "
                 f"({first.first_divergence[1]} elements)" if first.first_divergence else "")
        raise EquivalenceError(f"stage {first.stage} differs from the Brevitas model in "
                               f"{first.differing} of {expected.size} output elements{where}")
    return results
