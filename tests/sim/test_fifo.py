"""hw/rtl/stream_fifo.sv: order, occupancy, full and empty under simultaneous push and pop."""
import numpy as np
import pytest

from hw import stream_fifo
from sim.layer_cases import fifo_case
from sim.runner import simulator_case

FRAMES = 2
WORDS = 40
# (depth, width); heavy backpressure fills the FIFO
# (1-bit words: TDATA is a single bit, which Icarus hands to cocotb as a Logic, not an array)
# block_ram: deeper than stream_fifo.LUTRAM_MAX_DEPTH, read registered from block RAM
CONFIGS = {"depth_1": (1, 3), "depth_4": (4, 8), "depth_5": (5, 70), "width_1": (2, 1),
           "block_ram": (70, 12)}
RUNS = [simulator_case("depth_1", "verilator"), simulator_case("depth_4", "verilator"),
        simulator_case("depth_5", "icarus"), simulator_case("width_1", "icarus"),
        simulator_case("block_ram", "verilator"), simulator_case("block_ram", "icarus")]


@pytest.mark.parametrize("config, simulator", RUNS)
def test_fifo_passes_words_in_order(config, simulator, tmp_path):
    depth, width = CONFIGS[config]
    # a deep FIFO needs frames longer than itself to fill
    words = max(WORDS, 2 * depth)
    fifo_case(np.random.default_rng(4), depth, width, words=words, frames=FRAMES).run_rtl(
        tmp_path, simulator)


def test_check_folding_names_layer_and_rule():
    with pytest.raises(ValueError, match="StreamingFIFO: depth must be >= 1, got 0"):
        stream_fifo.check_folding(0, 8)
