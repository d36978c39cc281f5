"""Cost of one SRB layer against one plain binary layer: ops per LR pixel and yosys LUTs.

    python -m benchmarks.srb_cost [--channels 32] [--fold 32x4] [--thresholds 1,255]
                                  [--ratio-log2 2,1]
    python -m benchmarks.srb_cost --render   (table from the committed JSON)

One 3x3 body conv of C channels (MW = 9C, MH = C) at one fold SIMD x PE, as the export
maps it: **plain**, a binary MVAU (XNOR-popcount of bits, ``hw/rtl/mvau.sv`` BINARY=1);
**SRB** (deployable FRBC, ``srb_ratio_log2`` m: 2 is the default, 1 the 3-bit plane), an
integer MVAU on 1-bit unsigned inputs with the (m + 2)-bit plane 2**m s1 + k s2 (BINARY=0,
IB=1), its weights drawn from ``train.quant.srb_integer_weight`` of Gaussian latent
weights. Both with T
thresholds per channel on their accumulator range: T = 1 isolates the dot product, T =
255 is the int8 branch quantizer that follows every unit of FRBC. yosys 0.23
``synth_xilinx`` (xc7), LUT = logic LUTs + LUTRAM. Cycles per LR pixel are equal at one
fold: (MW / SIMD) (MH / PE). Writes ``results/srb_cost.md/.json``.
"""
import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import add_render_flag, committed, machine_info, machine_line, publish
from benchmarks.popcount import timed_synth
from hw.mvau import generate_int_mvau, generate_xnor_mvau
from train.quant import srb_integer_weight

KERNEL = 9  # 3x3


