"""Cocotb testbench of hw/rtl/depth_to_space.sv: LR image in, HR image out
(golden ``depth_to_space_nhwc``)."""
import cocotb

from sim.tb.stream_tb import StreamTB


@cocotb.test()
async def depth_to_space(dut):
    await StreamTB(dut).run()
