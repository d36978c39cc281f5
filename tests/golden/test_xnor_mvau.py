"""Binary (XNOR-popcount) MVAU against FINN's MVAU Python execution."""
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.finn_models import (
    assert_matches_finn,
    mvau_model,
    random_activation,
    random_values,
)
from sim.golden.encoding import BIPOLAR, bits_to_values, values_to_bits
from sim.golden.xnor_mvau import pack_bits, xnor_mvau
from tests.golden.finn_models import few_examples, mvau_geometries

# SIMD 3 and 8 with folds up to 12 give MW from 3 to 96: inside one word and across two
binary_geometries = mvau_geometries(simd_choices=(1, 3, 8), max_simd_fold=12)
seeds = st.integers(0, 2**32 - 1)


def test_pack_bits_puts_bit_k_in_word_k_div_64_at_position_k_mod_64():
    bits = np.zeros((2, 70), dtype=np.int64)
    bits[0, 0] = bits[0, 63] = bits[1, 64] = bits[1, 69] = 1
    words = pack_bits(bits)
    assert words.dtype == np.uint64 and words.shape == (2, 2)
    assert words.tolist() == [[1 | 1 << 63, 0], [0, 1 | 1 << 5]]


def test_pack_bits_rejects_bipolar_values():
    with pytest.raises(ValueError, match="bits in"):
        pack_bits(np.array([1, -1, 1]))


@few_examples
@given(geometry=binary_geometries, activation=st.sampled_from([None, "uint2", "bipolar"]),
       shared=st.booleans(), fractional=st.booleans(), seed=seeds)
def test_binary_xnor_mode_matches_finn(geometry, activation, shared, fractional, seed):
    rng = np.random.default_rng(seed)
    mw, mh = geometry.mw, geometry.mh
    x = random_values(rng, "BINARY", (*geometry.vectors, mw))
    weights = random_values(rng, "BINARY", (mw, mh))
    if activation is None:
        odt, thresholds, act_val = "UINT16", None, 0
    else:
        rows = 1 if shared else mh
        odt, thresholds, act_val = random_activation(rng, activation, rows, -1, mw, fractional)
    model = mvau_model(weights, "BINARY", "BINARY", odt, geometry.vectors, thresholds, act_val,
                       binary_xnor=1, simd=geometry.simd, pe=geometry.pe)
    # BINARY tensors already are bits; a bipolar output is its threshold bit
    out = xnor_mvau(x, weights, thresholds, act_val)
    assert_matches_finn(model, {"x": x}, bits_to_values(out, BIPOLAR) if odt == "BIPOLAR" else out)


@few_examples
@given(geometry=binary_geometries, seed=seeds)
def test_bipolar_operands_without_xnor_flag_count_matches_like_finn(geometry, seed):
    rng = np.random.default_rng(seed)
    x = random_values(rng, "BIPOLAR", (*geometry.vectors, geometry.mw))
    weights = random_values(rng, "BIPOLAR", (geometry.mw, geometry.mh))
    model = mvau_model(weights, "BIPOLAR", "BIPOLAR", "UINT16", geometry.vectors,
                       simd=geometry.simd, pe=geometry.pe)
    out = xnor_mvau(values_to_bits(x, BIPOLAR), values_to_bits(weights, BIPOLAR))
    assert_matches_finn(model, {"x": x}, out)


def test_full_resolution_3x3x32_layer_is_fast():
    rng = np.random.default_rng(0)
    x_bits = rng.integers(0, 2, size=(1, 256, 256, 288))
    w_bits = rng.integers(0, 2, size=(288, 32))
    thresholds = np.sort(rng.integers(0, 289, size=(32, 255)), axis=1)
    start = time.perf_counter()
    out = xnor_mvau(x_bits, w_bits, thresholds, act_val=-128)
    assert time.perf_counter() - start < 3.0
    assert out.shape == (1, 256, 256, 32)


def test_bipolar_output_ignores_act_val_like_finn():
    rng = np.random.default_rng(0)
    x = random_values(rng, "BINARY", (1, 2, 2, 16))
    weights = random_values(rng, "BINARY", (16, 4))
    thresholds = rng.integers(4, 13, size=(4, 1))
    model = mvau_model(weights, "BINARY", "BINARY", "BIPOLAR", (1, 2, 2), thresholds,
                       act_val=-1, binary_xnor=1)
    out = bits_to_values(xnor_mvau(x, weights, thresholds), BIPOLAR)
    assert_matches_finn(model, {"x": x}, out)
