"""hw/rtl/xnor_popcount.sv against the golden XNOR-popcount, exact, with the latency of
``hw.xnor_popcount``: random lanes, all lanes matching, none matching, under enable stalls."""
import numpy as np
import pytest

from hw import xnor_popcount
from hw.area import synth_area_and_levels, yosys_available
from sim.runner import run_cocotb, simulator_mark
from sim.tb.axis import TB_CASE_ENV, save_case

N_RANDOM = 40
TAG_BITS = 8

# lanes, lanes per level-0 counter, counter levels between registers (0: none), simulator
CASES = [
    pytest.param(n, group0, levels_per_reg, simulator,
                 id=f"n{n}-group{group0}-per_reg{levels_per_reg}-{simulator}",
                 marks=simulator_mark(simulator))
    for n, group0, levels_per_reg, simulator in [
        (1, 3, 1, "verilator"), (7, 3, 0, "verilator"), (16, 6, 1, "verilator"),
        (288, 3, 2, "verilator"), (40, 5, 2, "verilator"), (37, 1, 3, "icarus"),
    ]
]


def golden_counts(x_bits: np.ndarray, w_bits: np.ndarray) -> np.ndarray:
    """Lanes where x and w agree, per vector."""
    return (x_bits == w_bits).sum(axis=1)


def input_vectors(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Random vectors, then every lane matching (ones, zeros) and none matching (both ways)."""
    ones, zeros = np.ones((1, n), dtype=np.uint8), np.zeros((1, n), dtype=np.uint8)
    x = np.concatenate([rng.integers(0, 2, size=(N_RANDOM, n), dtype=np.uint8),
                        ones, zeros, ones, zeros])
    w = np.concatenate([rng.integers(0, 2, size=(N_RANDOM, n), dtype=np.uint8),
                        ones, zeros, zeros, ones])
    return x, w


@pytest.mark.parametrize(("n", "group0", "levels_per_reg", "simulator"), CASES)
def test_xnor_popcount_matches_golden(n, group0, levels_per_reg, simulator, tmp_path):
    rng = np.random.default_rng(n)
    x_bits, w_bits = input_vectors(rng, n)
    counts = golden_counts(x_bits, w_bits)
    assert counts[-4:].tolist() == [n, n, 0, 0]
    case = tmp_path / "case.npz"
    save_case(case, x_bits=x_bits, w_bits=w_bits, counts=counts, tag_bits=TAG_BITS, seed=n,
              stall_prob=0.3, latency=xnor_popcount.latency(n, levels_per_reg, group0))
    run_cocotb(xnor_popcount.MODULE, xnor_popcount.SOURCES, "sim.tb.xnor_popcount_tb",
               parameters={"N": n, "FIRST_GROUP": group0, "LEVELS_PER_REG": levels_per_reg,
                           "TAG_BITS": TAG_BITS},
               extra_env={TB_CASE_ENV: str(case)}, simulator=simulator, build_dir=tmp_path)


@pytest.mark.parametrize("group0", [1, 2, 3, 5, 6])
def test_tree_ends_in_two_rows_of_the_count_width(group0):
    for n in (1, 2, 3, 6, 7, 64, 288, 1000):
        heights = xnor_popcount.tree_heights(n, group0)
        assert len(heights[-1]) == n.bit_length() and max(heights[-1]) <= 2
        assert sum(h << j for j, h in enumerate(heights[0])) == n


def test_first_group_fits_a_lut6():
    assert xnor_popcount.first_group(None) == 3  # registered weights: 3 x (x, w)
    assert [xnor_popcount.first_group(xnor_popcount.rom_in_tree_bits(words))
            for words in (1, 2, 4, 8, 16, 32)] == [6, 5, 3, 3, 2, 1]
    assert xnor_popcount.rom_in_tree_bits(33) is None


def test_latency_is_one_register_per_levels_per_reg():
    assert xnor_popcount.latency(288, 0) == 0
    assert xnor_popcount.latency(288, 1) == xnor_popcount.tree_levels(288)
    assert xnor_popcount.latency(288, 2) == xnor_popcount.tree_levels(288) // 2


@pytest.mark.skipif(not yosys_available(), reason="yosys is not installed")
def test_registers_bound_the_lut_levels():
    """A register every level leaves one counter level (plus the final adder's LUT after the
    last register); without registers the levels add up. 16 lanes: 2 counter levels."""
    levels = {per_reg: synth_area_and_levels(xnor_popcount.SOURCES, xnor_popcount.MODULE,
                                             {"N": 16, "LEVELS_PER_REG": per_reg})[1]
              for per_reg in (0, 1)}
    assert levels[1] <= 2 < levels[0], levels
