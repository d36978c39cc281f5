"""Cocotb testbench of hw/rtl/fmpadding.sv: image in, padded image out (golden ``fm_padding``)."""
import cocotb

from sim.tb.stream_tb import StreamTB


@cocotb.test()
async def fmpadding(dut):
    await StreamTB(dut).run()
