"""Integer MVAU RTL against the golden ``int_mvau``, bit-exact, cycle-exact."""
import numpy as np
import pytest

from hw.mvau import generate_int_mvau, packs_pairs
from sim.layer_cases import int_mvau_case
from sim.runner import simulator_case
from sim.tb.layer_run import layer_dir

N_VECTORS = 4

# (MW, MH, SIMD, PE, input bits, input signed, weight bits, thresholds per channel or None, ActVal)
CONFIGS = {
    "full_fold_raw": (8, 4, 8, 4, 4, False, 3, None, 0),
    "no_fold_int8_t3": (6, 4, 1, 1, 8, True, 4, 3, -2),
    "mid_fold_uint2_t1": (12, 6, 3, 2, 2, False, 2, 1, 0),
    "head_like_uint8_t255": (9, 8, 1, 4, 8, False, 8, 255, 0),
    # int8 x int8 at the pre-adder limit of a product pair in one DSP48E1
    "pairs_int8_raw": (16, 6, 4, 2, 8, True, 8, None, 0),
    # the bicubic skip fully unfolded: a 25-input adder tree, odd sums at three levels
    "bicubic_like_unfolded": (25, 4, 25, 4, 8, False, 13, None, 0),
}
CASES = [
    simulator_case(name, simulator)
    for name in CONFIGS
    for simulator in (("verilator", "icarus") if name == "full_fold_raw" else ("verilator",))
]


@pytest.mark.parametrize(("config", "simulator"), CASES)
def test_int_mvau_matches_golden(config, simulator):
    name = f"int_mvau_{config}"
    case = int_mvau_case(np.random.default_rng(sum(map(ord, config))), layer_dir(name), name,
                         *CONFIGS[config], vectors=N_VECTORS)
    case.run_rtl(layer_dir(name), simulator)


def test_configs_cover_paired_and_single_products():
    """Even PE with a pair fitting one DSP48E1 multiplies in pairs (mul_pair); odd PE and
    the 13-bit bicubic weights one product per multiplier."""
    paired = {name for name, (_, _, _, pe, ib, signed, wb, *_) in CONFIGS.items()
              if packs_pairs(pe, ib, signed, wb)}
    assert paired == {"full_fold_raw", "mid_fold_uint2_t1", "head_like_uint8_t255",
                      "pairs_int8_raw"}


def test_illegal_folding_names_layer_and_rule(tmp_path):
    with pytest.raises(ValueError, match=r"int_mvau bad: SIMD 4 does not divide 6 inputs \(MW\)"):
        generate_int_mvau("bad", np.ones((6, 2), dtype=int), None, simd=4, pe=1, in_bits=2,
                          in_signed=False, out_dir=tmp_path)
