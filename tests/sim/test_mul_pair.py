"""hw/rtl/mul_pair.sv: both products exact, one cycle after the inputs (exhaustive over
small widths, every input against corner weights and random ones at the DSP48E1 limit),
and one DSP48E1 without LUTs exactly where ``hw.mul_pair.fits_one_dsp`` says it fits."""
import itertools

import numpy as np
import pytest

from hw import mul_pair
from hw.area import synth_area, yosys_available
from hw.codegen import int_range
from sim.runner import run_cocotb, simulator_mark
from sim.tb.axis import TB_CASE_ENV, save_case

N_RANDOM = 3000

# (input bits, input signed, weight bits, simulator)
CASES = [
    pytest.param(ib, signed, wb, simulator, marks=simulator_mark(simulator),
                 id=f"i{ib}{'s' if signed else 'u'}-w{wb}-{simulator}")
    for ib, signed, wb, simulator in [
        (4, True, 3, "verilator"), (4, False, 3, "verilator"), (1, False, 1, "verilator"),
        (1, True, 2, "icarus"), (8, False, 8, "verilator"), (8, True, 8, "verilator"),
        (8, False, 6, "icarus"),
    ]
]


def operands(rng, in_bits: int, in_signed: bool, weight_bits: int):
    """(a, w0, w1): every combination when there are at most 2^12, else every input with
    every pair of corner weights (both ends, -1, 0, 1) and random triples."""
    a_lo, a_hi = int_range(in_bits, in_signed)
    w_lo, w_hi = int_range(weight_bits, True)
    inputs, weights = np.arange(a_lo, a_hi + 1), np.arange(w_lo, w_hi + 1)
    if len(inputs) * len(weights) ** 2 <= 1 << 12:
        return np.array(list(itertools.product(inputs, weights, weights))).T
    corners = sorted({w_lo, w_hi, -1, 0, 1} & set(weights.tolist()))
    every_input = np.array(list(itertools.product(inputs, corners, corners))).T
    random_triples = np.stack([rng.integers(a_lo, a_hi + 1, N_RANDOM),
                               rng.integers(w_lo, w_hi + 1, N_RANDOM),
                               rng.integers(w_lo, w_hi + 1, N_RANDOM)])
    return np.concatenate([every_input, random_triples], axis=1)


@pytest.mark.parametrize(("in_bits", "in_signed", "weight_bits", "simulator"), CASES)
def test_mul_pair_products_exact(in_bits, in_signed, weight_bits, simulator, tmp_path):
    a, w0, w1 = operands(np.random.default_rng(in_bits * 100 + weight_bits), in_bits, in_signed,
                         weight_bits)
    case = tmp_path / "case.npz"
    save_case(case, a=a, w0=w0, w1=w1, in_bits=in_bits, weight_bits=weight_bits)
    run_cocotb(mul_pair.MODULE, mul_pair.SOURCES, "sim.tb.mul_pair_tb",
               parameters={"IB": in_bits, "IN_SIGNED": int(in_signed), "WB": weight_bits},
               extra_env={TB_CASE_ENV: str(case)}, simulator=simulator, build_dir=tmp_path)


@pytest.mark.skipif(not yosys_available(), reason="yosys is not installed")
@pytest.mark.parametrize(("in_bits", "in_signed", "weight_bits"), [
    (8, False, 8), (8, True, 8), (17, False, 3), (9, False, 8), (18, False, 2)])
def test_one_dsp_without_luts_where_it_fits(in_bits, in_signed, weight_bits):
    """The pre-adder limit (8-bit inputs: up to 8-bit weights) and the B port limit
    (17-bit unsigned inputs), each from both sides."""
    area = synth_area(mul_pair.SOURCES, mul_pair.MODULE,
                      {"IB": in_bits, "IN_SIGNED": int(in_signed), "WB": weight_bits})
    if mul_pair.fits_one_dsp(in_bits, in_signed, weight_bits):
        assert (area["DSP48E1"], area["LUT"], area["FF"]) == (1, 0, 0)
    else:
        assert area["DSP48E1"] > 1
