"""Shared testbench of the streaming layers: both the pytest side and the cocotb side.

Pytest side: ``run_stream_case`` writes a test case (input values, golden output
values, stream packing, stall probabilities, expected cycles, stimulus seed) and runs
a layer's cocotb module on the RTL through ``sim.runner``.

Cocotb side: ``StreamTB.run`` drives every input stream ``in<i>`` and watches every
output stream ``out<i>`` of the case, every random choice drawn from the case's seed
(printed; ``SEED=N`` replays it):

1. all frames back to back with random idle input cycles and output backpressure;
2. resets of random length (1 to 8 cycles) at several points: while the first input
   word is on the bus, while the last input word of a frame is, while the last output
   word of a frame is, at a random cycle, and between frames; after each, one frame
   with idles and backpressure must come out exact (the reset flushed what was in
   flight);
3. all frames again without stalls, whose first frame is timed against the layer's
   ``expected_cycles``.

Every checked stream must equal the golden model exactly, and then the output monitors
keep accepting for a frame's time: any extra word fails, but the first words of a next
frame that need no input (FMPadding's top rows); a reset follows every checked stream.

A layer whose image size is set at run time (ports ``in_w``, ``in_h``) runs several
sizes in one simulation of one build: each size is a case of its own (``more_sizes``),
its ports set before its first reset, and goes through all three phases.
"""
import os
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, Combine, FallingEdge, RisingEdge, with_timeout

from hw.stream import StreamFormat
from sim.runner import run_cocotb, stimulus_seed
from sim.tb.axis import (CLOCK_PERIOD_NS, AxisDriver, AxisMonitor, load_cases, reset,
                         save_case, start_clock)

_STREAM_NAME = re.compile(r"(in|out)\d+")
# stalls (idle 0.3, backpressure 0.5) at most triple a stream; margin
TIMEOUT_FACTOR = 8
MAX_RESET_CYCLES = 8
# where phase 2 resets, in a random order (between frames follows each recovery)
RESET_POINTS = ("first input word", "last input word", "last output word", "random cycle")
# how long the monitors listen for extra words after a checked stream: one frame's
# time (an extra word would come out with the next frame's), within these bounds
SILENCE_CYCLES = (32, 4096)
# case key prefix of a run-time input port's value (``port_in_w``)
PORT_PREFIX = "port_"


@dataclass(frozen=True)
class Stream:
    """Values of one stream, shape (frames, ...), row-major, packed as ``format`` says."""

    values: np.ndarray
    format: StreamFormat


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
    seed: int | None = None,
    waves: bool = False,
    trace_config: Path | None = None,
    ports: Mapping[str, int] | None = None,
    more_sizes: Sequence[Mapping] = (),
    **extra: int,
) -> None:
    """Pytest side: write the case into ``build_dir`` and run ``test_module`` on the RTL.

    ``seed`` of the random stimulus: None takes ``$SEED`` or draws one (printed, and
    named in any failure). ``ports``: run-time input ports (e.g. ``in_w``, ``in_h``) and
    their values; ``more_sizes``: further runs of the same build at other run-time sizes,
    each a mapping with its own ``inputs``, ``outputs``, ``expected_cycles`` and ``ports``.
    ``extra`` holds layer-specific scalars for the testbench (e.g. a FIFO's depth).
    """
    seed = stimulus_seed() if seed is None else seed
    print(f"{toplevel}: stimulus seed {seed}")
    build_dir.mkdir(parents=True, exist_ok=True)
    sizes = [dict(inputs=inputs, outputs=outputs, expected_cycles=expected_cycles,
                  ports=ports or {}), *more_sizes]
    case_paths = []
    for index, size in enumerate(sizes):
        case_paths.append(build_dir / f"case{index}.npz")
        arrays = dict(expected_cycles=size["expected_cycles"], idle_prob=idle_prob,
                      stall_prob=stall_prob, seed=seed + index, **extra)
        arrays.update({PORT_PREFIX + name: value for name, value in size["ports"].items()})
        for name, stream in {**size["inputs"], **size["outputs"]}.items():
            fmt = stream.format
            arrays.update({name: stream.values, f"{name}_bits": fmt.elem_bits,
                           f"{name}_per_word": fmt.per_word, f"{name}_signed": fmt.signed})
        save_case(case_paths[-1], **arrays)
    try:
        run_cocotb(toplevel, sources, test_module, parameters=parameters,
                   extra_env={"TB_CASE": os.pathsep.join(map(str, case_paths))},
                   simulator=simulator,
                   build_dir=build_dir / simulator, waves=waves, trace_config=trace_config)
    except (AssertionError, RuntimeError) as error:
        raise type(error)(f"{error} [stimulus seed {seed}: replay with SEED={seed}]") from None


