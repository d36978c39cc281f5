"""hw/rtl/video_frame_in.sv recovers whole frames from bad video input (missing TUSER,
bad TLAST, a frame that ends early, a frame wider than MAX_W or 0 wide), in Verilator
and Icarus, with random idles and backpressure; the accelerator tests check the good
path of both edges (video_frame_out's TUSER/TLAST) through a whole design."""
import pytest

from hw.stitch import EDGE_SOURCES
from sim.runner import run_cocotb, simulator_case

PARAMETERS = {"MAX_W": 8, "PIXEL_WORDS": 2, "WIDTH": 8}


@pytest.mark.parametrize("config, simulator", [simulator_case("recovery", "verilator"),
                                               simulator_case("recovery", "icarus")])
def test_video_frame_in_recovers_from_bad_input(config, simulator, tmp_path):
    run_cocotb("video_frame_in", EDGE_SOURCES[:1], "sim.tb.video_frame_tb",
               parameters=PARAMETERS, simulator=simulator, build_dir=tmp_path / simulator)
