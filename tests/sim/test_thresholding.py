"""Thresholding RTL against the golden ``multi_threshold``, bit-exact, cycle-exact."""
import numpy as np
import pytest

from hw.codegen import int_range
from hw.thresholding import expected_cycles, generate_thresholding
from sim.golden.thresholding import multi_threshold
from sim.runner import simulator_mark
from sim.tb.layer_run import layer_dir, run_generated_layer

N_PIXELS = 6

# (C, PE, input bits, input signed, thresholds per channel, shared by all channels, ActVal)
CONFIGS = {
    "full_fold_uint4": (8, 8, 4, False, 3, False, 0),
    "no_fold_int8": (6, 1, 8, True, 7, False, -4),
    "mid_fold_shared": (12, 4, 5, True, 1, True, 0),
}
CASES = [
    pytest.param(name, simulator, id=f"{name}-{simulator}", marks=simulator_mark(simulator))
    for name in CONFIGS
    for simulator in (("verilator", "icarus") if name == "no_fold_int8" else ("verilator",))
]


@pytest.mark.parametrize(("config", "simulator"), CASES)
def test_thresholding_matches_golden(config, simulator):
    channels, pe, in_bits, in_signed, steps, shared, act_val = CONFIGS[config]
    rng = np.random.default_rng(sum(map(ord, config)))
    lo, hi = int_range(in_bits, in_signed)
    # beyond the input range on both sides, some fractional: exercises clipping and ceil
    thresholds = (rng.integers(lo - 2, hi + 3, size=(1 if shared else channels, steps))
                  + rng.choice([0.0, 0.25], size=(1 if shared else channels, steps)))
    x = rng.integers(lo, hi + 1, size=(N_PIXELS, channels))
    name = f"thresholding_{config}"
    out_dir = layer_dir(name)
    layer = generate_thresholding(name, thresholds, channels=channels, pe=pe, in_bits=in_bits,
                                  in_signed=in_signed, out_dir=out_dir, act_val=act_val)
    expected = multi_threshold(x, thresholds, act_val)
    run_generated_layer(layer, x, expected, expected_cycles(channels, pe),
                        test_module="sim.tb.thresholding_tb", simulator=simulator, build_dir=out_dir)


def test_illegal_folding_names_layer_and_rule(tmp_path):
    with pytest.raises(ValueError, match="thresholding bad: PE 4 does not divide 6 channels"):
        generate_thresholding("bad", np.zeros((6, 1)), channels=6, pe=4, in_bits=4,
                              in_signed=False, out_dir=tmp_path)
