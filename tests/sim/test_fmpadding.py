"""hw/rtl/fmpadding.sv against the golden fm_padding, in Verilator and Icarus, at two run-time
image sizes from one build."""
import numpy as np
import pytest

from hw import fmpadding
from sim.layer_cases import fmpadding_case, run_at_sizes
from sim.runner import simulator_case

FRAMES = 2
# (channels, simd, elem_bits, padding [top, left, bottom, right]), MAX_W,
# run-time sizes (in_h, in_w): one at MAX_W, one narrower
CONFIGS = {
    "simd_all": ((4, 4, 1, (1, 1, 1, 1)), 6, ((4, 5), (3, 6))),
    "simd_1": ((3, 1, 2, (0, 2, 1, 0)), 5, ((5, 5), (2, 3))),
    "simd_mid": ((4, 2, 4, (2, 0, 0, 1)), 6, ((4, 4), (6, 1))),
}
RUNS = [*(simulator_case(name, "verilator") for name in CONFIGS),
        simulator_case("simd_mid", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_fmpadding_matches_golden_at_two_sizes(config, simulator, tmp_path):
    run_at_sizes(fmpadding_case, np.random.default_rng(1), *CONFIGS[config], tmp_path,
                 simulator, FRAMES)


def test_check_folding_names_layer_and_rule():
    with pytest.raises(ValueError, match="FMPadding: SIMD 3 does not divide 8 channels"):
        fmpadding.check_folding(4, 8, 3, (1, 1, 1, 1))