class StreamTB:
    """Cocotb side: drives and checks one layer through its AXI-Stream ports."""

    def __init__(self, dut):
        self.dut = dut
        self.cases = load_cases()
        self.log = dut._log
        self.use_case(self.cases[0])

    def use_case(self, case: dict) -> None:
        """Make ``case`` (one run-time size) the one the phases stream."""
        self.case = case
        names = sorted(key for key in self.case if _STREAM_NAME.fullmatch(key))
        self.inputs = [name for name in names if name.startswith("in")]
        self.outputs = [name for name in names if name.startswith("out")]
        self.frames = len(self.case[self.outputs[0]])
        self.formats = {name: StreamFormat(self.case[f"{name}_bits"],
                                           self.case[f"{name}_per_word"],
                                           bool(self.case[f"{name}_signed"])) for name in names}
        # every frame of every stream, packed as on the wire
        self.words = {name: self.formats[name].pack_words(self.case[name]) for name in names}
        self.words_per_frame = {name: len(words) // self.frames
                                for name, words in self.words.items()}

    def set_ports(self) -> None:
        """Drive the case's run-time input ports (stable until the next case)."""
        for key, value in self.case.items():
            if key.startswith(PORT_PREFIX):
                getattr(self.dut, key.removeprefix(PORT_PREFIX)).value = int(value)

    async def run(self) -> None:
        """Every case (run-time size) in turn through the three phases."""
        start_clock(self.dut)
        for index, case in enumerate(self.cases):
            self.use_case(case)
            await self.run_case(start_checkers=index == 0)

    async def run_case(self, start_checkers: bool) -> None:
        self.rng = random.Random(self.case["seed"])
        self.log.info("stimulus seed %d (replay with SEED=%d)", self.case["seed"],
                      self.case["seed"])
        ports = {k.removeprefix(PORT_PREFIX): v for k, v in self.case.items()
                 if k.startswith(PORT_PREFIX)}
        if ports:
            self.log.info("run-time ports %s", ports)
        self.set_ports()
        await self.reset()
        if start_checkers:
            self.start_checkers()
        stalls = (self.case["idle_prob"], self.case["stall_prob"])
        await self.stream_frames(*stalls)
        for point in self.rng.sample(RESET_POINTS, len(RESET_POINTS)):
            await self.reset_at(point)
            await self.stream_frames(*stalls, frames=1)
            await ClockCycles(self.dut.ap_clk, self.rng.randint(0, 8))
            await self.reset()  # between frames
        self.check_cycles(await self.stream_frames(0.0, 0.0))

    def start_checkers(self) -> None:
        """Start coroutines that watch the DUT every cycle from the first reset on; none here."""

    async def reset(self) -> None:
        await reset(self.dut, self.rng.randint(1, MAX_RESET_CYCLES))

    async def stream_frames(self, idle_prob: float, stall_prob: float,
                            frames: int | None = None) -> int:
        """Send the first ``frames`` frames (all by default), check every output and the
        extra words after it; return the first frame's cycles. Fails instead of hanging when
        the DUT stops moving words (deadlock, lost words), after TIMEOUT_FACTOR times the
        expected traffic.

        Cycles run from the first transfer on any stream to the first frame's last
        output word, inclusive.
        """
        frames = self.frames if frames is None else frames
        budget = TIMEOUT_FACTOR * (frames + 1) * self.case["expected_cycles"] + 1000
        traffic = self._start_traffic(idle_prob, stall_prob, frames)
        for name, reception in traffic.receptions.items():
            words = await with_timeout(reception, budget * CLOCK_PERIOD_NS, "ns")
            self.check_output(name, words, frames)
            self.check_sideband(name, traffic.monitors[name].sideband, frames)
        silence = int(np.clip(self.case["expected_cycles"], *SILENCE_CYCLES))
        await Combine(*(
            cocotb.start_soon(monitor.expect_no_extra_words(
                silence, frames * self.words_per_frame[name],
                self.words[name][:self.words_per_frame[name]]))
            for name, monitor in traffic.monitors.items()))
        endpoints = [*traffic.drivers.values(), *traffic.monitors.values()]
        first = min(endpoint.transfer_cycles[0] for endpoint in endpoints)
        self.frame_ends = [max(monitor.transfer_cycles[(f + 1) * self.words_per_frame[name] - 1]
                               for name, monitor in traffic.monitors.items())
                           for f in range(frames)]
        self.log.info("%d frames: %d cycles", frames, self.frame_ends[-1] - first + 1)
        return self.frame_ends[0] - first + 1

    async def reset_at(self, point: str) -> None:
        """Stream with stalls until ``point`` (of RESET_POINTS) of the first frame, then
        reset while the traffic is still on the bus; the reset flushes what was in flight."""
        traffic = self._start_traffic(self.case["idle_prob"], self.case["stall_prob"],
                                      self.frames)
        budget = TIMEOUT_FACTOR * 2 * self.case["expected_cycles"] + 1000
        await with_timeout(self._reach(point, traffic), budget * CLOCK_PERIOD_NS, "ns")
        self.log.info("reset at the %s", point)
        self.dut.ap_rst_n.value = 0
        await RisingEdge(self.dut.ap_clk)  # the word on the bus meets the reset
        traffic.stop()
        await reset(self.dut, self.rng.randint(0, MAX_RESET_CYCLES - 1))

    async def _reach(self, point: str, traffic: "_Traffic") -> None:
        """Return when the first frame's traffic reaches ``point``, in a writable phase."""
        driver, (out_name, monitor) = traffic.drivers[self.inputs[0]], \
            next(iter(traffic.monitors.items()))
        if point == "first input word":
            await driver.offered.event(0).wait()
        elif point == "last input word":
            await driver.offered.event(self.words_per_frame[self.inputs[0]] - 1).wait()
        elif point == "last output word":
            await monitor.offered.event(self.words_per_frame[out_name] - 1).wait()
            await FallingEdge(self.dut.ap_clk)  # the monitor saw it in the read-only phase
        else:
            await ClockCycles(self.dut.ap_clk, self.rng.randint(1, self.case["expected_cycles"]))

    def check_cycles(self, measured: int) -> None:
        expected = self.case["expected_cycles"]
        self.log.info("frame cycles: measured %d, expected %d", measured, expected)
        assert measured == expected, f"frame took {measured} cycles, the model says {expected}"

    def input_sideband(self, name: str, frames: int) -> dict:
        """Per-word TUSER / TLAST values of input ``name`` for ``frames`` frames (keywords
        of ``AxisDriver.send``); none here."""
        return {}

    def output_sideband(self) -> tuple[str, ...]:
        """Signals recorded with every output word (``AxisMonitor`` sideband); none here."""
        return ()

    def check_sideband(self, name: str, sideband: dict, frames: int) -> None:
        """Check the recorded sideband of output ``name``; nothing here."""

    def check_output(self, name: str, words: list[int], frames: int) -> None:
        case = self.case
        golden = np.asarray(case[name][:frames]).reshape(-1)
        got = self.formats[name].unpack_words(words)
        differing = np.flatnonzero(got != golden)
        assert differing.size == 0, (
            f"{name}: {differing.size} of {golden.size} elements differ, first at flat index "
            f"{differing[0]}: got {got[differing[0]]}, golden {golden[differing[0]]}")

    def _start_traffic(self, idle_prob: float, stall_prob: float, frames: int) -> "_Traffic":
        """Start sending the first ``frames`` frames of every input and receiving those of
        every output, each endpoint with its own stall pattern drawn from the seed."""
        traffic = _Traffic(
            drivers={name: AxisDriver(self.dut, f"{name}_V", self.dut.ap_clk, idle_prob,
                                      self.rng.randrange(2**32))
                     for name in self.inputs},
            monitors={name: AxisMonitor(self.dut, f"{name}_V", self.dut.ap_clk, stall_prob,
                                        self.rng.randrange(2**32), self.output_sideband())
                      for name in self.outputs})
        traffic.sends = [
            cocotb.start_soon(driver.send(self.words[name][:frames * self.words_per_frame[name]],
                                          **self.input_sideband(name, frames)))
            for name, driver in traffic.drivers.items()]
        traffic.receptions = {
            name: cocotb.start_soon(monitor.recv(frames * self.words_per_frame[name]))
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
