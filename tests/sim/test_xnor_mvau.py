"""Binary (XNOR) MVAU RTL against the golden ``xnor_mvau``, bit-exact, cycle-exact."""
import numpy as np
import pytest

from hw.mvau import generate_xnor_mvau
from sim.layer_cases import xnor_mvau_case
from sim.runner import simulator_case
from sim.tb.layer_run import layer_dir

N_VECTORS = 3

# (MW, MH, SIMD, PE, thresholds per channel or None, ActVal)
CONFIGS = {
    "full_fold_popcount": (16, 8, 16, 8, None, 0),
    "no_fold_t1": (12, 6, 1, 1, 1, 0),
    "mid_fold_t3": (24, 12, 4, 3, 3, -1),
    "one_word_vector_t1": (16, 8, 16, 2, 1, 0),  # SF 1, NF 4: the word held, no buffer
}
CASES = [
    simulator_case(name, simulator)
    for name in CONFIGS
    for simulator in (("verilator", "icarus") if name == "mid_fold_t3" else ("verilator",))
]


@pytest.mark.parametrize(("config", "simulator"), CASES)
def test_xnor_mvau_matches_golden(config, simulator):
    name = f"xnor_mvau_{config}"
    case = xnor_mvau_case(np.random.default_rng(sum(map(ord, config))), layer_dir(name), name,
                          *CONFIGS[config], vectors=N_VECTORS)
    case.run_rtl(layer_dir(name), simulator)


@pytest.mark.parametrize(("simd", "pe", "rule"), [
    (5, 4, r"SIMD 5 does not divide 16 inputs \(MW\)"),
    (4, 3, r"PE 3 does not divide 8 outputs \(MH\)"),
])
def test_illegal_folding_names_layer_and_rule(tmp_path, simd, pe, rule):
    with pytest.raises(ValueError, match=f"xnor_mvau bad: {rule}"):
        generate_xnor_mvau("bad", np.zeros((16, 8), dtype=int), None, simd=simd, pe=pe,
                           out_dir=tmp_path)
