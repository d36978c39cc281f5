"""The streams between the layers of a co-simulated accelerator, read from its VCD.

``cosimulate(..., waves=True, top_waves_only=True)`` dumps only the top module's wires
(every AXI stream between two layers); here they are sampled at each rising clock edge,
so a word moves in cycle k when TVALID and TREADY are both 1 at edge k. The testbench
(``sim.tb.stream_tb``) streams frames with random idles and backpressure, resets at
several points, and last streams the frames again without stalls, then resets.
"""
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from hw.stitch import Design
from sim.runner import waves_file
from train.quick_run import save_figure

CLOCK, RESET = "ap_clk", "ap_rst_n"
SIGNALS = ("TVALID", "TREADY", "TDATA")


def accelerator_vcd(design: Design, build_dir) -> Path:
    """Where ``cosimulate`` on Verilator leaves the dump of ``design``."""
    return waves_file("verilator", design.name, Path(build_dir).resolve() / "verilator")


def read_vcd(path, scope: str, names) -> dict:
    """``{name: (change times, integer values)}`` of the signals ``names`` declared
    directly in module ``scope`` (x and z read as 0)."""
    wanted, ids, stack = set(names), {}, []
    changes, time = {}, 0
    with open(path) as vcd:
        for line in vcd:
            words = line.split()
            if not words:
                continue
            if words[0] == "$scope":
                stack.append(words[2])
            elif words[0] == "$upscope":
                stack.pop()
            elif words[0] == "$var" and stack == [scope] and words[4] in wanted:
                ids[words[3]] = words[4]
                changes[words[4]] = ([], [])
            elif words[0] == "$enddefinitions":
                break
        for line in vcd:
            if line[0] == "#":
                time = int(line[1:])
                continue
            if line[0] == "b":
                value, code = line[1:].split()
            elif line[0] in "01xz":
                value, code = line[0], line[1:].strip()
            else:
                continue
            if code in ids:
                times, values = changes[ids[code]]
                times.append(time)
                values.append(int(value.replace("x", "0").replace("z", "0"), 2))
    missing = wanted - set(changes)
    if missing:
        raise ValueError(f"{path}: no signals {', '.join(sorted(missing))} in module {scope}")
    # object arrays: TDATA can be wider than 64 bits
    return {name: (np.array(t, dtype=np.int64), np.array(v, dtype=object))
            for name, (t, v) in changes.items()}


@dataclass
class StreamTrace:
    """Every named signal sampled once per clock cycle (just before each rising edge)."""

    cycles: dict  # signal name -> values, one per cycle

    @classmethod
    def from_vcd(cls, path, scope: str, names) -> "StreamTrace":
        changes = read_vcd(path, scope, {CLOCK, *names})
        clock_times, clock_values = changes.pop(CLOCK)
        edges = clock_times[clock_values == 1]
        return cls({name: values[np.maximum(np.searchsorted(times, edges, "left") - 1, 0)]
                    for name, (times, values) in changes.items()})

    def stream(self, wire: str, signal: str) -> np.ndarray:
        return self.cycles[f"{wire}_{signal}"]

    def transfers(self, wire: str) -> np.ndarray:
        """Cycles in which a word moves on ``wire``."""
        moved = (self.stream(wire, "TVALID") == 1) & (self.stream(wire, "TREADY") == 1)
        return np.flatnonzero(moved)

    def stall_free_window(self, wire: str) -> tuple:
        """``(first, end)`` cycles of the last stretch between a reset release and the
        next reset (or the end) in which words move on ``wire``: the testbench's final,
        stall-free phase."""
        edges = np.diff(self.cycles[RESET].astype(np.int64))
        releases, resets = np.flatnonzero(edges == 1) + 1, np.flatnonzero(edges == -1) + 1
        moved = self.transfers(wire)
        for first in releases[::-1]:
            later = resets[resets > first]
            end = int(later[0]) if len(later) else len(edges) + 1
            if np.any((moved >= first) & (moved < end)):
                return int(first), end
        raise ValueError(f"no word moved on {wire} after a reset")


def layer_stream_wires(design: Design, name: str) -> dict:
    """``{"in": wire, "out": wire}`` of layer ``name``'s first input and output streams."""
    layer = next(inst for inst in design.layers if inst.name == name)
    return {"in": design.wires[(name, layer.inputs[0].name)],
            "out": design.wires[(name, layer.outputs[0].name)]}


