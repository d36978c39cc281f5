"""Integer MVAU RTL against the golden ``int_mvau``, bit-exact, cycle-exact, with each
product style: DSP multipliers, LUT shift-adds of the weight bits, and constant
signed-digit shift-adds (resType "lut" on a fully unfolded layer)."""
import numpy as np
import pytest

from hw.mvau import constant_terms, csd_digits, generate_int_mvau, packs_pairs, product_style
from sim.layer_cases import int_mvau_case
from sim.runner import simulator_mark
from sim.tb.layer_run import layer_dir

N_VECTORS = 4

# (MW, MH, SIMD, PE, input bits, input signed, weight bits, thresholds per channel or None, ActVal)
CONFIGS = {
    "full_fold_raw": (8, 4, 8, 4, 4, False, 3, None, 0),
    "no_fold_int8_t3": (6, 4, 1, 1, 8, True, 4, 3, -2),
    "mid_fold_uint2_t1": (12, 6, 3, 2, 2, False, 2, 1, 0),
    "head_like_uint8_t255": (9, 8, 1, 4, 8, False, 8, 255, 0),
    # weights in {-1, 0}: the sign bit's term alone
    "one_bit_weights_int3": (6, 4, 3, 2, 3, True, 1, None, 0),
    # int8 x int8 at the pre-adder limit of a product pair in one DSP48E1
    "pairs_int8_raw": (16, 6, 4, 2, 8, True, 8, None, 0),
    # the bicubic skip fully unfolded: a 25-input adder tree, odd sums at three levels
    "bicubic_like_unfolded": (25, 4, 25, 4, 8, False, 13, None, 0),
}
RES_TYPES = ("dsp", "lut")  # "lut" on the fully unfolded configs is the constant style
CASES = [
    pytest.param(config, res_type, simulator, id=f"{config}-{res_type}-{simulator}",
                 marks=simulator_mark(simulator))
    for config in CONFIGS
    for res_type in RES_TYPES
    for simulator in (("verilator", "icarus") if config == "full_fold_raw" else ("verilator",))
]


@pytest.mark.parametrize(("config", "res_type", "simulator"), CASES)
def test_int_mvau_matches_golden(config, res_type, simulator):
    name = f"int_mvau_{config}_{res_type}"
    case = int_mvau_case(np.random.default_rng(sum(map(ord, config))), layer_dir(name), name,
                         *CONFIGS[config], vectors=N_VECTORS, res_type=res_type)
    case.run_rtl(layer_dir(name), simulator)


def test_product_style_of_res_type():
    assert product_style("dsp", 8, 4, 8, 4) == "dsp"
    assert product_style("auto", 8, 4, 8, 4) == "dsp"
    assert product_style("lut", 8, 4, 8, 4) == "constant"  # one weight word
    assert product_style("lut", 4, 4, 8, 4) == "lut"
    with pytest.raises(ValueError, match="resType 'bram'"):
        product_style("bram", 1, 1, 1, 1)


@pytest.mark.parametrize("value", [*range(-300, 300), 2**12 - 1, -2**12, 0x5555, -0x2AAB])
def test_csd_digits_are_canonical_and_exact(value):
    digits = csd_digits(value)
    assert sum(sign << shift for shift, sign in digits) == value
    shifts = [shift for shift, _ in digits]
    assert all(b - a >= 2 for a, b in zip(shifts, shifts[1:]))  # no two adjacent digits
    assert len(digits) <= (abs(value).bit_length() + 2) // 2


def test_constant_terms_evaluate_to_the_dot_product():
    """The term table and offset, evaluated as mvau.sv does modulo 2**ACC_BITS."""
    rng = np.random.default_rng(3)
    weights, acc_bits = rng.integers(-100, 100, size=(5, 3)), 16
    count, table, offset = constant_terms(weights, 3, acc_bits)
    x = rng.integers(0, 256, size=5)
    mask = (1 << acc_bits) - 1
    for p in range(3):
        total = (offset >> (p * acc_bits)) & mask
        for j in range(count):
            term = (table >> ((p * count + j) * 24)) & ((1 << 24) - 1)
            if term >> 23:
                value = int(x[term & 0xFFFF])
                total += ((~value if (term >> 22) & 1 else value) << ((term >> 16) & 63)) & mask
        assert total & mask == int(x @ weights[:, p]) & mask


def test_configs_cover_paired_and_single_products():
    """Even PE with a pair fitting one DSP48E1 multiplies in pairs (mul_pair); odd PE and
    the 13-bit bicubic weights one product per multiplier."""
    paired = {name for name, (_, _, _, pe, ib, signed, wb, *_) in CONFIGS.items()
              if packs_pairs(pe, ib, signed, wb)}
    assert paired == {"full_fold_raw", "mid_fold_uint2_t1", "head_like_uint8_t255",
                      "one_bit_weights_int3", "pairs_int8_raw"}


def test_illegal_folding_names_layer_and_rule(tmp_path):
    with pytest.raises(ValueError, match=r"int_mvau bad: SIMD 4 does not divide 6 inputs \(MW\)"):
        generate_int_mvau("bad", np.ones((6, 2), dtype=int), None, simd=4, pe=1, in_bits=2,
                          in_signed=False, out_dir=tmp_path)
