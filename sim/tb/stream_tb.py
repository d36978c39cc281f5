"""Shared testbench of the streaming layers: both the pytest side and the cocotb side.

Pytest side: ``run_stream_case`` writes a test case (input values, golden output
values, stream packing, stall probabilities, expected cycles) and runs a layer's
cocotb module on the RTL through ``sim.runner``.

Cocotb side: ``StreamTB.run`` drives every input stream ``in<i>`` and watches every
output stream ``out<i>`` of the case, in three phases:

1. all frames back to back with random idle input cycles and output backpressure;
2. part of a frame, then a reset in the middle of it;
3. all frames again without stalls, whose first frame is timed against the
   layer's ``expected_cycles``.

Outputs must equal the golden model exactly in phases 1 and 3.
"""
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, with_timeout

from sim.runner import run_cocotb
from sim.tb.axis import (CLOCK_PERIOD_NS, AxisDriver, AxisMonitor, load_case, pack_words, reset,
                         save_case, start_clock, unpack_words)

_STREAM_NAME = re.compile(r"(in|out)\d+")
# stalls (idle 0.3, backpressure 0.5) at most triple a phase; three phases, margin
TIMEOUT_FACTOR = 8


@dataclass(frozen=True)
class Stream:
    """Values of one stream, shape (frames, ...), row-major, packed per_word to a word."""

    values: np.ndarray
    elem_bits: int
    per_word: int
    signed: bool = False


