"""Timing proxy per layer kind: LUT levels, fan-out and DSP use after yosys mapping.

    python -m benchmarks.timing            (about 40 min of yosys on 2 busy cores)
    python -m benchmarks.timing --render   (table from the committed JSON)

There is no Vivado here, so no timing report: each layer is synthesized out of context
with yosys ``synth_xilinx`` (xc7) and ``hw.area.timing_proxy`` reads the netlist: the
LUT levels of the longest register-to-register path (a DSP48E1 without its output
register counts as the LUT levels of its combinational part), where it starts and
ends, and the largest fan-out of a net and of a flip-flop clock enable. Target: at most
``TARGET_LUT_LEVELS`` levels for 150-200 MHz on a -1 Zynq-7000.

Layers at three folds or more each: the binary MVAU of issue 14 (MW 288, MH 32, one
threshold per channel), the integer tail MVAU (MW 72, MH 4, int8 x int8), the fixed
bicubic skip (MW 25, MH 4, the x2 phase weights, unsigned pixels), Thresholding and
ElementwiseAdd. The MVAUs and the Thresholding are also synthesized with the RTL of
``BEFORE_COMMIT`` (one output-handshake enable on every pipeline register, integer
products added in one combinational cycle), same weights and generated wrapper. Writes
``results/timing.md/.json``.
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import (add_render_flag, committed, files_at_commit, machine_info,
                               machine_line, publish, write_result)
from hw import elementwise_add
from hw.area import synth_area_and_timing
from hw.area_report import TARGET_LUT_LEVELS
from hw.codegen import header, write_wrapper
from hw import mvau, thresholding
from hw.mvau import generate_int_mvau, generate_xnor_mvau
from hw.thresholding import generate_thresholding
from train.archs.binary_sr import bicubic_phase_weights

BEFORE_COMMIT = "f317eac"  # main before the credit-based layers and the integer adder tree
BEFORE_FILES = ("multithreshold.sv", "xnor_popcount.sv", "mvau.sv", "thresholding.sv")
BINARY_MVAU = (288, 32)
BINARY_FOLDS = ((32, 4), (72, 8), (288, 8))
BINARY_BEFORE = ((32, 4), (288, 8))
INT_MVAU = (72, 4)
INT_FOLDS = ((8, 1), (24, 2), (72, 4))
BICUBIC_FOLDS = ((5, 1), (25, 2), (25, 4))
THRESHOLD_FOLDS = (1, 2, 8)  # PE of 32 channels, INT9 -> INT8 (255 thresholds; PE 32 > 10 min)
ADD_FOLDS = (1, 8, 32)        # PE of int8 + int8
# yosys 0.23 does not see weights read from the ROM as constants, even from a one-word ROM:
# without DSPs, the products become LUT multipliers, not constant adders
BICUBIC_NODSP = "bicubic skip MVAU 25x4, yosys -nodsp (LUT multipliers)"


def timed(sources, top, parameters=None, use_dsp=True) -> dict:
    start = time.monotonic()
    area, timing = synth_area_and_timing(sources, top, parameters, use_dsp)
    return {**area, **timing, "yosys_wall_s": round(time.monotonic() - start, 1)}


def measure_layer(kind: str, fold: str, layer, old_sources: list[Path] | None,
                  core: str = mvau.CORE) -> list[dict]:
    """Rows of ``layer`` (on RTL module ``core``) with today's RTL and, given
    ``old_sources``, BEFORE_COMMIT's."""
    rows = [{"kind": kind, "fold": fold, "rtl": "now", **timed(layer.sources, layer.name)}]
    if old_sources is not None:
        # the old core has no output queue nor paired products; same weights, thresholds
        # and ports
        parameters = {k: v for k, v in layer.parameters.items()
                      if k not in ("OUT_QUEUE_DEPTH", "PACK_PAIRS")}
        wrapper = write_wrapper(layer.sources[-1].with_name(f"{layer.name}_before.sv"),
                                layer.name, core, parameters, layer.in_stream,
                                layer.out_stream, header("benchmarks/timing.py", layer.name,
                                                         parameters))
        rows.append({"kind": kind, "fold": fold, "rtl": BEFORE_COMMIT,
                     **timed([*old_sources, wrapper], layer.name)})
    for row in rows:
        print(f"{kind} {fold} ({row['rtl']}): {row['lut_levels']} LUT levels, "
              f"CE fan-out {row['max_enable_fanout']}, LUT {row['LUT']}, DSP {row['DSP48E1']} "
              f"({row['yosys_wall_s']} s)", flush=True)
    return rows


def folded_mvaus(work: Path, prefix: str, folds, generate) -> list[tuple]:
    """((SIMD, PE), layer) per fold; ``generate(name, rng, simd, pe, out_dir)`` makes one
    with weights drawn from a generator seeded by the fold."""
    layers = []
    for simd, pe in folds:
        name = f"{prefix}_s{simd}_p{pe}"
        layers.append(((simd, pe), generate(name, np.random.default_rng(simd * 1000 + pe),
                                            simd, pe, work / name)))
    return layers


def binary_mvaus(work: Path, old: list[Path]) -> list[dict]:
    mw, mh = BINARY_MVAU

    def generate(name, rng, simd, pe, out_dir):
        return generate_xnor_mvau(name, rng.integers(0, 2, size=(mw, mh)),
                                  rng.integers(0, mw + 1, size=(mh, 1)) + 0.5,
                                  simd=simd, pe=pe, out_dir=out_dir)
    return [row for fold, layer in folded_mvaus(work, "xnor", BINARY_FOLDS, generate)
            for row in measure_layer(f"binary MVAU {mw}x{mh}, T 1", "{} x {}".format(*fold),
                                     layer, old if fold in BINARY_BEFORE else None)]


