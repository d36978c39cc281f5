"""hw/rtl/fmpadding.sv against the golden fm_padding, in Verilator and Icarus."""
import numpy as np
import pytest

from hw import fmpadding
from sim.golden.sliding_window import fm_padding
from sim.runner import simulator_case
from sim.tb.stream_tb import Stream, run_stream_case

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
    in_h, in_w, channels, simd, elem_bits, padding = CONFIGS[config]
    rng = np.random.default_rng(1)
    image = rng.integers(0, 1 << elem_bits, (FRAMES, in_h, in_w, channels))
    run_stream_case(
        tmp_path,
        toplevel=fmpadding.MODULE,
        sources=fmpadding.SOURCES,
        parameters=fmpadding.rtl_parameters(in_h, in_w, channels, simd, elem_bits, padding),
        test_module="sim.tb.fmpadding_tb",
        inputs={"in0": Stream(image, elem_bits, simd)},
        outputs={"out0": Stream(fm_padding(image, padding, 0), elem_bits, simd)},
        expected_cycles=fmpadding.expected_cycles(in_h, in_w, channels, simd, padding),
        simulator=simulator,
    )


def test_check_folding_names_layer_and_rule():
    with pytest.raises(ValueError, match="FMPadding: SIMD 3 does not divide 8 channels"):
        fmpadding.check_folding(4, 4, 8, 3, (1, 1, 1, 1))
