"""hw/rtl/stream_width_converter.sv against the golden pass_through (element order kept),
up-, down- and same-width conversion, in Verilator and Icarus."""
import numpy as np
import pytest

from hw import stream_width_converter
from sim.layer_cases import stream_width_converter_case
from sim.runner import simulator_case

FRAMES = 2
# one frame: 2 x 2 pixels of 12 channels, whole words of 1, 2, 3, 4 and 6 elements
FRAME_SHAPE = (2, 2, 12)
# (in_elems, out_elems, elem_bits)
CONFIGS = {
    "up_1_to_4": (1, 4, 1),
    "down_4_to_1": (4, 1, 9),
    "up_2_to_6": (2, 6, 3),
    "down_6_to_2": (6, 2, 1),
    "same_3": (3, 3, 9),
    "up_2_to_6_wide": (2, 6, 9),
}
RUNS = [*(simulator_case(name, "verilator") for name in CONFIGS if name != "up_2_to_6_wide"),
        simulator_case("up_2_to_6_wide", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_width_converter_keeps_element_order(config, simulator, tmp_path):
    stream_width_converter_case(np.random.default_rng(7), *CONFIGS[config],
                                frame_shape=FRAME_SHAPE, frames=FRAMES).run_rtl(tmp_path, simulator)


def test_expected_cycles_follow_the_narrow_side():
    assert stream_width_converter.expected_cycles(48, 1, 4) == 49
    assert stream_width_converter.expected_cycles(48, 4, 1) == 49
    assert stream_width_converter.expected_cycles(48, 6, 2) == 25
    assert stream_width_converter.expected_cycles(48, 3, 3) == 17


def test_check_folding_names_layer_and_rule():
    with pytest.raises(ValueError, match="StreamingDataWidthConverter: one of in_elems 4 and "
                                         "out_elems 6 must divide the other"):
        stream_width_converter.check_folding(4, 6)
    with pytest.raises(ValueError, match="StreamingDataWidthConverter: in_elems must be >= 1"):
        stream_width_converter.check_folding(0, 2)
    with pytest.raises(ValueError, match="StreamingDataWidthConverter: 12 elements do not fill "
                                         "whole words of 8"):
        stream_width_converter.expected_cycles(12, 2, 8)
