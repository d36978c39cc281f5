"""hw/rtl/sliding_window_parallel.sv against the golden im2col, in Verilator and Icarus:
each build runs two run-time image sizes (in_w, in_h) below its maximum width."""
import numpy as np
import pytest

from hw import sliding_window
from sim.layer_cases import sliding_window_parallel_case
from sim.runner import simulator_case

FRAMES = 2
# (run-time (in_h, in_w) sizes, max_w, channels, elem_bits, (KH, KW)); images already padded
CONFIGS = {
    "3x3_binary": (((5, 7), (4, 3)), 8, 4, 1, (3, 3)),
    "3x3_8bit": (((6, 9), (3, 4)), 9, 2, 8, (3, 3)),
    "1x5_binary": (((3, 6), (2, 5)), 7, 3, 1, (1, 5)),
    "5x1_8bit": (((6, 2), (5, 1)), 4, 1, 8, (5, 1)),
}
RUNS = [*(simulator_case(name, "verilator") for name in CONFIGS),
        simulator_case("3x3_binary", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_sliding_window_parallel_matches_golden(config, simulator, tmp_path):
    sliding_window_parallel_case(np.random.default_rng(3), *CONFIGS[config],
                                 frames=FRAMES).run_rtl(tmp_path, simulator)


def test_golden_equals_finn_execution():
    for config in CONFIGS.values():
        case = sliding_window_parallel_case(np.random.default_rng(4), *config, frames=1)
        assert case.finn_mismatches() == []


@pytest.mark.parametrize("args, rule", [
    ((6, 6, 8, 8, 4, (3, 3)), "ConvolutionInputGenerator: a parallel window takes whole pixels"
                              ": SIMD 4 must equal the 8 channels"),
    ((6, 2, 8, 4, 4, (1, 5)), "ConvolutionInputGenerator: kernel 1x5 is larger than the 6x2 "
                              "image"),
    ((6, 9, 8, 4, 4, (3, 3)), "ConvolutionInputGenerator: image width 9 exceeds the maximum "
                              "width 8"),
])
def test_check_parallel_names_layer_and_rule(args, rule):
    with pytest.raises(ValueError, match=rule):
        sliding_window.check_parallel(*args)
