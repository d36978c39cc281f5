"""hw/rtl/sliding_window.sv against the golden im2col, in Verilator and Icarus."""
import numpy as np
import pytest

from hw import sliding_window
from sim.layer_cases import sliding_window_case
from sim.runner import simulator_case

FRAMES = 2
# (in_h, in_w, channels, simd, elem_bits, kernel); the image is already padded
CONFIGS = {
    # (kernel-1) rows + 2*kernel pixels exceed this frame: the buffer is capped at one frame
    "simd_all": (3, 4, 4, 4, 1, 3),
    "simd_1": (5, 7, 3, 1, 2, 3),
    "simd_mid": (4, 5, 4, 2, 1, 3),
}
RUNS = [*(simulator_case(name, "verilator") for name in CONFIGS),
        simulator_case("simd_mid", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_sliding_window_matches_golden(config, simulator, tmp_path):
    sliding_window_case(np.random.default_rng(2), *CONFIGS[config], frames=FRAMES).run_rtl(
        tmp_path, simulator)


@pytest.mark.parametrize("args, rule", [
    ((6, 6, 8, 3, 3), "ConvolutionInputGenerator: SIMD 3 does not divide 8 channels"),
    ((6, 2, 4, 4, 3), "ConvolutionInputGenerator: kernel 3 is larger than the 6x2 image"),
])
def test_check_folding_names_layer_and_rule(args, rule):
    with pytest.raises(ValueError, match=rule):
        sliding_window.check_folding(*args)
