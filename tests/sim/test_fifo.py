"""hw/rtl/stream_fifo.sv: order, occupancy, full and empty under simultaneous push and pop."""
import numpy as np
import pytest

from hw import stream_fifo
from sim.runner import simulator_case
from sim.tb.stream_tb import Stream, run_stream_case

FRAMES = 2
WORDS = 40
# (depth, width); heavy backpressure fills the FIFO
CONFIGS = {"depth_1": (1, 3), "depth_4": (4, 8), "depth_5": (5, 70)}
RUNS = [simulator_case("depth_1", "verilator"), simulator_case("depth_4", "verilator"),
        simulator_case("depth_5", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_fifo_passes_words_in_order(config, simulator, tmp_path):
    depth, width = CONFIGS[config]
    rng = np.random.default_rng(4)
    # one element per word; 70-bit words exceed int64, so they travel as two elements
    elem_bits, per_word = (width, 1) if width <= 32 else (width // 2, 2)
    words = rng.integers(0, 1 << elem_bits, (FRAMES, WORDS, per_word))
    run_stream_case(
        tmp_path,
        toplevel=stream_fifo.MODULE,
        sources=stream_fifo.SOURCES,
        parameters=stream_fifo.rtl_parameters(depth, width),
        test_module="sim.tb.fifo_tb",
        inputs={"in0": Stream(words, elem_bits, per_word)},
        outputs={"out0": Stream(words, elem_bits, per_word)},
        expected_cycles=stream_fifo.expected_cycles(WORDS, depth),
        simulator=simulator,
        idle_prob=0.2,
        stall_prob=0.7,
        depth=depth,
    )


def test_check_folding_names_layer_and_rule():
    with pytest.raises(ValueError, match="StreamingFIFO: depth must be >= 1, got 0"):
        stream_fifo.check_folding(0, 8)
