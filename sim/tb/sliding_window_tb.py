"""Cocotb testbench of hw/rtl/sliding_window.sv: padded image in, windows out
(golden ``im2col``)."""
import cocotb

from sim.tb.stream_tb import StreamTB


@cocotb.test()
async def sliding_window(dut):
    await StreamTB(dut).run()
