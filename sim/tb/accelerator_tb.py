"""Cocotb testbench of the stitched accelerator: LR frames in, golden SR frames out.

The case's run-time ports set the LR frame size (frame_w, frame_h); the input carries
the AXI4-Stream video sideband (TUSER on a frame's first word, TLAST on every line's
last word), and the output's TUSER/TLAST must mark the HR frames the same way, with no
status flag raised. Unlike a single layer, the whole design has no exact cycle model
to assert: the stall-free phase is measured (first-frame latency and the interval
between frames) and appended to the case's report file (a JSON list, one entry per
case); tests/sim/test_accelerator.py bounds the interval by the cycle model. A deadlock
fails at StreamTB's timeout.
"""
import json
from pathlib import Path

import cocotb
import numpy as np

from sim.tb.stream_tb import StreamTB


def video_sideband(words_per_frame: int, lines: int, frames: int) -> dict:
    """TUSER (first word of a frame) and TLAST (last word of a line) of every word of
    ``frames`` frames of ``lines`` lines."""
    index = np.arange(frames * words_per_frame)
    line_words = words_per_frame // lines
    return {"tuser": (index % words_per_frame == 0).astype(int),
            "tlast": (index % line_words == line_words - 1).astype(int)}


class AcceleratorTB(StreamTB):
    def input_sideband(self, name: str, frames: int) -> dict:
        return video_sideband(self.words_per_frame[name], self.case["port_frame_h"], frames)

    def output_sideband(self) -> tuple[str, ...]:
        return ("TUSER", "TLAST")

    def check_sideband(self, name: str, sideband: dict, frames: int) -> None:
        expected = video_sideband(self.words_per_frame[name],
                                  self.case["port_frame_h"] * self.case["scale"], frames)
        for signal in ("TUSER", "TLAST"):
            got, want = np.asarray(sideband[signal]), expected[signal.lower()]
            differing = np.flatnonzero(got != want)
            assert differing.size == 0, (
                f"{name}_V_{signal} is {got[differing[0]]} on output word {differing[0]}, "
                f"expected {want[differing[0]]}")
        status = int(self.dut.status.value)
        assert status == 0, f"status {status:#x}: the input edge flagged good input"

    def check_cycles(self, measured: int) -> None:
        interval = (self.frame_ends[1] - self.frame_ends[0]) if self.frames > 1 else measured
        report = {"frame_shape": [self.case["port_frame_h"], self.case["port_frame_w"]],
                  "first_frame_cycles": measured, "frame_interval_cycles": interval,
                  "frames": self.frames}
        self.log.info("accelerator: %s", report)
        path = Path(self.case["report"])
        reports = json.loads(path.read_text()) if path.is_file() else []
        path.write_text(json.dumps([*reports, report]))


@cocotb.test()
async def accelerator(dut):
    await AcceleratorTB(dut).run()
