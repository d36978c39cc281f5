"""Cocotb testbench of a generated Thresholding layer (hw/rtl/thresholding.sv): pixels in,
golden ``multi_threshold`` outputs out."""
import cocotb

from sim.tb.stream_tb import StreamTB


@cocotb.test()
async def thresholding(dut):
    await StreamTB(dut).run()