def run_stream_case(
    build_dir: Path,
    *,
    toplevel: str,
    sources: Sequence[Path],
    parameters: Mapping[str, int],
    test_module: str,
    inputs: Mapping[str, Stream],
    outputs: Mapping[str, Stream],
    expected_cycles: int,
    simulator: str,
    idle_prob: float = 0.3,
    stall_prob: float = 0.3,
    seed: int = 0,
    waves: bool = False,
    trace_config: Path | None = None,
    **extra: int,
) -> None:
    """Pytest side: write the case into ``build_dir`` and run ``test_module`` on the RTL.

    ``extra`` holds layer-specific scalars for the testbench (e.g. a FIFO's depth).
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    case_path = build_dir / "case.npz"
    arrays = dict(expected_cycles=expected_cycles, idle_prob=idle_prob,
                  stall_prob=stall_prob, seed=seed, **extra)
    for name, stream in {**inputs, **outputs}.items():
        arrays.update({name: stream.values, f"{name}_bits": stream.elem_bits,
                       f"{name}_per_word": stream.per_word, f"{name}_signed": stream.signed})
    save_case(case_path, **arrays)
    run_cocotb(toplevel, sources, test_module, parameters=parameters,
               extra_env={"TB_CASE": str(case_path)}, simulator=simulator,
               build_dir=build_dir / simulator, waves=waves, trace_config=trace_config)


class StreamTB:
    """Cocotb side: drives and checks one layer through its AXI-Stream ports."""

    def __init__(self, dut):
        self.dut = dut
        self.case = load_case()
        names = sorted(key for key in self.case if _STREAM_NAME.fullmatch(key))
        self.inputs = [name for name in names if name.startswith("in")]
        self.outputs = [name for name in names if name.startswith("out")]
        self.frames = len(self.case[self.outputs[0]])
        # every frame of every stream, packed as on the wire
        self.words = {name: pack_words(self.case[name], self.case[f"{name}_bits"],
                                       self.case[f"{name}_per_word"]) for name in names}
        self.words_per_frame = {name: len(words) // self.frames
                                for name, words in self.words.items()}
        self.log = dut._log

    async def run(self) -> None:
        """All three phases; fails instead of hanging when the DUT stops moving words
        (deadlock, lost words), after TIMEOUT_FACTOR times the expected traffic."""
        budget = TIMEOUT_FACTOR * (self.frames + 1) * self.case["expected_cycles"] + 1000
        await with_timeout(self._phases(), budget * CLOCK_PERIOD_NS, "ns")

    async def _phases(self) -> None:
        start_clock(self.dut)
        await reset(self.dut)
        self.start_checkers()
        await self.stream_frames(self.case["idle_prob"], self.case["stall_prob"])
        await self.reset_mid_frame()
        self.check_cycles(await self.stream_frames(0.0, 0.0))

    def start_checkers(self) -> None:
        """Start coroutines that watch the DUT every cycle from the first reset on; none here."""

    async def stream_frames(self, idle_prob: float, stall_prob: float) -> int:
        """Send all frames, check every output; return the first frame's cycles.

        Cycles run from the first transfer on any stream to the first frame's last
        output word, inclusive.
        """
        traffic = self._start_traffic(idle_prob, stall_prob)
        for name, reception in traffic.receptions.items():
            self.check_output(name, await reception)
        endpoints = [*traffic.drivers.values(), *traffic.monitors.values()]
        first = min(endpoint.transfer_cycles[0] for endpoint in endpoints)
        last = max(monitor.transfer_cycles[self.words_per_frame[name] - 1]
                   for name, monitor in traffic.monitors.items())
        self.frame_ends = [max(monitor.transfer_cycles[(f + 1) * self.words_per_frame[name] - 1]
                               for name, monitor in traffic.monitors.items())
                           for f in range(self.frames)]
        self.log.info("all %d frames: %d cycles", self.frames, self.frame_ends[-1] - first + 1)
        return last - first + 1

    async def reset_mid_frame(self) -> None:
        """Stream with stalls for half a frame's time, then reset: later frames start clean."""
        traffic = self._start_traffic(self.case["idle_prob"], self.case["stall_prob"])
        await ClockCycles(self.dut.ap_clk, max(self.case["expected_cycles"] // 2, 1))
        traffic.stop()
        await reset(self.dut)

    def check_cycles(self, measured: int) -> None:
        expected = self.case["expected_cycles"]
        self.log.info("frame cycles: measured %d, expected %d", measured, expected)
        assert measured == expected, f"frame took {measured} cycles, the model says {expected}"

    def check_output(self, name: str, words: list[int]) -> None:
        case = self.case
        golden = np.asarray(case[name]).reshape(-1)
        got = unpack_words(words, case[f"{name}_bits"], case[f"{name}_per_word"],
                           bool(case[f"{name}_signed"]))
        differing = np.flatnonzero(got != golden)
        assert differing.size == 0, (
            f"{name}: {differing.size} of {golden.size} elements differ, first at flat index "
            f"{differing[0]}: got {got[differing[0]]}, golden {golden[differing[0]]}")

    def _start_traffic(self, idle_prob: float, stall_prob: float) -> "_Traffic":
        """Start sending every input's frames and receiving every output's, seeded apart."""
        seed = self.case["seed"]
        traffic = _Traffic(
            drivers={name: AxisDriver(self.dut, f"{name}_V", self.dut.ap_clk, idle_prob, seed + i)
                     for i, name in enumerate(self.inputs)},
            monitors={name: AxisMonitor(self.dut, f"{name}_V", self.dut.ap_clk, stall_prob,
                                        seed + 100 + i)
                      for i, name in enumerate(self.outputs)})
        traffic.sends = [cocotb.start_soon(driver.send(self.words[name]))
                         for name, driver in traffic.drivers.items()]
        traffic.receptions = {name: cocotb.start_soon(monitor.recv(len(self.words[name])))
                              for name, monitor in traffic.monitors.items()}
        return traffic


@dataclass
class _Traffic:
    """The drivers and monitors of one phase, and their running tasks."""

    drivers: dict[str, AxisDriver]
    monitors: dict[str, AxisMonitor]
    sends: list = field(default_factory=list)
    receptions: dict = field(default_factory=dict)

    def stop(self) -> None:
        """Cancel every transfer and leave the streams idle (no TVALID, no TREADY)."""
        for task in [*self.sends, *self.receptions.values()]:
            task.cancel()
        for driver in self.drivers.values():
            driver.tvalid.value = 0
        for monitor in self.monitors.values():
            monitor.tready.value = 0
