"""Cocotb testbench of the stitched accelerator: LR frames in, golden SR frames out.

Unlike a single layer, the whole design has no exact cycle model to assert: the
stall-free phase is measured (first-frame latency and the interval between frames)
and written to the case's report file; tests/sim/test_accelerator.py bounds the
interval by the cycle model. A deadlock fails at StreamTB's timeout.
"""
import json

import cocotb

from sim.tb.stream_tb import StreamTB


class AcceleratorTB(StreamTB):
    def check_cycles(self, measured: int) -> None:
        interval = (self.frame_ends[1] - self.frame_ends[0]) if self.frames > 1 else measured
        report = {"first_frame_cycles": measured, "frame_interval_cycles": interval,
                  "frames": self.frames}
        self.log.info("accelerator: %s", report)
        with open(self.case["report"], "w") as out:
            json.dump(report, out)


@cocotb.test()
async def accelerator(dut):
    await AcceleratorTB(dut).run()
