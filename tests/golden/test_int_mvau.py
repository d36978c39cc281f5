"""Integer MVAU against FINN's MVAU Python execution."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from qonnx.core.datatype import DataType

from sim.finn_models import (
    ACTIVATIONS,
    assert_matches_finn,
    mvau_model,
    random_activation,
    random_values,
)
from sim.golden.encoding import bits_to_values
from sim.golden.int_mvau import int_matmul, int_mvau
from tests.golden.finn_models import few_examples, mvau_geometries

# FINN accumulates in float32: these widths keep every sum exact (|acc| < 2**24)
input_types = st.sampled_from(["UINT8", "INT8", "UINT4", "INT4", "BIPOLAR", "BINARY"])
weight_types = st.sampled_from(["INT8", "INT4", "UINT3", "INT2"])


@few_examples
@given(geometry=mvau_geometries(), idt=input_types, wdt=weight_types,
       activation=st.sampled_from([None, *ACTIVATIONS]), shared=st.booleans(),
       fractional=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_integer_mvau_matches_finn(geometry, idt, wdt, activation, shared, fractional, seed):
    rng = np.random.default_rng(seed)
    x = random_values(rng, idt, (*geometry.vectors, geometry.mw))
    weights = random_values(rng, wdt, (geometry.mw, geometry.mh))
    if activation is None:
        odt, thresholds, act_val = "INT32", None, 0
    else:
        # thresholds around the actual accumulators, so that every output level occurs
        acc = x @ weights
        rows = 1 if shared else geometry.mh
        odt, thresholds, act_val = random_activation(
            rng, activation, rows, acc.min() - 1, acc.max() + 1, fractional)
    model = mvau_model(weights, wdt, idt, odt, geometry.vectors, thresholds, act_val,
                       simd=geometry.simd, pe=geometry.pe)
    out = int_mvau(x, weights, thresholds, act_val)
    assert_matches_finn(model, {"x": x}, bits_to_values(out, DataType[odt]))


def test_int_matmul_is_exact_beyond_float64():
    x = np.array([[2**40, 3]])
    weights = np.array([[2**20 + 1], [1]])
    assert int_matmul(x, weights).tolist() == [[2**60 + 2**40 + 3]]


def test_int_matmul_rejects_mismatched_widths():
    with pytest.raises(ValueError, match="weights expect 3"):
        int_matmul(np.zeros((1, 2), dtype=np.int64), np.zeros((3, 4), dtype=np.int64))