def srb_plane(mw, mh, ratio_log2, seed):
    """(MW, MH) integer plane of SRB for Gaussian latent weights, FINN's layout."""
    torch.manual_seed(seed)
    latent = torch.randn(mh, mw // KERNEL, 3, 3)
    plane = srb_integer_weight(latent, ratio_log2).detach().numpy().astype(np.int64)
    return plane.reshape(mh, mw).T


def spread_thresholds(rng, lo, hi, channels, steps):
    """``steps`` sorted thresholds per channel spread over the accumulator range [lo, hi]."""
    return np.sort(rng.integers(lo, hi + 1, size=(channels, steps)), axis=1) + 0.5


def measure(kind, channels, simd, pe, steps, work, ratio_log2=None):
    """One layer: ``kind`` plain, or srb with ``ratio_log2``."""
    mw, mh = KERNEL * channels, channels
    rng = np.random.default_rng(steps)
    name = f"{kind}{'' if ratio_log2 is None else ratio_log2}_c{channels}_s{simd}_p{pe}_t{steps}"
    if kind == "plain":
        weights = rng.integers(0, 2, size=(mw, mh))
        layer = generate_xnor_mvau(name, weights, spread_thresholds(rng, 0, mw, mh, steps),
                                   simd=simd, pe=pe, out_dir=work / name)
        weight_bits, xnor_ops, bit_ops = 1, mw * mh, mw * mh
    else:
        weights = srb_plane(mw, mh, ratio_log2, steps)
        bound = int(np.abs(weights).sum(axis=0).max())
        layer = generate_int_mvau(name, weights, spread_thresholds(rng, -bound, bound, mh, steps),
                                  simd=simd, pe=pe, in_bits=1, in_signed=False,
                                  out_dir=work / name)
        weight_bits = layer.parameters["WB"]
        # the paper's count: two XNOR-popcount convs; the MVAU: 1 x WB-bit products
        xnor_ops, bit_ops = 2 * mw * mh, mw * mh * weight_bits
    area = timed_synth(layer.sources, name)
    print(f"{name}: {area['LUT_total']} LUT", flush=True)
    return {"kind": kind, "ratio_log2": ratio_log2, "thresholds": steps,
            "weight_bits": weight_bits,
            "xnor_equivalent_ops_per_lr_pixel": xnor_ops, "bit_ops_per_lr_pixel": bit_ops,
            "weight_memory_bits": mw * mh * weight_bits,
            "cycles_per_lr_pixel": (mw // simd) * (mh // pe), "area": area}


def label(row):
    return "plain" if row["kind"] == "plain" else f"SRB m={row['ratio_log2']}"


def markdown(data):
    info, c = data["machine"], data["channels"]
    lines = [
        "# SRB in hardware: one SRB layer vs one plain binary layer", "",
        f"Measured {machine_line(info)}; yosys 0.23 `synth_xilinx` (xc7), LUT = logic LUTs + "
        "LUTRAM.", "",
        f"One 3x3 conv, {c} -> {c} channels (MW {9 * c}, MH {c}), SIMD x PE = "
        f"{data['simd']} x {data['pe']}. plain: binary MVAU (XNOR-popcount); SRB: integer "
        "MVAU on 1-bit unsigned inputs with SRB's integer plane 2^m s1 + k s2 "
        "(srb_ratio_log2 m in the layer column). XNOR-equivalent ops: the paper's count (SRB = two "
        "XNOR-popcount convs); bit ops: input bits x weight bits per product, what the "
        "MVAU computes. T: thresholds per channel (1: the dot product alone; 255: the int8 "
        "branch quantizer of an FRBC unit).", "",
        "| layer | T | weight bits | XNOR-eq. ops / LR pixel | bit ops / LR pixel | weight "
        "memory (bits) | cycles / LR pixel | LUT | LUTRAM | FF | CARRY4 | BRAM18 | LUT total "
        "| LUT levels |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in data["rows"]:
        a = r["area"]
        lines.append(
            f"| {label(r)} | {r['thresholds']} | {r['weight_bits']} | "
            f"{r['xnor_equivalent_ops_per_lr_pixel']} | {r['bit_ops_per_lr_pixel']} | "
            f"{r['weight_memory_bits']} | {r['cycles_per_lr_pixel']} | {a['LUT']} | "
            f"{a['LUTRAM']} | {a['FF']} | {a['CARRY4']} | {a['BRAM18']} | {a['LUT_total']} | "
            f"{a['lut_levels']} |")
    by = {(label(r), r["thresholds"]): r["area"]["LUT_total"] for r in data["rows"]}
    ratios = [f"{name}, T = {t}: {by[(name, t)] / by[('plain', t)]:.2f}x"
              for name, t in by if name != "plain" and ("plain", t) in by]
    two_planes = [f"T = {t}: {2 * by[('plain', t)]}" for t in data["thresholds"]
                  if ("plain", t) in by]
    lines += ["", "SRB / plain LUT total at the same fold: " + ", ".join(ratios) + ".", "",
              "The integer MVAU sums SIMD products of (m + 2)-bit weights gated by the input "
              "bits in one adder per PE; the XNOR MVAU's LUT-lean popcount tree does not "
              "apply to it. For comparison, two plain layers (SRB as two XNOR-popcount planes, "
              "the per-channel combine 2^m p1 + k p2 not counted, and not a core the RTL "
              "has): " + ", ".join(two_planes) + " LUT.", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--fold", default="32x4", help="SIMDxPE (SIMD | 9C, PE | C)")
    parser.add_argument("--thresholds", default="1,255", help="T values, comma-separated")
    parser.add_argument("--ratio-log2", default="2,1", help="SRB m values, comma-separated")
    add_render_flag(parser)
    args = parser.parse_args(argv)
    if args.render:
        data = committed("srb_cost")
    else:
        simd, pe = (int(v) for v in args.fold.split("x"))
        thresholds = [int(t) for t in args.thresholds.split(",")]
        ratios = [int(m) for m in args.ratio_log2.split(",")]
        with tempfile.TemporaryDirectory(prefix="srb_cost_") as tmp:
            rows = [row for t in thresholds for row in (
                measure("plain", args.channels, simd, pe, t, Path(tmp)),
                *(measure("srb", args.channels, simd, pe, t, Path(tmp), m) for m in ratios))]
        data = {"machine": machine_info(), "channels": args.channels, "simd": simd, "pe": pe,
                "thresholds": thresholds, "rows": rows}
    publish("srb_cost", data, markdown)


if __name__ == "__main__":
    main()