def first_layer(design: Design, prefix: str) -> str:
    """The first layer (graph order) whose name starts with ``prefix``, e.g. MVAU."""
    return next(inst.name for inst in design.layers if inst.name.startswith(prefix))


def read_design_streams(design: Design, vcd) -> StreamTrace:
    """Every stream of ``design`` (its wires and top ports) from the dump ``vcd``."""
    wires = sorted(set(design.wires.values()))
    return StreamTrace.from_vcd(vcd, design.name, [RESET] + [f"{w}_{s}" for w in wires
                                                             for s in SIGNALS])


def layer_cycles(design: Design, trace: StreamTrace, frames: int) -> list:
    """Per layer, in the stall-free phase: the cycles from its first to its last output
    word of the first frame, against the layer's cycle model (cycles per frame when it
    is fed at full rate; downstream of a slower layer the span is the slower one's)."""
    start, end = trace.stall_free_window(design.wires[(None, design.out_port.name)])
    rows = []
    for layer in design.layers:
        moved = trace.transfers(design.wires[(layer.name, layer.outputs[0].name)])
        moved = moved[(moved >= start) & (moved < end)]
        per_frame = len(moved) // frames
        rows.append({"layer": layer.name, "cycle_model": layer.exp_cycles,
                     "first_word": int(moved[0] - start),
                     "output_span": int(moved[per_frame - 1] - moved[0] + 1)})
    return rows


def handshake_window(trace: StreamTrace, wire: str, before: int = 8, cycles: int = 100):
    """``(first, last)`` cycles around the first words moving on ``wire``."""
    first = max(int(trace.transfers(wire)[0]) - before, 0)
    return first, first + cycles


def plot_handshake(trace: StreamTrace, wires: dict, window, path, title="") -> Path:
    """TVALID, TREADY and TDATA of each ``{label: wire}`` over ``window`` cycles, a word
    moving where both are high (shaded)."""
    first, last = window
    cycles = np.arange(first, last)
    fig, ax = plt.subplots(figsize=(12, 1.4 * len(wires) + 0.8), dpi=110)
    row = 0
    for label, wire in wires.items():
        valid, ready, data = (trace.stream(wire, s)[first:last] for s in SIGNALS)
        for offset, bits, name in ((1.4, ready, "TREADY"), (2.8, valid, "TVALID")):
            y = row + offset
            ax.step(cycles, y + 0.8 * bits.astype(float), where="post", color="tab:blue", lw=1)
            ax.text(first - 1, y + 0.3, f"{label} {name}", ha="right", va="center", fontsize=7)
        for cycle in cycles[(valid == 1) & (ready == 1)]:
            ax.add_patch(plt.Rectangle((cycle, row), 1, 3.8, color="tab:green", alpha=0.15, lw=0))
            ax.text(cycle + 0.5, row + 0.5, f"{int(data[cycle - first]):x}", ha="center",
                    va="center", fontsize=5, rotation=90)
        ax.text(first - 1, row + 0.5, f"{label} TDATA (hex)", ha="right", va="center",
                fontsize=7)
        row += 4.2
    ax.set_xlim(first, last)
    ax.set_ylim(-0.2, row)
    ax.set_yticks([])
    ax.set_xlabel("clock cycle (words moving shaded, their TDATA written)")
    ax.set_title(title, fontsize=9)
    return save_figure(fig, path)


def plot_layer_cycles(rows, path) -> Path:
    """Cycle model against the measured output span, one bar pair per layer (graph order,
    top to bottom)."""
    fig, ax = plt.subplots(figsize=(7, 0.24 * len(rows) + 1.2), dpi=110)
    y = np.arange(len(rows))[::-1]
    ax.barh(y + 0.2, [r["cycle_model"] for r in rows], 0.4, label="cycle model (layer alone)")
    ax.barh(y - 0.2, [r["output_span"] for r in rows], 0.4,
            label="measured: first to last output word of a frame")
    ax.set_yticks(y, [r["layer"] for r in rows], fontsize=7)
    ax.set_xlabel("cycles")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return save_figure(fig, path)
