"""hw/rtl/sliding_window_parallel.sv against the golden im2col, in Verilator and Icarus, at two
run-time image sizes from one build."""
import numpy as np
import pytest

from hw import sliding_window
from hw.area import synth_area, yosys_available
from sim.layer_cases import run_at_sizes, sliding_window_parallel_case
from sim.runner import simulator_case

FRAMES = 2
# (channels, elem_bits, (KH, KW)), MAX_W, run-time sizes (in_h, in_w) of the padded image:
# one at MAX_W, one narrower
CONFIGS = {
    "3x3_binary": ((4, 1, (3, 3)), 7, ((5, 7), (4, 3))),
    "3x3_8bit": ((2, 8, (3, 3)), 9, ((6, 9), (3, 4))),
    "1x5_binary": ((3, 1, (1, 5)), 6, ((3, 6), (2, 5))),
    # in_w = 1: the line buffer column just written is read in the same cycle
    "5x1_8bit": ((1, 8, (5, 1)), 2, ((6, 2), (5, 1))),
}
RUNS = [*(simulator_case(name, "verilator") for name in CONFIGS),
        simulator_case("3x3_binary", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_sliding_window_parallel_matches_golden_at_two_sizes(config, simulator, tmp_path):
    run_at_sizes(sliding_window_parallel_case, np.random.default_rng(3), *CONFIGS[config],
                 tmp_path, simulator, FRAMES)


@pytest.mark.parametrize("config", CONFIGS)
def test_golden_equals_finn_execution(config):
    layer, max_w, sizes = CONFIGS[config]
    rng = np.random.default_rng(4)
    for h, w in sizes:
        case = sliding_window_parallel_case(rng, h, w, *layer, frames=1, max_w=max_w)
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


@pytest.mark.skipif(not yosys_available(), reason="yosys is not installed")
def test_line_buffer_of_a_960_pixel_row_is_block_ram():
    area = synth_area(sliding_window.PARALLEL_SOURCES, sliding_window.PARALLEL_MODULE,
                      sliding_window.parallel_rtl_parameters(962, 4, 1, (3, 3)))
    # 2 rows of 4 bits x 962 columns in one 18 Kb block, nothing in LUTs or flip-flops
    assert (area["BRAM18"], area["LUTRAM"]) == (1, 0) and area["FF"] < 150, area
