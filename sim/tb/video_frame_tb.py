"""Cocotb testbench of hw/rtl/video_frame_in.sv: whole frames out of bad video input.

Each scenario starts from reset, sends a bad stretch of input and then a good frame,
with random input idles and output backpressure (seed from ``$SEED``). The output must
be exactly the repaired frames (a frame that ended early completed with zero words, a
dropped frame absent, the good frame intact), nothing more, and ``status`` exactly the
scenario's sticky flags.
"""
import os
import random

import cocotb
from cocotb.triggers import FallingEdge, ReadOnly, with_timeout

from sim.tb.axis import CLOCK_PERIOD_NS, AxisDriver, AxisMonitor, reset, start_clock

MISSING_SOF, BAD_TLAST, EARLY_SOF, BAD_SIZE = (1 << bit for bit in range(4))
WIDTH, HEIGHT = 3, 2  # the good frame size, pixels
TIMEOUT_CYCLES = 2000


class VideoInTB:
    def __init__(self, dut):
        self.dut = dut
        self.pixel_words = int(dut.PIXEL_WORDS.value)
        self.max_w = int(dut.MAX_W.value)
        self.rng = random.Random(int(os.environ.get("SEED", "0")))
        self.next_value = 1

    def frame(self, width: int = WIDTH, height: int = HEIGHT) -> list[tuple[int, int, int]]:
        """(data, tuser, tlast) of the words of a well-formed frame; data never 0."""
        line_words = width * self.pixel_words
        words = []
        for index in range(line_words * height):
            words.append((self.next_value, int(index == 0),
                          int(index % line_words == line_words - 1)))
            self.next_value = self.next_value % 255 + 1
        return words

    async def scenario(self, name: str, sends, expected: list[int], status: int) -> None:
        """``sends``: (frame_w, words) stretches sent in turn, frame_w set once the previous
        stretch is all accepted (as software does while the core is idle)."""
        self.dut._log.info("scenario %s", name)
        dut = self.dut
        dut.frame_w.value, dut.frame_h.value = sends[0][0], HEIGHT
        await reset(dut, 2)
        driver = AxisDriver(dut, "in0_V", dut.ap_clk, 0.3, self.rng.randrange(2**32))
        monitor = AxisMonitor(dut, "out0_V", dut.ap_clk, 0.3, self.rng.randrange(2**32))
        reception = cocotb.start_soon(monitor.recv(len(expected)))
        for frame_w, words in sends:
            dut.frame_w.value = frame_w
            data, tuser, tlast = zip(*words)
            await with_timeout(driver.send(data, list(tuser), list(tlast)),
                               TIMEOUT_CYCLES * CLOCK_PERIOD_NS, "ns")
        got = await with_timeout(reception, TIMEOUT_CYCLES * CLOCK_PERIOD_NS, "ns")
        assert got == expected, f"{name}: output {got}, expected {expected}"
        await self.expect_silence(name)
        assert int(dut.status.value) == status, (
            f"{name}: status {int(dut.status.value):#x}, expected {status:#x}")

    async def expect_silence(self, name: str) -> None:
        self.dut.out0_V_TREADY.value = 1
        for _ in range(4 * WIDTH * HEIGHT * self.pixel_words):
            await ReadOnly()
            assert not self.dut.out0_V_TVALID.value, f"{name}: an extra output word"
            await FallingEdge(self.dut.ap_clk)

    async def run(self) -> None:
        start_clock(self.dut)
        values = lambda words: [w[0] for w in words]  # noqa: E731
        frame_words = WIDTH * HEIGHT * self.pixel_words

        good = self.frame()
        await self.scenario("good frame", [(WIDTH, good)], values(good), 0)

        stray, good = self.frame()[3:6], self.frame()
        await self.scenario("words before a start of frame are dropped",
                            [(WIDTH, stray + good)], values(good), MISSING_SOF)

        untagged = [(d, 0, last) for d, _, last in self.frame()]
        good = self.frame()
        await self.scenario("a frame without TUSER is dropped",
                            [(WIDTH, untagged + good)], values(good), MISSING_SOF)

        cut, good = self.frame()[:5], self.frame()
        await self.scenario("a frame that ends early is completed with zeros",
                            [(WIDTH, cut + good)],
                            values(cut) + [0] * (frame_words - 5) + values(good), EARLY_SOF)

        bad_lines, good = self.frame(), self.frame()
        line_words = WIDTH * self.pixel_words
        bad_lines[line_words - 1] = (*bad_lines[line_words - 1][:2], 0)  # missing TLAST
        bad_lines[1] = (*bad_lines[1][:2], 1)  # TLAST inside a line
        await self.scenario("TLAST errors are flagged, the frame passes",
                            [(WIDTH, bad_lines + good)], values(bad_lines + good), BAD_TLAST)

        for bad_width in (self.max_w + 1, 0):
            dropped, good = self.frame(max(bad_width, 1)), self.frame()
            await self.scenario(f"a frame {bad_width} pixels wide is dropped",
                                [(bad_width, dropped), (WIDTH, good)], values(good), BAD_SIZE)


@cocotb.test()
async def video_frame_in(dut):
    await VideoInTB(dut).run()
