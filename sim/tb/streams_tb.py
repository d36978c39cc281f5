"""Cocotb testbench of the stream plumbing: hw/rtl/duplicate_streams.sv (through its rendered
wrapper; golden ``duplicate_streams``) and hw/rtl/elementwise_add.sv (golden ``add_streams``).

The case names the streams: in0 -> out0, out1, ... or in0, in1 -> out0.
"""
import cocotb

from sim.tb.stream_tb import StreamTB


@cocotb.test()
async def streams(dut):
    await StreamTB(dut).run()
