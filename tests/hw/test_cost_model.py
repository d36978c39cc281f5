"""The resource cost model (hw/cost_model.py) against yosys on a few small real layers.

An estimate, not an exact path: the check is a stated tolerance, TOLERANCE below, on
layers of a small exported model that are not the calibration's own samples. The model
is one linear fit per kind over layers from a few LUTs to thousands (its error on its
samples: ``python -m hw.cost_model``): within about 10% on the large layers that dominate
a video-rate design, coarser on small ones, FF coarser than LUT, and below the
calibrated range (fewer than 16 XNOR lanes) up to a factor of two off.
"""
import json
import re
from pathlib import Path

import pytest
import torch

from export.build import ExportConfig, export_model
from hw.area import synth_area, yosys_available
from hw.cost_model import (CALIBRATION_FILE, PARALLEL_WINDOW, RESOURCES, candidates, instance_features,
                           load_models, model_kind, relative_errors)
from hw.graph import topological_nodes
from hw.mvau import INT_KINDS
from hw.stitch import stitch
from train.archs import build_model
from train.cli import read_onnx

# small layers in the calibrated range: LUT within 35% or 40, FF within 60% or 40,
# BRAM18 and DSP within one block
TOLERANCE = {"LUT": (0.35, 40), "FF": (0.6, 40), "BRAM18": (0, 1), "DSP48E1": (0, 1)}
KINDS = ("FMPadding", PARALLEL_WINDOW, "binary MVAU", "Thresholding")


def exported_design(work, seed, channels, cycles_per_pixel):
    """A ``channels``-channel, 1-block x2 model exported for a 4x64 frame, folded for
    ``cycles_per_pixel`` at 100 MHz, and stitched: (graph, design)."""
    torch.manual_seed(seed)
    model = build_model({"type": "BinarySRResNet", "channels": channels, "blocks": 1}, 2, 1)
    export_model(model.eval(), ExportConfig(work / "export", 4, 64,
                                            target_fps=100e6 / (cycles_per_pixel * 4 * 64)),
                 log=lambda *a: None)
    graph = read_onnx(work / "export" / "dataflow.onnx")
    return graph, stitch(graph, work / "rtl")


@pytest.fixture(scope="module")
def small_design(tmp_path_factory):
    """8 channels, 9 cycles per pixel (72-lane binary MVAUs, parallel windows)."""
    return exported_design(tmp_path_factory.mktemp("cost_model"), 1, 8, 9)

def yosys_resources(inst) -> dict:
    area = synth_area(inst.sources, inst.module, inst.parameters)
    return {"LUT": area["LUT"] + area["LUTRAM"], "FF": area["FF"], "BRAM18": area["BRAM18"],
            "DSP48E1": area["DSP48E1"]}


def assert_within_tolerance(label, estimate, measured):
    for res in RESOURCES:
        fraction, cells = TOLERANCE[res]
        allowed = max(fraction * measured[res], cells)
        assert abs(estimate[res] - measured[res]) <= allowed, \
            f"{label} {res}: estimate {estimate[res]}, yosys {measured[res]}"


@pytest.mark.skipif(not yosys_available(), reason="yosys is not installed")
def test_cost_model_is_within_tolerance_of_yosys_on_small_layers(small_design):
    graph, design = small_design
    nodes = {node.name: node for node in topological_nodes(graph.graph)}
    layers = candidates(graph, design)
    for kind in KINDS:
        inst = next(inst for (k, _), inst in layers.items() if k == kind)
        estimate = load_models()[kind].estimate(instance_features(inst, nodes, graph))
        assert_within_tolerance(f"{kind} {inst.name}", estimate, yosys_resources(inst))


def test_every_stitched_kind_has_a_calibrated_model(small_design):
    _, design = small_design
    assert {model_kind(inst) for inst in design.instances} <= set(load_models())


def test_calibration_error_is_reported_per_kind():
    samples = json.loads(CALIBRATION_FILE.read_text())["samples"]
    errors = relative_errors(samples)
    assert set(errors) == set(load_models())
    assert all(0 <= mean <= worst for by_res in errors.values() for mean, worst, _ in by_res.values())


@pytest.fixture(scope="module")
def paired_design(tmp_path_factory):
    """16 channels, 2 cycles per pixel: its head (SIMD 9 x PE 8) and tail (SIMD 144 x PE 2)
    integer MVAUs pair their DSP products, the bicubic skip's 13-bit weights do not."""
    return exported_design(tmp_path_factory.mktemp("cost_model_pairs"), 0, 16, 2)

def dsp_mvaus(graph, design) -> list:
    """(instance, features, PACK_PAIRS of its generated wrapper) per integer MVAU with DSP
    products."""
    nodes = {node.name: node for node in topological_nodes(graph.graph)}
    found = []
    for inst in design.instances:
        if model_kind(inst) == INT_KINDS["dsp"]:
            wrapper = Path(inst.sources[-1]).read_text()
            pack = int(re.search(r"\.PACK_PAIRS\((\d)\)", wrapper).group(1))
            found.append((inst, instance_features(inst, nodes, graph), pack))
    return found


def test_multipliers_are_the_dsps_the_rtl_builds(paired_design):
    """``multipliers`` counts a DSP48E1 per product, one per pair where the generated RTL
    packs pairs (PACK_PAIRS): the same rule as the generator, not a copy of it."""
    layers = dsp_mvaus(*paired_design)
    assert any(pack for _, _, pack in layers) and not all(pack for _, _, pack in layers)
    for inst, features, pack in layers:
        assert features["multipliers"] == features["lanes"] // (2 if pack else 1), inst.name
        assert (features["paired_bits"] > 0) == bool(pack), inst.name
