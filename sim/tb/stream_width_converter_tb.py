"""Cocotb testbench of hw/rtl/stream_width_converter.sv: the element sequence out as it went
in, regrouped into output words (golden ``pass_through``)."""
import cocotb

from sim.tb.stream_tb import StreamTB


@cocotb.test()
async def stream_width_converter(dut):
    await StreamTB(dut).run()
