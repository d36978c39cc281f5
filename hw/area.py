"""Resource estimate of an RTL layer: yosys ``synth_xilinx`` for 7-series, cell counts.

Out-of-context numbers (no I/O buffers), close to but not the same as Vivado's.
"""
import json
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

# LUTs taken by each distributed-RAM / shift-register primitive
_LUTRAM_LUTS = {
    "RAM32X1S": 1, "RAM32X1D": 2, "RAM32M": 4, "RAM64X1S": 1, "RAM64X1D": 2, "RAM64M": 4,
    "RAM128X1S": 2, "RAM128X1D": 4, "RAM256X1S": 4, "SRL16E": 1, "SRLC32E": 1,
}
_LUTS = {f"LUT{k}" for k in range(1, 7)}
_FLIP_FLOPS = {"FDRE", "FDSE", "FDCE", "FDPE"}
_CARRY_AND_MUX = {"CARRY4", "MUXF7", "MUXF8"}
_CLOCK_PORTS = {"C", "CLK", "WCLK"}  # clock trees, not routed nets
_SOURCE_PATH = re.compile(r"/[^\s:$]*/([^/\s:$]+\.s?v)")  # yosys names cells after their source


def yosys_available() -> bool:
    return shutil.which("yosys") is not None


def _synth_script(sources: Sequence[Path], top: str, stat_json: str, parameters: dict,
                  netlist_json: str | None = None, use_dsp: bool = True) -> str:
    files = " ".join(f'"{Path(s).resolve()}"' for s in sources)
    chparams = "".join(f" -chparam {key} {int(value)}" for key, value in parameters.items())
    # -defer: elaborate only the instances the top uses, with their real parameters
    return (f"read_verilog -defer -sv {files}; hierarchy -top {top}{chparams}; "
            f"synth_xilinx -family xc7 -flatten -noiopad{'' if use_dsp else ' -nodsp'} -top {top}; "
            f"tee -q -o {stat_json} stat -json"
            + (f"; write_json {netlist_json}" if netlist_json else ""))


def cell_counts(stat: dict, top: str) -> dict[str, int]:
    """Cell type -> count of the flattened ``top`` in a yosys ``stat -json`` report."""
    return dict(stat["modules"][f"\\{top}"]["num_cells_by_type"])


def resource_summary(cells: dict[str, int]) -> dict[str, int]:
    """LUT, LUTRAM (in LUTs), FF, CARRY4, RAMB18, RAMB36, BRAM18 (18 Kb blocks), DSP48E1."""
    ramb18, ramb36 = cells.get("RAMB18E1", 0), cells.get("RAMB36E1", 0)
    return {
        "LUT": sum(n for cell, n in cells.items() if cell in _LUTS),
        "LUTRAM": sum(n * _LUTRAM_LUTS[cell] for cell, n in cells.items() if cell in _LUTRAM_LUTS),
        "FF": sum(n for cell, n in cells.items() if cell in _FLIP_FLOPS),
        "CARRY4": cells.get("CARRY4", 0),
        "RAMB18": ramb18,
        "RAMB36": ramb36,
        "BRAM18": ramb18 + 2 * ramb36,
        "DSP48E1": cells.get("DSP48E1", 0),
    }


def lut_levels(netlist: dict, top: str) -> int:
    """LUT levels of the longest combinational path of the flattened ``top`` in a yosys
    ``write_json`` netlist; see ``timing_proxy``."""
    return timing_proxy(netlist, top)["lut_levels"]


