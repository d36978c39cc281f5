"""The yosys area estimate and timing proxy on small generated layers, and the area report."""
from types import SimpleNamespace

import numpy as np
import pytest

from hw import stream_fifo
from hw.area import synth_area, synth_area_and_timing, yosys_available
from hw.area_report import TARGET_LUT_LEVELS, area_table, to_markdown
from hw.mvau import generate_xnor_mvau

needs_yosys = pytest.mark.skipif(not yosys_available(), reason="yosys is not installed")


def small_xnor_mvau(out_dir):
    rng = np.random.default_rng(0)
    return generate_xnor_mvau("area_xnor", rng.integers(0, 2, size=(16, 8)),
                              rng.integers(0, 17, size=(8, 1)), simd=4, pe=2, out_dir=out_dir)


@needs_yosys
def test_small_xnor_mvau_has_positive_counts(tmp_path):
    layer = small_xnor_mvau(tmp_path)
    area = synth_area(layer.sources, layer.name)
    assert set(area) == {"LUT", "LUTRAM", "FF", "CARRY4", "RAMB18", "RAMB36", "BRAM18", "DSP48E1"}
    assert all(isinstance(n, int) and n >= 0 for n in area.values()), area
    assert area["LUT"] > 0 and area["FF"] > 0, area


@needs_yosys
def test_deep_fifo_maps_to_block_ram_and_shallow_to_luts():
    # 4096 x 32 bits = 128 Kb: four RAMB36 (eight BRAM18); only the 3-word output queue
    # (six RAM32M) stays in LUTRAM
    deep = synth_area(stream_fifo.SOURCES, stream_fifo.MODULE, {"DEPTH": 4096, "WIDTH": 32})
    assert deep["BRAM18"] == 8 and deep["LUTRAM"] <= 24, deep
    shallow = synth_area(stream_fifo.SOURCES, stream_fifo.MODULE,
                         {"DEPTH": stream_fifo.LUTRAM_MAX_DEPTH, "WIDTH": 32})
    assert shallow["BRAM18"] == 0 and shallow["LUTRAM"] > 0, shallow


@needs_yosys
def test_mvau_pipeline_has_no_stall_enable(tmp_path):
    """No clock enable reaches the MVAU's pipeline: the only enabled registers left are
    the accumulators (loaded on valid dot products), PE x ACC_BITS of them."""
    layer = small_xnor_mvau(tmp_path)
    _, timing = synth_area_and_timing(layer.sources, layer.name)
    assert 0 < timing["lut_levels"] <= TARGET_LUT_LEVELS, timing
    assert timing["max_enable_fanout"] <= 2 * layer.parameters["ACC_BITS"], timing
    assert timing["worst_from"] and timing["worst_to"], timing


def test_area_table_reports_the_worst_path():
    def instance(name, kind):
        return SimpleNamespace(name=name, kind=kind, exp_cycles=10)
    layers = [instance("MVAU_0", "MVAU"), instance("Thresholding_0", "Thresholding")]
    fifos = [instance("fifo_0", "FIFO"), instance("fifo_1", "FIFO")]
    design = SimpleNamespace(layers=layers, instances=layers + fifos, bottleneck=layers[0])
    areas = {name: {"LUT": 10, "FF": 5, "LUTRAM": 0, "CARRY4": 0, "BRAM18": 0, "DSP48E1": 0,
                    "lut_levels": levels, "worst_from": f"{name}.a", "worst_to": f"{name}.b",
                    "max_enable_fanout": 1}
             for name, levels in (("MVAU_0", 6), ("Thresholding_0", 2), ("fifo_0", 1),
                                  ("fifo_1", 2))}
    table = area_table(design, areas)
    assert table["worst_path"] == {"name": "MVAU_0", "lut_levels": 6, "worst_from": "MVAU_0.a",
                                   "worst_to": "MVAU_0.b"}
    assert table["layers"][-1]["lut_levels"] == 2  # the deepest FIFO
    text = to_markdown(table)
    assert "Worst path: 6 LUT levels in MVAU_0, MVAU_0.a -> MVAU_0.b" in text
    assert f"target <= {TARGET_LUT_LEVELS} LUT levels" in text and "NOT met" in text
