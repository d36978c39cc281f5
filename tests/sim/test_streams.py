"""hw/rtl/duplicate_streams.sv (rendered wrapper) and hw/rtl/elementwise_add.sv against the
golden duplicate_streams / add_streams, in Verilator and Icarus."""
import numpy as np
import pytest

from hw import duplicate_streams, elementwise_add
from sim.layer_cases import duplicate_streams_case, elementwise_add_case
from sim.runner import simulator_case

FRAMES = 2
IN_H, IN_W = 4, 4
# (n_outputs, channels, pe, elem_bits); the last config runs in Icarus only
DUPLICATE_CONFIGS = {"x2_pe_all": (2, 4, 4, 2), "x3_pe_mid": (3, 6, 3, 1), "x2_pe_1": (2, 3, 1, 4)}
# (channels, pe, a_bits, a_signed, b_bits, b_signed); the last config runs in Icarus only
ADD_CONFIGS = {
    "unsigned_pe_all": (4, 4, 4, False, 4, False),
    "mixed_pe_mid": (6, 2, 4, True, 2, False),
    "signed_pe_1": (3, 1, 3, True, 5, True),
}


def runs(configs: dict) -> list:
    """Every config but the last in Verilator, the last in Icarus: two cores, a tight budget."""
    *verilator, icarus = configs
    return [*(simulator_case(name, "verilator") for name in verilator),
            simulator_case(icarus, "icarus")]


@pytest.mark.parametrize("config, simulator", runs(DUPLICATE_CONFIGS))
def test_duplicate_streams_matches_golden(config, simulator, tmp_path):
    duplicate_streams_case(np.random.default_rng(5), tmp_path, *DUPLICATE_CONFIGS[config],
                           in_h=IN_H, in_w=IN_W, frames=FRAMES).run_rtl(tmp_path, simulator)


@pytest.mark.parametrize("config, simulator", runs(ADD_CONFIGS))
def test_elementwise_add_matches_golden(config, simulator, tmp_path):
    elementwise_add_case(np.random.default_rng(6), *ADD_CONFIGS[config], in_h=IN_H, in_w=IN_W,
                         frames=FRAMES).run_rtl(tmp_path, simulator)


@pytest.mark.parametrize("a_bits, a_signed, b_bits, b_signed", [
    (4, False, 4, False), (4, True, 2, False), (1, False, 4, True), (3, True, 5, True)])
def test_sum_type_holds_every_sum_and_no_narrower_fits(a_bits, a_signed, b_bits, b_signed):
    (a_lo, a_hi) = elementwise_add.value_range(a_bits, a_signed)
    (b_lo, b_hi) = elementwise_add.value_range(b_bits, b_signed)
    bits, signed = elementwise_add.sum_type(a_bits, a_signed, b_bits, b_signed)
    lo, hi = elementwise_add.value_range(bits, signed)
    narrower_lo, narrower_hi = elementwise_add.value_range(bits - 1, signed)
    assert lo <= a_lo + b_lo and a_hi + b_hi <= hi
    assert narrower_lo > a_lo + b_lo or a_hi + b_hi > narrower_hi


def test_check_folding_names_layer_and_rule():
    with pytest.raises(ValueError, match="ElementwiseAdd: PE 4 does not divide 6 channels"):
        elementwise_add.check_folding(6, 4)
    with pytest.raises(ValueError, match="DuplicateStreams: PE 3 does not divide 8 channels"):
        duplicate_streams.check_folding(8, 3, 2)