def timing_proxy(netlist: dict, top: str) -> dict:
    """Timing proxy of the flattened ``top`` in a yosys ``write_json`` netlist.

    ``lut_levels``: LUT levels of the longest combinational path: LUTs and LUTRAM reads
    count 1, carry chains and wide muxes (CARRY4, MUXF7/8) 0, a DSP48E1 without its
    output register as many levels as its combinational part takes (``_dsp_levels``);
    flip-flops, block RAMs, registered DSP inputs and outputs, LUTRAM writes and ports
    start and end paths. ``worst_from``: the net where that path starts (a register
    output, an input port, or a DSP's internal register), ``worst_to``: where it ends
    (the register, named by its output, or the output port). ``max_fanout``: the most
    cell inputs one net drives (``max_fanout_net``), ``max_enable_fanout``: the most
    flip-flop clock enables one net drives (a stall signal reaching every register of a
    pipeline), and ``max_enable_fanout_net`` its name.

    A timing proxy without Vivado: each LUT level costs a LUT and a route, the fast
    carry chain little; a high fan-out net costs a slow route unless it is replicated.
    """
    module = netlist["modules"][top]
    cells = list(module["cells"].values())
    names = _bit_names(module)
    driver = {}  # net bit -> combinational cell driving it
    for cell in cells:
        if _is_combinational(cell):
            for port, bits in _ports(cell, "output"):
                driver.update((bit, cell) for bit in bits)
    depth: dict[int, tuple] = {}  # cell -> (LUT levels, the net where its deepest path starts)

    def cell_depth(cell) -> tuple:
        """(LUT levels up to and including ``cell``, the net where that path starts)."""
        key = id(cell)
        if key not in depth:
            depth[key] = (0, None)  # guards combinational loops
            best = _internal_start_levels(cell)
            start = names.get(next(iter(_output_bits(cell)), None)) if best else None
            for port, bits in _ports(cell, "input"):
                cost = _through_levels(cell, port)
                if cost is None:
                    continue
                for bit in bits:
                    levels, origin = (cell_depth(driver[bit]) if bit in driver
                                      else (0, names.get(bit, str(bit))))
                    if start is None or levels + cost > best:
                        best, start = levels + cost, origin
            depth[key] = (best, start)
        return depth[key]

    worst, worst_from, worst_to = 0, None, None
    for sink, bits in _path_ends(module, cells, names):
        for bit in bits:
            if bit in driver:
                levels, start = cell_depth(driver[bit])
                if levels > worst:
                    worst, worst_from, worst_to = levels, start, sink
    fanout, enable_fanout = Counter(), Counter()
    for cell in cells:
        for port, bits in _ports(cell, "input"):
            if port in _CLOCK_PORTS:
                continue
            for bit in bits:
                if isinstance(bit, int):  # not a constant
                    fanout[bit] += 1
                    if cell["type"] in _FLIP_FLOPS and port == "CE":
                        enable_fanout[bit] += 1
    widest_bit, widest_loads = _largest(fanout)
    enable_bit, enable_loads = _largest(enable_fanout)
    return {"lut_levels": worst, "worst_from": worst_from, "worst_to": worst_to,
            "max_fanout": widest_loads, "max_fanout_net": names.get(widest_bit, str(widest_bit)),
            "max_enable_fanout": enable_loads,
            "max_enable_fanout_net": names.get(enable_bit, str(enable_bit))}


# LUT-level equivalents of a DSP48E1's combinational paths at a -1 speed grade (DS187:
# about 4 ns from the multiplier inputs to P, about 2 ns through the post-adder from C,
# PCIN or the M register; a LUT level, LUT and route, about 1 ns)
_DSP_MULTIPLY_LEVELS = 4
_DSP_ADD_LEVELS = 2
_DSP_MULTIPLIER_INPUTS = {"A": "AREG", "ACIN": "AREG", "B": "BREG", "BCIN": "BREG", "D": "DREG"}


def _dsp_register(cell, name: str) -> int:
    value = cell["parameters"].get(name, "0")
    return int(value, 2) if set(value) <= {"0", "1"} else int(value)


def _through_levels(cell, port: str) -> int | None:
    """LUT levels a path gains entering ``cell`` at input ``port`` and leaving at its
    output; None where the input is registered (a path ends there)."""
    kind = cell["type"]
    if kind in _LUTS:
        return 1
    if kind in _CARRY_AND_MUX:
        return 0
    if kind in _LUTRAM_LUTS:
        return 1 if port.startswith(("A", "DPRA")) else None  # the write side is a register
    if kind == "DSP48E1" and not _dsp_register(cell, "PREG"):
        if port in _DSP_MULTIPLIER_INPUTS:
            registered = _dsp_register(cell, "MREG") or _dsp_register(
                cell, _DSP_MULTIPLIER_INPUTS[port])
            return None if registered else _DSP_MULTIPLY_LEVELS
        if port == "PCIN" or (port == "C" and not _dsp_register(cell, "CREG")):
            return _DSP_ADD_LEVELS
    return None


