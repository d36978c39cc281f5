"""LUTs per XNOR lane of the binary MVAU: compressor-tree popcount vs the adder chain vs FINN.

    python -m benchmarks.popcount [--points 32x1,32x4,...]   (about 10 min of yosys)
    python -m benchmarks.popcount --render   (table from the committed JSON)

One binary MVAU (MW 288, MH 32, one threshold per channel, as in issue 14) is
synthesized with yosys ``synth_xilinx`` (LUTRAM counted in the LUTs) at several
foldings SIMD x PE, twice: with today's ``hw/rtl/mvau.sv`` (dot product in
``hw/rtl/xnor_popcount.sv``) and with the adder-chain ``mvau.sv`` of commit
``ADDER_CHAIN_COMMIT`` read from git, the same weights and generated wrapper. The
tree alone is synthesized too. FINN's LUT model is ``MVAU_hls.lut_estimation``
(FINN-R's formula; it has no XNOR special case), at FINN's default ``mem_mode``.
LUT levels: longest combinational path after mapping (``hw.area.lut_levels``).
Writes ``results/popcount.md/.json``.
"""
import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from benchmarks.common import (add_render_flag, committed, files_at_commit, machine_info,
                               machine_line, publish)
from hw import xnor_popcount
from hw.area import synth_area_and_levels
from hw.codegen import header, write_wrapper
from hw.mvau import CORE, generate_xnor_mvau

MW, MH = 288, 32
POINTS = ((32, 1), (32, 4), (32, 16), (144, 8), (288, 8))
ADDER_CHAIN_COMMIT = "b875be8"  # main before the tree: dot_product as a chain of additions
FINN_PART = "xc7z020clg400-1"


def lut_total(area: dict) -> int:
    """Logic LUTs plus LUTRAM: both occupy the xc7z020's LUTs."""
    return area["LUT"] + area["LUTRAM"]