def int8_mvau(name, rng, simd, pe, out_dir):
    """The ``INT_MVAU`` tail layer, int8 x int8, no thresholds, random weights."""
    mw, mh = INT_MVAU
    return generate_int_mvau(name, rng.integers(-128, 128, size=(mw, mh)), None,
                             simd=simd, pe=pe, in_bits=8, in_signed=True, out_dir=out_dir)


def int_mvaus(work: Path, old: list[Path]) -> list[dict]:
    return [row for fold, layer in folded_mvaus(work, "int", INT_FOLDS, int8_mvau)
            for row in measure_layer("int8 MVAU {}x{}".format(*INT_MVAU),
                                     "{} x {}".format(*fold), layer, old)]


def bicubic_skips(work: Path) -> list[dict]:
    weights = bicubic_phase_weights(2).reshape(4, -1).T  # (25 taps, 4 phases)
    rows = []
    for simd, pe in BICUBIC_FOLDS:
        name = f"bicubic_s{simd}_p{pe}"
        layer = generate_int_mvau(name, weights, None, simd=simd, pe=pe, in_bits=8,
                                  in_signed=False, out_dir=work / name)
        rows += measure_layer("bicubic skip MVAU 25x4 (fixed weights)", f"{simd} x {pe}",
                              layer, None)
    # fully unfolded: the same products in LUTs
    rows.append({"kind": BICUBIC_NODSP, "fold": "25 x 4", "rtl": "now",
                 **timed(layer.sources, layer.name, use_dsp=False)})
    return rows


def thresholdings(work: Path, old: list[Path]) -> list[dict]:
    rng = np.random.default_rng(7)
    thresholds = np.sort(rng.integers(-256, 256, size=(32, 255)), axis=1) + 0.5
    rows = []
    for pe in THRESHOLD_FOLDS:
        name = f"thresholding_p{pe}"
        layer = generate_thresholding(name, thresholds, channels=32, pe=pe, in_bits=9,
                                      in_signed=True, out_dir=work / name, act_val=-128)
        rows += measure_layer("Thresholding 32 ch, INT9 -> INT8", f"PE {pe}", layer, old,
                              thresholding.CORE)
    return rows


def elementwise_adds() -> list[dict]:
    rows = []
    for pe in ADD_FOLDS:
        parameters = elementwise_add.rtl_parameters(32, pe, 8, True, 8, True)
        rows.append({"kind": "ElementwiseAdd int8 + int8", "fold": f"PE {pe}", "rtl": "now",
                     **timed(elementwise_add.SOURCES, elementwise_add.MODULE, parameters)})
    return rows


def markdown(rows, info) -> str:
    lines = [
        "# Timing proxy per layer: LUT levels, fan-out, DSPs", "",
        f"Measured {machine_line(info)}; yosys 0.23 `synth_xilinx` (xc7), each layer out "
        "of context.", "",
        "No Vivado here: **LUT levels** are the LUTs on the longest register-to-register "
        "path after mapping (`hw.area.timing_proxy`; carry chains count 0, a DSP48E1 "
        "without its output register 4 levels through the multiplier and 2 through the "
        f"post-adder). Target: **<= {TARGET_LUT_LEVELS} LUT levels** for 150-200 MHz on a "
        "-1 Zynq-7000 (a proxy: routing and carry chains are not timed). **CE fan-out**: "
        "the most flip-flop clock enables one net drives (a stall signal on every "
        "pipeline register); **fan-out**: the most cell inputs one net drives (clocks "
        f"excluded). Rows `{BEFORE_COMMIT}`: the MVAU / Thresholding RTL before this change (one "
        "output-handshake enable on every register; integer products summed in one "
        "cycle), same weights and wrapper.", "",
        "| layer | fold | RTL | LUT | LUTRAM | FF | CARRY4 | DSP | LUT levels | worst path "
        "| CE fan-out | fan-out | yosys s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['fold']} | {r['rtl']} | {r['LUT']} | {r['LUTRAM']} | "
            f"{r['FF']} | {r['CARRY4']} | {r['DSP48E1']} | {r['lut_levels']} | "
            f"`{r['worst_from']}` -> `{r['worst_to']}` | {r['max_enable_fanout']} | "
            f"{r['max_fanout']} | {r['yosys_wall_s']:.0f} |")
    worst = max((r for r in rows if r["rtl"] == "now"), key=lambda r: r["lut_levels"])
    lines += ["", f"Worst path with today's RTL: {worst['lut_levels']} LUT levels "
              f"({worst['kind']}, {worst['fold']}); target {TARGET_LUT_LEVELS}: "
              + ("met." if worst["lut_levels"] <= TARGET_LUT_LEVELS else "NOT met."), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_render_flag(parser)
    args = parser.parse_args(argv)
    if args.render:
        data = committed("timing")
    else:
        data = {"machine": machine_info(), "before_commit": BEFORE_COMMIT,
                "target_lut_levels": TARGET_LUT_LEVELS, "rows": []}
        with tempfile.TemporaryDirectory(prefix="timing_") as tmp:
            work = Path(tmp)
            old = files_at_commit(BEFORE_COMMIT, [f"hw/rtl/{n}" for n in BEFORE_FILES], work)
            sections = (lambda: binary_mvaus(work, old), lambda: int_mvaus(work, old),
                        lambda: bicubic_skips(work), lambda: thresholdings(work, old),
                        elementwise_adds)
            for measure in sections:  # written after each: a long run keeps what it measured
                data["rows"] += measure()
                write_result("timing", markdown(data["rows"], data["machine"]), data)
    publish("timing", data, lambda d: markdown(d["rows"], d["machine"]))


if __name__ == "__main__":
    main()
