"""hw/rtl/sliding_window.sv against the golden im2col, in Verilator and Icarus, at two run-time
image sizes from one build."""
import numpy as np
import pytest

from hw import sliding_window
from sim.layer_cases import sliding_window_case, run_at_sizes
from sim.runner import simulator_case

FRAMES = 2
# (channels, simd, elem_bits, kernel), MAX_W, run-time sizes (in_h, in_w) of the padded
# image: one at MAX_W, one narrower
CONFIGS = {
    # a 3x4 frame is smaller than the buffer ((3-1) rows of 6 + 2*3 pixels): the writer
    # runs into the next frame
    "simd_all": ((4, 4, 1, 3), 6, ((3, 4), (5, 6))),
    "simd_1": ((3, 1, 2, 3), 7, ((5, 7), (4, 3))),
    "simd_mid_k5": ((4, 2, 1, 5), 8, ((6, 8), (5, 6))),
}
RUNS = [*(simulator_case(name, "verilator") for name in CONFIGS),
        simulator_case("simd_mid_k5", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_sliding_window_matches_golden_at_two_sizes(config, simulator, tmp_path):
    run_at_sizes(sliding_window_case, np.random.default_rng(2), *CONFIGS[config], tmp_path,
                 simulator, FRAMES)


@pytest.mark.parametrize("args, rule", [
    ((6, 8, 3, 3), "ConvolutionInputGenerator: SIMD 3 does not divide 8 channels"),
    ((2, 4, 4, 3), r"ConvolutionInputGenerator: kernel 3 is wider than the largest image "
                   r"\(2 pixels\)"),
])
def test_check_folding_names_layer_and_rule(args, rule):
    with pytest.raises(ValueError, match=rule):
        sliding_window.check_folding(*args)