def timed_synth(sources, top, parameters=None) -> dict:
    """Area, LUT levels, and yosys' CPU and wall seconds."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    start = time.monotonic()
    area, levels = synth_area_and_levels(sources, top, parameters)
    return {**area, "LUT_total": lut_total(area), "lut_levels": levels,
            "yosys_cpu_s": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
                                 - cpu_before, 1),
            "yosys_wall_s": round(time.monotonic() - start, 1)}


def finn_lut_estimate(simd: int, pe: int) -> int:
    node = helper.make_node(
        "MVAU_hls", ["x", "weights", "thresholds"], ["y"],
        domain="finn.custom_op.fpgadataflow.hls", MW=MW, MH=MH, SIMD=simd, PE=pe,
        inputDataType="BINARY", weightDataType="BINARY", outputDataType="BINARY",
        binaryXnorMode=1, noActivation=0, numInputVectors=[1])
    return getCustomOp(node).lut_estimation(FINN_PART)


def measure(simd: int, pe: int, work: Path, old_sources: list[Path]) -> dict:
    rng = np.random.default_rng(simd * 1000 + pe)
    weights = rng.integers(0, 2, size=(MW, MH))
    thresholds = rng.integers(0, MW + 1, size=(MH, 1)) + 0.5
    name = f"xnor_mvau_s{simd}_p{pe}"
    layer = generate_xnor_mvau(name, weights, thresholds, simd=simd, pe=pe, out_dir=work / name)
    # the adder-chain core predates DOT_LEVELS_PER_REG and OUT_QUEUE_DEPTH; same weights,
    # thresholds, ports
    old_parameters = {k: v for k, v in layer.parameters.items()
                      if k not in ("DOT_LEVELS_PER_REG", "OUT_QUEUE_DEPTH")}
    old_wrapper = write_wrapper(work / name / f"{name}_adder_chain.sv", name, CORE,
                                old_parameters, layer.in_stream, layer.out_stream,
                                header("benchmarks/popcount.py", name, old_parameters))
    lanes = simd * pe
    rom_bits = xnor_popcount.rom_in_tree_bits((MW // simd) * (MH // pe))
    group0 = xnor_popcount.first_group(rom_bits)
    row = {"simd": simd, "pe": pe, "lanes": lanes, "weights_in_tree": rom_bits is not None,
           "first_group": group0,
           "tree": timed_synth(layer.sources, name),
           "adder_chain": timed_synth([*old_sources, old_wrapper], name),
           "tree_alone": timed_synth(xnor_popcount.SOURCES, xnor_popcount.MODULE,
                                     {"N": simd, "LEVELS_PER_REG": xnor_popcount.LEVELS_PER_REG}),
           "finn_estimate_LUT": finn_lut_estimate(simd, pe),
           "tree_latency_cycles": xnor_popcount.latency(simd, group0=group0)}
    print(f"SIMD {simd} x PE {pe}: tree {row['tree']['LUT_total'] / lanes:.2f}, adder chain "
          f"{row['adder_chain']['LUT_total'] / lanes:.2f} LUT/lane", flush=True)
    return row


def weights_mode(row) -> str:
    if row["weights_in_tree"]:
        return f"in tree, {row['first_group']} lanes/LUT6"
    return "registered"


def markdown(rows, info) -> str:
    lines = [
        "# XNOR-popcount: LUTs per XNOR lane of a binary MVAU", "",
        f"Measured {machine_line(info)}; yosys 0.23 `synth_xilinx` (xc7), LUT = logic LUTs + "
        "LUTRAM.", "",
        f"One binary MVAU, MW {MW}, MH {MH}, one threshold per channel, at SIMD x PE folds "
        "(lanes = SIMD x PE XNORs per cycle). **tree**: `hw/rtl/mvau.sv` with "
        "`hw/rtl/xnor_popcount.sv` (6:3/3:2 LUT6 counters per column, a register every "
        f"{xnor_popcount.LEVELS_PER_REG} counter levels); **adder chain**: `mvau.sv` of commit "
        f"{ADDER_CHAIN_COMMIT}, synthesized in the same run; weights: a weight ROM of at most "
        "32 words is read inside the tree's first-level LUTs (lanes per level-0 LUT6 counter), "
        "larger ones are registered (3 lanes per counter); **tree alone**: `xnor_popcount.sv` "
        "on registered inputs (3 lanes per counter), its LUTs per lane; **FINN**: "
        "`MVAU_hls.lut_estimation` "
        "(FINN-R's model, default mem_mode). Levels: LUTs on the longest register-to-register "
        "path after mapping (carry chains count 0).", "",
        "| SIMD x PE | lanes | weights | tree LUT | tree LUT/lane | adder chain LUT | adder chain "
        "LUT/lane | FINN model LUT/lane | tree alone LUT/lane | levels tree / chain / "
        "tree alone | tree latency (cycles) | FF tree / chain |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        tree, chain, alone, lanes = r["tree"], r["adder_chain"], r["tree_alone"], r["lanes"]
        lines.append(
            f"| {r['simd']} x {r['pe']} | {lanes} | "
            f"{weights_mode(r)} | {tree['LUT_total']} | "
            f"{tree['LUT_total'] / lanes:.2f} | {chain['LUT_total']} | "
            f"{chain['LUT_total'] / lanes:.2f} | {r['finn_estimate_LUT'] / lanes:.2f} | "
            f"{alone['LUT_total'] / r['simd']:.2f} | {tree['lut_levels']} / "
            f"{chain['lut_levels']} / {alone['lut_levels']} | {r['tree_latency_cycles']} | "
            f"{tree['FF']} / {chain['FF']} |")
    lines += ["", "Added LUTs per added lane between consecutive points, as issue 14 counts "
              "them (the fixed control cancels; weight storage and per-PE logic change with "
              "the fold):", "",
              "| from -> to | tree | adder chain |", "|---|---|---|"]
    for a, b in zip(rows, rows[1:]):
        added = b["lanes"] - a["lanes"]
        lines.append(
            f"| {a['lanes']} -> {b['lanes']} | "
            f"{(b['tree']['LUT_total'] - a['tree']['LUT_total']) / added:.2f} | "
            f"{(b['adder_chain']['LUT_total'] - a['adder_chain']['LUT_total']) / added:.2f} |")
    lines += ["", "Points run (yosys CPU seconds, tree / adder chain / tree alone): " + ", ".join(
        f"{r['simd']}x{r['pe']} ({r['tree']['yosys_cpu_s']:.0f} / "
        f"{r['adder_chain']['yosys_cpu_s']:.0f} / {r['tree_alone']['yosys_cpu_s']:.0f})"
        for r in rows) + ".", ""]
    return "\n".join(lines)


def parse_points(text: str) -> list[tuple[int, int]]:
    return [tuple(int(v) for v in point.split("x")) for point in text.split(",")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--points", type=parse_points, default=POINTS,
                        help="SIMDxPE foldings, comma-separated (SIMD | 288, PE | 32)")
    add_render_flag(source)
    args = parser.parse_args(argv)
    if args.render:
        data = committed("popcount")
    else:
        with tempfile.TemporaryDirectory(prefix="popcount_") as tmp:
            work = Path(tmp)
            # multithreshold.sv and mvau.sv of the adder-chain commit
            old_sources = files_at_commit(ADDER_CHAIN_COMMIT, [
                f"hw/rtl/{name}" for name in ("multithreshold.sv", "mvau.sv")], work)
            rows = [measure(simd, pe, work, old_sources) for simd, pe in args.points]
        data = {"machine": machine_info(), "mw": MW, "mh": MH,
                "adder_chain_commit": ADDER_CHAIN_COMMIT,
                "levels_per_reg": xnor_popcount.LEVELS_PER_REG, "rows": rows}
    publish("popcount", data, lambda d: markdown(d["rows"], d["machine"]))


if __name__ == "__main__":
    main()
