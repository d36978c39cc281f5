"""hw/rtl/depth_to_space.sv against the golden depth_to_space_nhwc, in Verilator and Icarus."""
import numpy as np
import pytest

from hw import depth_to_space
from sim.golden.depth_to_space import depth_to_space_nhwc
from sim.runner import simulator_case
from sim.tb.stream_tb import Stream, run_stream_case

FRAMES = 2
# (in_h, in_w, channels (of the output), block, simd, elem_bits)
CONFIGS = {
    # lcm(S*S, SIMD) = 12 spans 2 output words: the skew changes within a word
    "s2_simd_all": (3, 4, 6, 2, 6, 2),
    "s3_simd_1": (4, 5, 2, 3, 1, 4),
    "s4_simd_mid": (4, 4, 6, 4, 2, 3),
}
RUNS = [*(simulator_case(name, "verilator") for name in CONFIGS),
        simulator_case("s2_simd_all", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_depth_to_space_matches_golden(config, simulator, tmp_path):
    in_h, in_w, channels, block, simd, elem_bits = CONFIGS[config]
    rng = np.random.default_rng(3)
    image = rng.integers(0, 1 << elem_bits, (FRAMES, in_h, in_w, channels * block * block))
    run_stream_case(
        tmp_path,
        toplevel=depth_to_space.MODULE,
        sources=depth_to_space.SOURCES,
        parameters=depth_to_space.rtl_parameters(in_h, in_w, channels, block, simd, elem_bits),
        test_module="sim.tb.depth_to_space_tb",
        inputs={"in0": Stream(image, elem_bits, simd)},
        outputs={"out0": Stream(depth_to_space_nhwc(image, block), elem_bits, simd)},
        expected_cycles=depth_to_space.expected_cycles(in_h, in_w, channels, block, simd),
        simulator=simulator,
    )


def test_check_folding_names_layer_and_rule():
    with pytest.raises(ValueError, match="DepthToSpace: SIMD 4 does not divide 6 output channels"):
        depth_to_space.check_folding(4, 4, 6, 2, 4)
