"""Binary (XNOR) MVAU RTL against the golden ``xnor_mvau``, bit-exact, cycle-exact."""
import numpy as np
import pytest

from hw.mvau import expected_cycles, generate_xnor_mvau
from sim.golden.xnor_mvau import xnor_mvau
from sim.runner import simulator_mark
from sim.tb.layer_run import layer_dir, run_generated_layer

N_VECTORS = 3

# (MW, MH, SIMD, PE, thresholds per channel or None, ActVal)
CONFIGS = {
    "full_fold_popcount": (16, 8, 16, 8, None, 0),
    "no_fold_t1": (12, 6, 1, 1, 1, 0),
    "mid_fold_t3": (24, 12, 4, 3, 3, -1),
    "one_word_vector_t1": (16, 8, 16, 2, 1, 0),  # SF 1, NF 4: the word held, no buffer
}
CASES = [
    pytest.param(name, simulator, id=f"{name}-{simulator}", marks=simulator_mark(simulator))
    for name in CONFIGS
    for simulator in (("verilator", "icarus") if name == "mid_fold_t3" else ("verilator",))
]


def random_thresholds(rng, mw: int, mh: int, steps: int) -> np.ndarray:
    """Unsorted thresholds, some fractional and some outside [0, MW] to exercise clipping."""
    return rng.integers(-2, mw + 3, size=(mh, steps)) + rng.choice([0.0, 0.5], size=(mh, steps))


@pytest.mark.parametrize(("config", "simulator"), CASES)
def test_xnor_mvau_matches_golden(config, simulator):
    mw, mh, simd, pe, steps, act_val = CONFIGS[config]
    rng = np.random.default_rng(sum(map(ord, config)))
    weight_bits = rng.integers(0, 2, size=(mw, mh))
    thresholds = None if steps is None else random_thresholds(rng, mw, mh, steps)
    x_bits = rng.integers(0, 2, size=(N_VECTORS, mw))
    name = f"xnor_mvau_{config}"
    out_dir = layer_dir(name)
    layer = generate_xnor_mvau(name, weight_bits, thresholds, simd=simd, pe=pe,
                               out_dir=out_dir, act_val=act_val)
    expected = xnor_mvau(x_bits, weight_bits, thresholds, act_val)
    run_generated_layer(layer, x_bits, expected,
                        expected_cycles(mw, mh, simd, pe, steps or 0, binary=True),
                        test_module="sim.tb.mvau_tb", simulator=simulator, build_dir=out_dir)


@pytest.mark.parametrize(("simd", "pe", "rule"), [
    (5, 4, r"SIMD 5 does not divide 16 inputs \(MW\)"),
    (4, 3, r"PE 3 does not divide 8 outputs \(MH\)"),
])
def test_illegal_folding_names_layer_and_rule(tmp_path, simd, pe, rule):
    with pytest.raises(ValueError, match=f"xnor_mvau bad: {rule}"):
        generate_xnor_mvau("bad", np.zeros((16, 8), dtype=int), None, simd=simd, pe=pe,
                           out_dir=tmp_path)
