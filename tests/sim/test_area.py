"""Smoke test of the yosys area estimate on one small generated layer."""
import numpy as np
import pytest

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
