"""Thresholding RTL against the golden ``multi_threshold``, bit-exact, cycle-exact."""
from pathlib import Path

import numpy as np
import pytest

from hw.thresholding import generate_thresholding
from sim.golden.thresholding import multi_threshold
from sim.layer_cases import thresholding_case
from sim.runner import simulator_case
from sim.tb.layer_run import layer_dir

N_PIXELS = 6

# (C, PE, input bits, input signed, thresholds per channel, shared by all channels, ActVal)
CONFIGS = {
    "full_fold_uint4": (8, 8, 4, False, 3, False, 0),
    "no_fold_int8": (6, 1, 8, True, 7, False, -4),
    "mid_fold_shared": (12, 4, 5, True, 1, True, 0),
    "mid_fold_int9_t255": (8, 2, 9, True, 255, False, 0),
}
CASES = [
    simulator_case(name, simulator)
    for name in CONFIGS
    for simulator in (("verilator", "icarus") if name == "no_fold_int8" else ("verilator",))
]


@pytest.mark.parametrize(("config", "simulator"), CASES)
def test_thresholding_matches_golden(config, simulator):
    name = f"thresholding_{config}"
    case = thresholding_case(np.random.default_rng(sum(map(ord, config))), layer_dir(name), name,
                             *CONFIGS[config], pixels=N_PIXELS)
    case.run_rtl(layer_dir(name), simulator)


def read_search_stage(path: Path, value_bits: int, pe: int) -> np.ndarray:
    """A search stage memory file as (words, PE) signed thresholds."""
    words = [int(line, 16) for line in path.read_text().splitlines() if not line.startswith("//")]
    fields = np.array([[(word >> (p * value_bits)) & ((1 << value_bits) - 1) for p in range(pe)]
                       for word in words])
    return np.where(fields >> (value_bits - 1), fields - (1 << value_bits), fields)


def test_search_memories_pad_to_a_complete_tree(tmp_path):
    """T = 5 is padded to 7: searching the stage files as multithreshold.sv does counts
    every input value like the golden model."""
    channels, pe, in_bits, steps = 6, 2, 4, 5
    thresholds = np.random.default_rng(1).integers(-2, 19, size=(channels, steps))
    layer = generate_thresholding("search", thresholds, channels=channels, pe=pe,
                                  in_bits=in_bits, in_signed=False, out_dir=tmp_path)
    x = np.repeat(np.arange(1 << in_bits)[:, np.newaxis], channels, axis=1)
    fold, lane = np.divmod(np.arange(channels), pe)
    count = np.zeros_like(x)
    for stage, path in enumerate(layer.mem_files):
        table = read_search_stage(path, layer.parameters["VALUE_BITS"], pe)
        count = 2 * count + (x >= table[fold * 2**stage + count, lane])
    assert len(layer.mem_files) == 3
    np.testing.assert_array_equal(count, multi_threshold(x, thresholds))


def test_illegal_folding_names_layer_and_rule(tmp_path):
    with pytest.raises(ValueError, match="thresholding bad: PE 4 does not divide 6 channels"):
        generate_thresholding("bad", np.zeros((6, 1)), channels=6, pe=4, in_bits=4,
                              in_signed=False, out_dir=tmp_path)
