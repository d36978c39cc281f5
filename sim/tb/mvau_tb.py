"""Cocotb testbench of a generated MVAU (hw/rtl/mvau.sv, XNOR or integer): vectors in,
golden ``xnor_mvau`` / ``int_mvau`` outputs out."""
import cocotb

from sim.tb.stream_tb import StreamTB


@cocotb.test()
async def mvau(dut):
    await StreamTB(dut).run()
