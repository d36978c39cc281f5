"""Multi-threshold activation against FINN's Thresholding layer, plus its own edge cases."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from qonnx.core.datatype import DataType

from sim.finn_models import (
    ACTIVATIONS,
    assert_matches_finn,
    random_activation,
    random_values,
    thresholding_model,
)
from sim.golden.encoding import bits_to_values
from sim.golden.thresholding import multi_threshold
from tests.golden.finn_models import few_examples


@few_examples
# narrow inputs on many pixels take the lookup-table path, wide ones the search path
@given(idt=st.sampled_from(["INT2", "UINT4", "INT8", "UINT8", "INT16"]),
       activation=st.sampled_from(list(ACTIVATIONS)),
       channels=st.integers(1, 6), spatial=st.sampled_from([(), (2,), (5, 7)]),
       shared=st.booleans(), fractional=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_thresholding_matches_finn(idt, activation, channels, spatial, shared, fractional, seed):
    rng = np.random.default_rng(seed)
    shape = (1, *spatial, channels)
    x = random_values(rng, idt, shape)
    dt = DataType[idt]
    # thresholds span the input range, negative ones included for signed inputs
    act = random_activation(rng, activation, 1 if shared else channels, dt.min(), dt.max(),
                            fractional)
    out = multi_threshold(x, act.thresholds, act.act_val)
    assert_matches_finn(thresholding_model(act, idt, shape), {"x": x},
                        bits_to_values(out, DataType[act.odt]))


def test_counts_thresholds_at_or_below_each_input():
    thresholds = np.array([[-2, 0, 0, 3], [-10, -5, 5, 10]])
    acc = np.array([[-3, -5], [0, 5], [3, 11]])
    assert multi_threshold(acc, thresholds).tolist() == [[0, 2], [3, 3], [4, 4]]


def test_lookup_table_and_search_paths_agree():
    rng = np.random.default_rng(0)
    acc = rng.integers(-20, 20, size=(400, 3))
    thresholds = rng.integers(-25, 25, size=(3, 7))
    by_table = multi_threshold(acc, thresholds)
    by_search = np.concatenate([multi_threshold(row, thresholds) for row in acc[:, None]])
    assert np.array_equal(by_table, by_search)


def test_act_val_offsets_the_count():
    assert multi_threshold(np.array([[0]]), np.array([[0, 1]]), act_val=-2).tolist() == [[-1]]


def test_float_thresholds_compare_exactly_and_order_does_not_matter():
    thresholds = np.array([[2.5, -np.inf, 2.0, np.inf, -0.5]])
    acc = np.array([-1, 0, 2, 3])
    assert multi_threshold(acc[:, None], thresholds).tolist() == [[1], [2], [3], [4]]


def test_rejects_thresholds_for_another_channel_count():
    with pytest.raises(ValueError, match="3 threshold rows for 2 channels"):
        multi_threshold(np.zeros((4, 2), dtype=np.int64), np.zeros((3, 1)))


def test_rejects_float_inputs():
    with pytest.raises(TypeError, match="integer inputs"):
        multi_threshold(np.zeros((1, 2)), np.zeros((2, 1)))
