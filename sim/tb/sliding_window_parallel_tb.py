"""Cocotb testbench of hw/rtl/sliding_window_parallel.sv: padded image in, one whole window
per word out (golden ``im2col``), at every run-time size of the case."""
import cocotb

from sim.tb.stream_tb import StreamTB


@cocotb.test()
async def sliding_window_parallel(dut):
    await StreamTB(dut).run()
