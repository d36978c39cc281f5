"""Cocotb testbench of hw/rtl/sliding_window_parallel.sv: padded image in, one whole window
per word out (golden ``im2col``), one cocotb test per run-time size of the case."""
import cocotb

from sim.tb.axis import case_paths
from sim.tb.stream_tb import StreamTB


@cocotb.test()
@cocotb.parametrize(size=range(len(case_paths())))
async def sliding_window_parallel(dut, size):
    await StreamTB(dut, size).run()
