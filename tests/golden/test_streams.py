"""DuplicateStreams, ElementwiseAdd, StreamingFIFO and DataWidthConverter against FINN."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.finn_models import (
    assert_matches_finn,
    duplicate_streams_model,
    elementwise_add_model,
    finn_execute,
    hw_node,
    make_model,
    random_values,
)
from sim.golden.graph import run_graph
from sim.golden.streams import add_streams, duplicate_streams, pass_through
from tests.golden.finn_models import few_examples

seeds = st.integers(0, 2**32 - 1)
SHAPE = (1, 3, 2, 4)


@few_examples
@given(n_outputs=st.integers(2, 3), seed=seeds)
def test_duplicate_streams_matches_finn(n_outputs, seed):
    outputs = [f"out{i}" for i in range(n_outputs)]
    model = duplicate_streams_model(SHAPE, "INT8", n_outputs, pe=2)
    x = random_values(np.random.default_rng(seed), "INT8", SHAPE)
    expected = finn_execute(model, {"x": x})
    golden = run_graph(model, {"x": x})
    for name, copy in zip(outputs, duplicate_streams(x, n_outputs)):
        assert np.array_equal(copy, expected[name]) and np.array_equal(golden[name], expected[name])


@few_examples
@given(dtypes=st.sampled_from([("UINT4", "UINT4", "UINT5"), ("INT8", "INT8", "INT9"),
                               ("INT4", "UINT8", "INT10")]), seed=seeds)
def test_elementwise_add_of_two_streams_matches_finn(dtypes, seed):
    rng = np.random.default_rng(seed)
    lhs_dtype, rhs_dtype, _ = dtypes
    x, y = random_values(rng, lhs_dtype, SHAPE), random_values(rng, rhs_dtype, SHAPE)
    model = elementwise_add_model(*dtypes, SHAPE, SHAPE, pe=2)
    assert_matches_finn(model, {"x": x, "y": y}, add_streams(x, y))


@few_examples
@given(seed=seeds)
def test_elementwise_add_of_per_channel_constant_matches_finn(seed):
    rng = np.random.default_rng(seed)
    x, bias = random_values(rng, "INT8", SHAPE), random_values(rng, "INT4", (SHAPE[-1],))
    model = elementwise_add_model("INT8", "INT4", "INT9", SHAPE, bias.shape, rhs_const=bias, pe=2)
    assert_matches_finn(model, {"x": x}, add_streams(x, bias))


def test_fifo_and_data_width_converter_pass_values_through_like_finn():
    nodes = [
        hw_node("StreamingFIFO", ["x"], ["mid"], depth=16, folded_shape=[1, 3, 2, 2, 2],
                normal_shape=list(SHAPE), dataType="INT8"),
        hw_node("StreamingDataWidthConverter", ["mid"], ["out"], inShape=list(SHAPE),
                outShape=list(SHAPE), inWidth=16, outWidth=32, dataType="INT8"),
    ]
    model = make_model(nodes, {"x": (SHAPE, "INT8")}, {"out": (SHAPE, "INT8")},
                       intermediates={"mid": (SHAPE, "INT8")})
    x = random_values(np.random.default_rng(0), "INT8", SHAPE)
    assert_matches_finn(model, {"x": x}, pass_through(pass_through(x)))



def test_data_width_converter_runs_any_frame_size():
    """The golden model of a whole frame must not take sizes from the graph's nodes."""
    node = hw_node("StreamingDataWidthConverter", ["x"], ["out"], inShape=list(SHAPE),
                   outShape=list(SHAPE), inWidth=16, outWidth=32, dataType="INT8")
    model = make_model([node], {"x": (SHAPE, "INT8")}, {"out": (SHAPE, "INT8")})
    x = random_values(np.random.default_rng(1), "INT8", (1, 5, 7, SHAPE[-1]))
    assert np.array_equal(run_graph(model, {"x": x}, any_frame_size=True)["out"], x)
