"""Integer MVAU RTL against the golden ``int_mvau``, bit-exact, cycle-exact."""
import numpy as np
import pytest

from hw.codegen import int_range
from hw.mvau import expected_cycles, generate_int_mvau
from sim.golden.int_mvau import int_matmul, int_mvau
from sim.runner import simulator_case
from sim.tb.layer_run import layer_dir, run_generated_layer

N_VECTORS = 4

# (MW, MH, SIMD, PE, input bits, input signed, weight bits, thresholds per channel or None, ActVal)
CONFIGS = {
    "full_fold_raw": (8, 4, 8, 4, 4, False, 3, None, 0),
    "no_fold_int8_t3": (6, 4, 1, 1, 8, True, 4, 3, -2),
    "mid_fold_uint2_t1": (12, 6, 3, 2, 2, False, 2, 1, 0),
    "head_like_uint8_t255": (9, 8, 1, 4, 8, False, 8, 255, 0),
}
CASES = [
    simulator_case(name, simulator)
    for name in CONFIGS
    for simulator in (("verilator", "icarus") if name == "full_fold_raw" else ("verilator",))
]


def random_thresholds(rng, acc: np.ndarray, steps: int) -> np.ndarray:
    """Thresholds around the accumulators actually reached, so every count occurs."""
    lo, hi = int(acc.min()) - 2, int(acc.max()) + 2
    shape = (acc.shape[-1], steps)
    return rng.integers(lo, hi + 1, size=shape) + rng.choice([0.0, 0.5], size=shape)


def extreme_inputs(weights: np.ndarray, x_lo: int, x_hi: int) -> np.ndarray:
    """The two input vectors reaching the largest and the smallest accumulator.

    They test that the generator's accumulator width holds both bounds.
    """
    positive = weights > 0
    largest = np.where(positive, x_hi, x_lo)  # (MW, MH): per column, its maximising vector
    smallest = np.where(positive, x_lo, x_hi)
    top = np.argmax((largest * weights).sum(axis=0))
    bottom = np.argmin((smallest * weights).sum(axis=0))
    return np.stack([largest[:, top], smallest[:, bottom]])


@pytest.mark.parametrize(("config", "simulator"), CASES)
def test_int_mvau_matches_golden(config, simulator):
    mw, mh, simd, pe, in_bits, in_signed, wb, steps, act_val = CONFIGS[config]
    rng = np.random.default_rng(sum(map(ord, config)))
    w_lo, w_hi = int_range(wb, signed=True)
    weights = rng.integers(w_lo, w_hi + 1, size=(mw, mh))
    x_lo, x_hi = int_range(in_bits, in_signed)
    x = np.concatenate([rng.integers(x_lo, x_hi + 1, size=(N_VECTORS - 2, mw)),
                        extreme_inputs(weights, x_lo, x_hi)])
    thresholds = None if steps is None else random_thresholds(rng, int_matmul(x, weights), steps)
    name = f"int_mvau_{config}"
    out_dir = layer_dir(name)
    layer = generate_int_mvau(name, weights, thresholds, simd=simd, pe=pe, in_bits=in_bits,
                              in_signed=in_signed, out_dir=out_dir, act_val=act_val)
    expected = int_mvau(x, weights, thresholds, act_val)
    run_generated_layer(layer, x, expected, expected_cycles(mw, mh, simd, pe, steps or 0),
                        test_module="sim.tb.mvau_tb", simulator=simulator, build_dir=out_dir)


def test_illegal_folding_names_layer_and_rule(tmp_path):
    with pytest.raises(ValueError, match=r"int_mvau bad: SIMD 4 does not divide 6 inputs \(MW\)"):
        generate_int_mvau("bad", np.ones((6, 2), dtype=int), None, simd=4, pe=1, in_bits=2,
                          in_signed=False, out_dir=tmp_path)
