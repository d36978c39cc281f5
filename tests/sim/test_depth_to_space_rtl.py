"""hw/rtl/depth_to_space.sv against the golden depth_to_space_nhwc, in Verilator and Icarus,
at two run-time image sizes from one build."""
import numpy as np
import pytest

from hw import depth_to_space
from sim.layer_cases import depth_to_space_case, run_at_sizes
from sim.runner import simulator_case

FRAMES = 2
# (channels (of the output), block, simd, elem_bits), MAX_W, run-time sizes (in_h, in_w):
# one at MAX_W, one narrower
CONFIGS = {
    # lcm(S*S, SIMD) = 12 spans 2 output words: the skew changes within a word
    "s2_simd_all": ((6, 2, 6, 2), 4, ((3, 4), (2, 3))),
    "s3_simd_1": ((2, 3, 1, 4), 5, ((4, 5), (3, 2))),
    "s4_simd_mid": ((6, 4, 2, 3), 4, ((4, 4), (2, 1))),
}
RUNS = [*(simulator_case(name, "verilator") for name in CONFIGS),
        simulator_case("s2_simd_all", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_depth_to_space_matches_golden_at_two_sizes(config, simulator, tmp_path):
    run_at_sizes(depth_to_space_case, np.random.default_rng(3), *CONFIGS[config], tmp_path,
                 simulator, FRAMES)


def test_check_folding_names_layer_and_rule():
    with pytest.raises(ValueError, match="DepthToSpace: SIMD 4 does not divide 6 output channels"):
        depth_to_space.check_folding(4, 6, 2, 4)
