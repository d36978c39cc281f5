"""Verilator C++ harness of the stitched accelerator: fast co-simulation and the simulated
device of the board driver."""
from sim.harness.verilator_harness import build_harness, run_frames, run_stream

__all__ = ["build_harness", "run_frames", "run_stream"]
