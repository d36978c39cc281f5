"""AXI-Stream helpers shared by every cocotb testbench.

Stream words follow FINN's packing (``hw.stream``).

Driver and monitor change their signals just after a falling edge and sample the
handshake in the ReadOnly phase before the next rising edge, so they see exactly
what the DUT registers, whichever simulator (Verilator, Icarus) runs.
"""
import os
import random

import numpy as np
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import Event, FallingEdge, ReadOnly, RisingEdge
from cocotb.types import Logic

CLOCK_PERIOD_NS = 10
TB_CASE_ENV = "TB_CASE"


__all__ = [
    "AxisDriver", "AxisMonitor", "load_case", "load_cases", "reset", "save_case", "sim_cycles",
    "start_clock",
]


def save_case(path, **arrays) -> None:
    """Write a test case for a cocotb module (pytest side); pass its path as TB_CASE."""
    np.savez(path, **arrays)


def load_case(path: str | None = None) -> dict:
    """The test case at ``path`` (default: the TB_CASE env var): arrays, 0-d arrays as
    Python ints."""
    with np.load(path or os.environ[TB_CASE_ENV]) as case:
        return {k: (case[k].item() if case[k].ndim == 0 else case[k]) for k in case.files}


def load_cases() -> list[dict]:
    """Every case named by TB_CASE (paths joined by os.pathsep), in order."""
    return [load_case(path) for path in os.environ[TB_CASE_ENV].split(os.pathsep)]


def start_clock(dut, period_ns: int = CLOCK_PERIOD_NS):
    """Start ``ap_clk``; returns the Clock."""
    clock = Clock(dut.ap_clk, period_ns, unit="ns")
    clock.start()
    return clock


async def reset(dut, cycles: int = 4) -> None:
    """Hold the active-low ``ap_rst_n`` low for ``cycles`` cycles; release after a falling edge."""
    dut.ap_rst_n.value = 0
    for _ in range(cycles):
        await RisingEdge(dut.ap_clk)
    await FallingEdge(dut.ap_clk)
    dut.ap_rst_n.value = 1


def word_value(tdata) -> int:
    """The unsigned value of a TDATA signal, also one bit wide (a ``Logic``, not a
    ``LogicArray``); raises on X/Z bits: an undefined output is a failure."""
    value = tdata.value
    return int(value) if isinstance(value, Logic) else value.to_unsigned()


def sim_cycles(period_ns: int = CLOCK_PERIOD_NS) -> int:
    """Current simulation time in clock cycles."""
    return int(get_sim_time(unit="ns") // period_ns)


class AxisDriver:
    """Master of the ``{prefix}_TDATA/TVALID/TREADY`` stream, with random idle cycles.

    ``transfer_cycles`` lists the cycle (``sim_cycles``) of every handshake.
    """

    def __init__(self, dut, prefix: str, clock, idle_prob: float = 0.0, seed: int = 0):
        self.clock = clock
        self.dut, self.prefix = dut, prefix
        self.tdata = getattr(dut, f"{prefix}_TDATA")
        self.tvalid = getattr(dut, f"{prefix}_TVALID")
        self.tready = getattr(dut, f"{prefix}_TREADY")
        self.idle_prob = idle_prob
        self.rng = random.Random(seed)
        self.transfer_cycles: list[int] = []
        self.tvalid.value = 0
        self.offered = IndexEvents()

    async def send(self, words, tuser=None, tlast=None) -> None:
        """Send ``words``; ``tuser`` / ``tlast``: per-word values of the stream's TUSER /
        TLAST (AXI4-Stream video: start of frame, end of line), if it has them."""
        sideband = [(getattr(self.dut, f"{self.prefix}_{name}"), values)
                    for name, values in (("TUSER", tuser), ("TLAST", tlast))
                    if values is not None]
        await FallingEdge(self.clock)
        for index, word in enumerate(words):
            while self.rng.random() < self.idle_prob:
                self.tvalid.value = 0
                await FallingEdge(self.clock)
            self.tdata.value = int(word)
            for signal, values in sideband:
                signal.value = int(values[index])
            self.tvalid.value = 1
            self.offered.reached(index)
            await self._wait_accepted()
        self.tvalid.value = 0

    async def _wait_accepted(self) -> None:
        """Return after the falling edge that follows the handshake of the driven word."""
        accepted = False
        while not accepted:
            await ReadOnly()
            accepted = bool(self.tready.value)
            if accepted:
                self.transfer_cycles.append(sim_cycles())
            await FallingEdge(self.clock)


class AxisMonitor:
    """Slave of the ``{prefix}_TDATA/TVALID/TREADY`` stream, with random backpressure.

    ``transfer_cycles`` lists the cycle (``sim_cycles``) of every handshake.
    """

    def __init__(self, dut, prefix: str, clock, stall_prob: float = 0.0, seed: int = 0,
                 sideband: tuple[str, ...] = ()):
        """sideband: names of further signals to record with every word (``TUSER``...),
        into ``self.sideband[name]``."""
        self.clock = clock
        self.tdata = getattr(dut, f"{prefix}_TDATA")
        self.tvalid = getattr(dut, f"{prefix}_TVALID")
        self.tready = getattr(dut, f"{prefix}_TREADY")
        self.sideband_signals = {name: getattr(dut, f"{prefix}_{name}") for name in sideband}
        self.sideband: dict[str, list[int]] = {name: [] for name in sideband}
        self.stall_prob = stall_prob
        self.rng = random.Random(seed)
        self.transfer_cycles: list[int] = []
        self.tready.value = 0
        self.offered = IndexEvents()

    async def recv(self, n: int) -> list[int]:
        words: list[int] = []
        await FallingEdge(self.clock)
        while len(words) < n:
            self.tready.value = int(self.rng.random() >= self.stall_prob)
            await ReadOnly()
            if self.tvalid.value:
                self.offered.reached(len(words))
            if self.tready.value and self.tvalid.value:
                words.append(word_value(self.tdata))
                for name, signal in self.sideband_signals.items():
                    self.sideband[name].append(word_value(signal))
                self.transfer_cycles.append(sim_cycles())
            await FallingEdge(self.clock)
        self.tready.value = 0
        return words

    async def expect_no_extra_words(self, cycles: int, received: int, next_frame) -> None:
        """Accept for ``cycles`` cycles after ``received`` expected words; AssertionError on
        any word but the first words of ``next_frame``, in order: a layer may start the
        next frame with words that need no input (FMPadding's top rows), nothing else."""
        await FallingEdge(self.clock)
        self.tready.value = 1
        extra = 0
        for _ in range(cycles):
            await ReadOnly()
            if self.tvalid.value:
                word = word_value(self.tdata)
                assert extra < len(next_frame) and word == next_frame[extra], (
                    f"{self.tdata._name}: extra word {extra} after the {received} expected "
                    f"words is {word:#x}, not the next frame's {extra}th word")
                extra += 1
            await FallingEdge(self.clock)
        self.tready.value = 0


class IndexEvents:
    """Events "word ``index`` is on the bus" that a testbench waits for (e.g. to reset then)."""

    def __init__(self):
        self._events: dict[int, Event] = {}

    def event(self, index: int) -> Event:
        return self._events.setdefault(index, Event())

    def reached(self, index: int) -> None:
        if index in self._events:
            self._events[index].set()