def _internal_start_levels(cell) -> int:
    """Levels of a path starting at a register inside an unregistered-output DSP48E1."""
    if cell["type"] != "DSP48E1" or _dsp_register(cell, "PREG"):
        return 0
    if _dsp_register(cell, "MREG"):
        return _DSP_ADD_LEVELS
    inputs_registered = any(_dsp_register(cell, reg) for reg in ("AREG", "BREG", "DREG"))
    return _DSP_MULTIPLY_LEVELS if inputs_registered else 0


def _is_combinational(cell) -> bool:
    """Whether some input of ``cell`` reaches its outputs without a register."""
    return any(_through_levels(cell, port) is not None for port, _ in _ports(cell, "input")) \
        or _internal_start_levels(cell) > 0


def _output_bits(cell):
    return [bit for _, bits in _ports(cell, "output") for bit in bits]


def _largest(counts: Counter) -> tuple:
    return max(counts.items(), key=lambda item: item[1], default=(None, 0))


def _ports(cell, direction: str):
    return ((port, bits) for port, bits in cell["connections"].items()
            if cell["port_directions"][port] == direction)


def _path_ends(module, cells, names: dict):
    """(name, input bits) of every place a combinational path ends: a registered input
    of a cell (a flip-flop, a LUTRAM's write side, a DSP's input register), named by the
    cell's first output net, and each output port."""
    for cell in cells:
        ends = [bits for port, bits in _ports(cell, "input") if _through_levels(cell, port) is None]
        if ends:
            outputs = _output_bits(cell)
            name = names.get(outputs[0], cell["type"]) if outputs else cell["type"]
            yield name, [bit for bits in ends for bit in bits]
    for name, port in module["ports"].items():
        if port["direction"] == "output":
            yield name, port["bits"]


def _bit_names(module) -> dict:
    """Net bit -> a readable name: a user-named net's (``name[i]``) before a generated one's,
    source paths in generated names cut to the file name (no folders of this machine)."""
    names = {}
    for name, net in sorted(module["netnames"].items(), key=lambda item: -item[1]["hide_name"]):
        name = _SOURCE_PATH.sub(r"\1", name)
        for i, bit in enumerate(net["bits"]):
            names[bit] = name if len(net["bits"]) == 1 else f"{name}[{i}]"
    return names


def synth_area(sources: Sequence[str | PathLike], top: str,
               parameters: dict | None = None) -> dict[str, int]:
    """Synthesize ``sources`` with ``top`` (its integer ``parameters`` set) for xc7; see
    ``resource_summary`` for keys.

    RuntimeError with yosys' last messages when synthesis fails.
    """
    return _synth(sources, top, parameters)[0]


def synth_area_and_levels(sources: Sequence[str | PathLike], top: str,
                          parameters: dict | None = None) -> tuple[dict[str, int], int]:
    """``synth_area`` and the ``lut_levels`` of the same netlist."""
    area, timing = synth_area_and_timing(sources, top, parameters)
    return area, timing["lut_levels"]


def synth_area_and_timing(sources: Sequence[str | PathLike], top: str,
                          parameters: dict | None = None,
                          use_dsp: bool = True) -> tuple[dict[str, int], dict]:
    """``synth_area`` and the ``timing_proxy`` of the same netlist; ``use_dsp`` False
    keeps multipliers out of DSP48E1s (LUT logic)."""
    area, netlist = _synth(sources, top, parameters, keep_netlist=True, use_dsp=use_dsp)
    return area, timing_proxy(netlist, top)


def _synth(sources, top, parameters, keep_netlist=False,
           use_dsp=True) -> tuple[dict[str, int], dict | None]:
    with tempfile.TemporaryDirectory(prefix="area_") as work:
        stat_json, netlist_json = Path(work) / "stat.json", Path(work) / "netlist.json"
        # tee takes the path unquoted: a name relative to the space-free work dir
        result = subprocess.run(
            ["yosys", "-q", "-p", _synth_script([Path(s) for s in sources], top, stat_json.name,
                                                parameters or {},
                                                netlist_json.name if keep_netlist else None,
                                                use_dsp)],
            cwd=work, capture_output=True, text=True,
        )
        if result.returncode:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
            raise RuntimeError(f"yosys synthesis of {top} failed:\n{tail}")
        area = resource_summary(cell_counts(json.loads(stat_json.read_text()), top))
        return area, json.loads(netlist_json.read_text()) if keep_netlist else None
