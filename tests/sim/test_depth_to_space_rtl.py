"""hw/rtl/depth_to_space.sv against the golden depth_to_space_nhwc, in Verilator and Icarus,
at two run-time image sizes from one build."""
import numpy as np
import pytest

from hw import depth_to_space
from sim.layer_cases import depth_to_space_case, run_at_sizes
from sim.runner import simulator_case

FRAMES = 2
# (channels (of the output), block, simd (in), out_simd, elem_bits), MAX_W, run-time sizes
# (in_h, in_w): one at MAX_W, one narrower
CONFIGS = {
    "s2_simd_all": ((6, 2, 6, 6, 2), 4, ((3, 4), (2, 3))),
    "s3_simd_1": ((2, 3, 1, 1, 4), 5, ((4, 5), (3, 2))),
    "s4_simd_mid": ((6, 4, 2, 2, 3), 4, ((4, 4), (2, 1))),
    # P HR pixels per output word (out_simd = P * channels), Y and RGB, x2 and x4
    "y_x2_p1": ((1, 2, 4, 1, 8), 5, ((3, 5), (2, 2))),
    "y_x2_p2": ((1, 2, 4, 2, 8), 5, ((3, 5), (2, 2))),
    "rgb_x2_p2": ((3, 2, 6, 6, 5), 4, ((3, 4), (2, 1))),
    "rgb_x2_p1_in_slow": ((3, 2, 2, 3, 8), 4, ((3, 4), (2, 3))),
    "y_x4_p1": ((1, 4, 16, 1, 4), 3, ((3, 3), (2, 2))),
    "y_x4_p2": ((1, 4, 8, 2, 4), 3, ((3, 3), (2, 2))),
    "y_x4_p4": ((1, 4, 16, 4, 8), 3, ((3, 3), (2, 1))),
    "rgb_x4_p1": ((3, 4, 12, 3, 6), 3, ((2, 3), (3, 2))),
    "rgb_x4_p4": ((3, 4, 48, 12, 3), 3, ((3, 3), (2, 2))),
    "rgb_x4_p2_in_slow": ((3, 4, 3, 6, 8), 3, ((2, 3), (3, 1))),
    # a word straddling two HR pixels (out_simd 2 of C*S = 6)
    "rgb_x2_part": ((3, 2, 4, 2, 8), 4, ((2, 4), (3, 2))),
}
RUNS = [*(simulator_case(name, "verilator") for name in CONFIGS),
        simulator_case("y_x2_p2", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_depth_to_space_matches_golden_at_two_sizes(config, simulator, tmp_path):
    run_at_sizes(depth_to_space_case, np.random.default_rng(3), *CONFIGS[config], tmp_path,
                 simulator, FRAMES)


@pytest.mark.parametrize("folding, message", [
    ((4, 6, 2, 5, 6), "DepthToSpace: SIMD 5 does not divide 24 input channels"),
    ((4, 6, 2, 6, 5), "DepthToSpace: OutSIMD 5 does not divide 12 elements of an LR pixel's "
                      "HR row"),
])
def test_check_folding_names_layer_and_rule(folding, message):
    with pytest.raises(ValueError, match=message):
        depth_to_space.check_folding(*folding)


def test_cycles_follow_the_slower_side():
    # Y at x2, 10 pixels per LR row: 10 words in at SIMD 4; out 40 at P=1, 20 at P=2
    assert depth_to_space.expected_cycles(3, 10, 1, 2, 4, 1) == 10 + 2 * 40 + 40 + 2
    assert depth_to_space.expected_cycles(3, 10, 1, 2, 4, 2) == 10 + 2 * 20 + 20 + 2
    # input-bound (SIMD 1): 40 words in, 20 out
    assert depth_to_space.expected_cycles(3, 10, 1, 2, 1, 2) == 40 + 2 * 40 + 20 + 2
    # back to back, a frame's first row goes in while the previous frame's last comes out
    assert depth_to_space.expected_cycles(3, 10, 1, 2, 4, 2, frames=2) == 10 + 5 * 20 + 20 + 2
    assert depth_to_space.expected_cycles(3, 10, 1, 2, 1, 2, frames=2) == 40 + 5 * 40 + 20 + 2
