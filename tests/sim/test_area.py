"""Smoke test of the yosys area estimate on one small generated layer."""
import numpy as np
import pytest

from hw import stream_fifo
from hw.area import synth_area, yosys_available
from hw.mvau import generate_xnor_mvau


@pytest.mark.skipif(not yosys_available(), reason="yosys is not installed")
def test_small_xnor_mvau_has_positive_counts(tmp_path):
    rng = np.random.default_rng(0)
    layer = generate_xnor_mvau("area_xnor", rng.integers(0, 2, size=(16, 8)),
                               rng.integers(0, 17, size=(8, 1)), simd=4, pe=2, out_dir=tmp_path)
    area = synth_area(layer.sources, layer.name)
    assert set(area) == {"LUT", "LUTRAM", "FF", "CARRY4", "RAMB18", "RAMB36", "BRAM18", "DSP48E1"}
    assert all(isinstance(n, int) and n >= 0 for n in area.values()), area
    assert area["LUT"] > 0 and area["FF"] > 0, area


@pytest.mark.skipif(not yosys_available(), reason="yosys is not installed")
def test_deep_fifo_maps_to_block_ram_and_shallow_to_luts():
    # 4096 x 32 bits = 128 Kb: four RAMB36 (eight BRAM18); only the 3-word output queue
    # (six RAM32M) stays in LUTRAM
    deep = synth_area(stream_fifo.SOURCES, stream_fifo.MODULE, {"DEPTH": 4096, "WIDTH": 32})
    assert deep["BRAM18"] == 8 and deep["LUTRAM"] <= 24, deep
    shallow = synth_area(stream_fifo.SOURCES, stream_fifo.MODULE,
                         {"DEPTH": stream_fifo.LUTRAM_MAX_DEPTH, "WIDTH": 32})
    assert shallow["BRAM18"] == 0 and shallow["LUTRAM"] > 0, shallow
