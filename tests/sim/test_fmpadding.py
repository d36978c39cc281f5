"""hw/rtl/fmpadding.sv against the golden fm_padding, in Verilator and Icarus."""
import numpy as np
import pytest

from hw import fmpadding
from sim.layer_cases import fmpadding_case
from sim.runner import simulator_case

FRAMES = 2
# (in_h, in_w, channels, simd, elem_bits, padding [top, left, bottom, right])
CONFIGS = {
    "simd_all": (4, 5, 4, 4, 1, (1, 1, 1, 1)),
    "simd_1": (5, 4, 3, 1, 2, (0, 2, 1, 0)),
    "simd_mid": (4, 4, 4, 2, 4, (2, 0, 0, 1)),
}
RUNS = [*(simulator_case(name, "verilator") for name in CONFIGS),
        simulator_case("simd_mid", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_fmpadding_matches_golden(config, simulator, tmp_path):
    fmpadding_case(np.random.default_rng(1), *CONFIGS[config], frames=FRAMES).run_rtl(
        tmp_path, simulator)


def test_check_folding_names_layer_and_rule():
    with pytest.raises(ValueError, match="FMPadding: SIMD 3 does not divide 8 channels"):
        fmpadding.check_folding(4, 4, 8, 3, (1, 1, 1, 1))
