"""Integer MVAU products per FINN resType: DSP48E1 multipliers against LUT shift-adds.

    python -m benchmarks.int_res_type            (a few minutes of yosys)
    python -m benchmarks.int_res_type --render   (table from the committed JSON)

The layers of ``benchmarks/timing.py``, each with ``resType`` "dsp" and "lut": the integer
tail MVAU (MW 72, MH 4, int8 x int8, random weights) at three folds and the fixed bicubic
skip (MW 25, MH 4, the x2 phase weights, unsigned pixels) at three folds. "lut" builds
each product from the weight's bits (a shift-add tree, ``hw/rtl/mvau.sv`` RES_LUT);
on a fully unfolded layer (one weight word, SF*NF == 1) the weights are constants and
"lut" is the constant style: shift-adds of their canonical signed digits, no multiplier
(RES_CONSTANT). yosys 0.23 ``synth_xilinx`` (xc7) out of context, with the timing proxy
of ``hw.area.timing_proxy``. Writes ``results/int_res_type.md/.json``.
"""
import argparse
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import add_render_flag, committed, machine_info, machine_line, publish
from benchmarks.timing import BICUBIC_FOLDS, INT_FOLDS, INT_MVAU, timed
from hw.area_report import TARGET_LUT_LEVELS
from hw.mvau import generate_int_mvau, product_style
from train.archs.binary_sr import bicubic_phase_weights

RES_TYPES = ("dsp", "lut")


def layers(work: Path):
    """(layer name, (SIMD, PE), resType, generate(out_dir)) of every measured layer."""
    mw, mh = INT_MVAU
    int_weights = np.random.default_rng(0).integers(-128, 128, size=(mw, mh))
    bicubic = bicubic_phase_weights(2).reshape(4, -1).T  # (25 taps, 4 phases)
    for kind, weights, folds, in_bits, in_signed in (
            (f"int8 MVAU {mw}x{mh}", int_weights, INT_FOLDS, 8, True),
            ("bicubic skip MVAU 25x4 (fixed weights)", bicubic, BICUBIC_FOLDS, 8, False)):
        for simd, pe in folds:
            for res_type in RES_TYPES:
                name = f"{kind.split()[0]}_s{simd}_p{pe}_{res_type}"
                yield kind, (simd, pe), res_type, generate_int_mvau(
                    name, weights, None, simd=simd, pe=pe, in_bits=in_bits,
                    in_signed=in_signed, out_dir=work / name, res_type=res_type)


def measure(work: Path) -> list[dict]:
    rows = []
    for kind, (simd, pe), res_type, layer in layers(work):
        row = {"kind": kind, "fold": f"{simd} x {pe}", "res_type": res_type,
               "style": product_style(res_type, simd, pe, *INT_MVAU if "int8" in kind
                                      else (25, 4)),
               **timed(layer.sources, layer.name)}
        print(f"{kind} {row['fold']} {res_type} ({row['style']}): LUT {row['LUT']} "
              f"FF {row['FF']} DSP {row['DSP48E1']}, {row['lut_levels']} LUT levels "
              f"({row['yosys_wall_s']} s)", flush=True)
        rows.append(row)
    return rows


def markdown(rows, info) -> str:
    lines = [
        "# Integer MVAU products: resType dsp against lut", "",
        f"Measured {machine_line(info)}; yosys 0.23 `synth_xilinx` (xc7), each layer out "
        "of context (`benchmarks/int_res_type.py`).", "",
        "**style**: `dsp` one DSP48E1 per product; `lut` the weight's bits as a pipelined "
        "shift-add tree in LUTs and carry chains; `constant` (resType lut on a fully "
        "unfolded layer) the constant weights' canonical signed digits added in the lane's "
        "adder tree, no multiplier. LUT counts logic and LUTRAM. LUT levels: "
        f"`hw.area.timing_proxy`, target <= {TARGET_LUT_LEVELS}.", "",
        "| layer | fold (SIMD x PE) | resType | style | LUT | FF | CARRY4 | DSP | LUT levels "
        "| yosys s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['kind']} | {r['fold']} | {r['res_type']} | {r['style']} | "
                     f"{r['LUT'] + r['LUTRAM']} | {r['FF']} | {r['CARRY4']} | {r['DSP48E1']} | "
                     f"{r['lut_levels']} | {r['yosys_wall_s']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_render_flag(parser)
    args = parser.parse_args(argv)
    if args.render:
        data = committed("int_res_type")
    else:
        with tempfile.TemporaryDirectory(prefix="int_res_type_") as tmp:
            data = {"machine": machine_info(), "rows": measure(Path(tmp))}
    publish("int_res_type", data, lambda d: markdown(d["rows"], d["machine"]))


if __name__ == "__main__":
    main()
