"""FMPadding and ConvolutionInputGenerator against FINN's Python execution."""
import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from sim.finn_models import (
    assert_matches_finn,
    finn_execute,
    fm_padding_node,
    make_model,
    random_values,
    sliding_window_node,
)
from sim.golden.encoding import BIPOLAR, values_to_bits
from sim.golden.graph import run_graph
from sim.golden.sliding_window import fm_padding, im2col
from tests.golden.finn_models import few_examples

seeds = st.integers(0, 2**32 - 1)
simd_and_channels = st.sampled_from([(1, 1), (1, 3), (2, 4), (3, 6)])


@few_examples
@given(img_dim=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       padding=st.lists(st.integers(0, 2), min_size=4, max_size=4),
       simd_channels=simd_and_channels, dtype=st.sampled_from(["INT4", "UINT8", "BINARY"]),
       seed=seeds)
def test_fm_padding_matches_finn(img_dim, padding, simd_channels, dtype, seed):
    simd, channels = simd_channels
    node, out_dim = fm_padding_node("x", "out", img_dim, padding, channels, dtype, simd)
    model = make_model([node], {"x": ((1, *img_dim, channels), dtype)},
                       {"out": ((1, *out_dim, channels), dtype)})
    x = random_values(np.random.default_rng(seed), dtype, (1, *img_dim, channels))
    assert_matches_finn(model, {"x": x}, fm_padding(x, padding))


def padding_model(dtype: str, img_dim=(2, 3), padding=(1, 2, 0, 1), channels=2):
    node, out_dim = fm_padding_node("x", "out", img_dim, padding, channels, dtype)
    return make_model([node], {"x": ((1, *img_dim, channels), dtype)},
                      {"out": ((1, *out_dim, channels), dtype)})


def test_bipolar_padding_inserts_zero_bits_that_is_minus_one():
    x = random_values(np.random.default_rng(0), "BIPOLAR", (1, 2, 3, 2))
    golden = run_graph(padding_model("BIPOLAR"), {"x": x})["out"]
    # FINN pads BINARY bits with 0; the same bits are what the bipolar stream carries
    finn_bits = finn_execute(padding_model("BINARY"), {"x": values_to_bits(x, BIPOLAR)})["out"]
    assert np.array_equal(values_to_bits(golden, BIPOLAR), finn_bits)
    assert np.array_equal(golden[:, 1:, 2:5], x)
    border = np.ones(golden.shape, dtype=bool)
    border[:, 1:, 2:5] = False
    assert np.all(golden[border] == -1)


@few_examples
@given(kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       ifm_dim=st.tuples(st.integers(1, 6), st.integers(1, 6)),
       simd_channels=simd_and_channels, dtype=st.sampled_from(["INT4", "BINARY"]), seed=seeds)
def test_convolution_input_generator_matches_finn(kernel, stride, dilation, ifm_dim,
                                                  simd_channels, dtype, seed):
    assume(all(size >= d * (k - 1) + 1 for size, k, d in zip(ifm_dim, kernel, dilation)))
    simd, channels = simd_channels
    node, ofm_dim = sliding_window_node("x", "out", ifm_dim, kernel, channels, dtype, stride,
                                        dilation, simd)
    window = kernel[0] * kernel[1] * channels
    model = make_model([node], {"x": ((1, *ifm_dim, channels), dtype)},
                       {"out": ((1, *ofm_dim, window), dtype)})
    x = random_values(np.random.default_rng(seed), dtype, (1, *ifm_dim, channels))
    assert_matches_finn(model, {"x": x}, im2col(x, kernel, stride, dilation))


def test_window_order_is_kernel_row_then_kernel_column_then_channel():
    x = np.arange(1 * 3 * 4 * 2).reshape(1, 3, 4, 2)
    windows = im2col(x, kernel=(2, 3), stride=(1, 1))
    assert windows.shape == (1, 2, 2, 12)
    expected = [x[0, 1 + ky, 1 + kx, c] for ky in range(2) for kx in range(3) for c in range(2)]
    assert windows[0, 1, 1].tolist() == expected
