"""Cocotb testbench of hw/rtl/stream_fifo.sv: words out as they went in (golden ``pass_through``),
occupancy and full/empty flags checked every cycle."""
import cocotb
from cocotb.triggers import FallingEdge, ReadOnly

from hw import stream_fifo
from sim.tb.stream_tb import StreamTB


class FifoTB(StreamTB):
    """Also keeps its own occupancy count from the handshakes and checks the FIFO's flags:
    full at DEPTH words, not empty once a word has been in for the FIFO's latency."""

    def __init__(self, dut):
        super().__init__(dut)
        self.depth = self.case["depth"]
        self.latency = stream_fifo.latency(self.depth)
        self.max_occupancy = 0

    async def run(self) -> None:
        await super().run()
        # the backpressured phases must have filled the FIFO, or "full" went untested
        assert self.max_occupancy == self.depth, (
            f"the FIFO never filled: at most {self.max_occupancy} of {self.depth} words")

    def start_checkers(self) -> None:
        cocotb.start_soon(self.watch_occupancy())

    async def watch_occupancy(self) -> None:
        dut, occupancy = self.dut, 0
        recent_pushes = [0] * (self.latency - 1)  # pushes of the last latency-1 cycles
        while True:
            await FallingEdge(dut.ap_clk)
            await ReadOnly()
            count = int(dut.count.value)
            # words that have been in for the latency, not yet popped, can leave
            ready_words = occupancy - sum(recent_pushes)
            assert count == occupancy, f"count {count}, expected {occupancy}"
            assert bool(dut.in0_V_TREADY.value) == (occupancy < self.depth), f"TREADY at {count}"
            assert bool(dut.out0_V_TVALID.value) == (ready_words > 0), (
                f"TVALID with {ready_words} words in for {self.latency} cycles")
            push = bool(dut.in0_V_TVALID.value) and occupancy < self.depth
            pop = bool(dut.out0_V_TREADY.value) and ready_words > 0
            if dut.ap_rst_n.value:
                occupancy += push - pop
                recent_pushes = (recent_pushes + [int(push)])[1:]
            else:
                occupancy, recent_pushes = 0, [0] * (self.latency - 1)
            self.max_occupancy = max(self.max_occupancy, occupancy)


@cocotb.test()
async def fifo(dut):
    await FifoTB(dut).run()
