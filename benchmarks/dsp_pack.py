"""Two int8 products per DSP48E1: the integer MVAU with paired products against one DSP
per product, yosys area and timing proxy.

    python -m benchmarks.dsp_pack            (a few minutes of yosys)
    python -m benchmarks.dsp_pack --render   (table from the committed JSON)

The tail MVAU of ``benchmarks.timing`` (MW 72, MH 4, int8 x int8, random weights) at
even-PE folds (``benchmarks.timing``'s two and SIMD 1, where no adder tree follows),
synthesized out of context (yosys 0.23 ``synth_xilinx``, xc7) twice with the same
weights: **paired**, as ``hw/mvau.py`` generates it (PACK_PAIRS: lanes 2q and 2q+1 share
``hw/rtl/mul_pair.sv``, both products of one DSP48E1 with the low product's sign
corrected inside the DSP), and **single**, PACK_PAIRS forced off (one DSP48E1 per
product). Writes ``results/dsp_pack.md/.json``.
"""
import argparse
import tempfile
from pathlib import Path

from benchmarks.common import add_render_flag, committed, machine_info, machine_line, publish
from benchmarks.timing import INT_MVAU, folded_mvaus, int8_mvau, timed
from hw import mvau
from hw.area_report import TARGET_LUT_LEVELS
from hw.codegen import header, write_wrapper

FOLDS = ((1, 4), (24, 2), (72, 4))
COLUMNS = ("LUT", "LUTRAM", "FF", "CARRY4", "DSP48E1", "lut_levels")


def single_product_sources(layer) -> list[Path]:
    """``layer``'s sources with its wrapper regenerated with PACK_PAIRS off."""
    parameters = {**layer.parameters, "PACK_PAIRS": 0}
    wrapper = write_wrapper(layer.sources[-1].with_name(f"{layer.name}_single.sv"), layer.name,
                            mvau.CORE, parameters, layer.in_stream, layer.out_stream,
                            header("benchmarks/dsp_pack.py", layer.name, parameters))
    return [*layer.sources[:-1], wrapper]


def measure(work: Path) -> list[dict]:
    rows = []
    for (simd, pe), layer in folded_mvaus(work, "int", FOLDS, int8_mvau):
        assert layer.parameters["PACK_PAIRS"] == 1, "the tail MVAU's int8 pairs fit a DSP48E1"
        for products, sources in (("paired", layer.sources),
                                  ("single", single_product_sources(layer))):
            row = {"fold": f"{simd} x {pe}", "products": products, **timed(sources, layer.name)}
            print(f"{row['fold']} {products}: DSP {row['DSP48E1']}, LUT {row['LUT']}, "
                  f"{row['lut_levels']} LUT levels ({row['yosys_wall_s']} s)", flush=True)
            rows.append(row)
    return rows


def markdown(data) -> str:
    lines = [
        "# Two int8 products per DSP48E1 (integer MVAU, PACK_PAIRS)", "",
        f"Measured {machine_line(data['machine'])}; yosys 0.23 `synth_xilinx` (xc7), out of "
        "context.", "",
        "int8 MVAU {}x{} (int8 inputs, int8 weights), the same weights in both rows of a fold. "
        "**paired**: lanes 2q and 2q+1 multiply one input in one DSP48E1 "
        "(`hw/rtl/mul_pair.sv`: a * (w0 + w1 * 2^16) + 2^15 in the pre-adder, multiplier and "
        "post-adder); **single**: a DSP48E1 per product. LUT levels: `hw.area.timing_proxy` "
        f"(target <= {TARGET_LUT_LEVELS}).".format(*data["int_mvau"]), "",
        "| fold SIMD x PE | products | LUT | LUTRAM | FF | CARRY4 | DSP48E1 | LUT levels "
        "| worst path |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in data["rows"]:
        lines.append(f"| {r['fold']} | {r['products']} | "
                     + " | ".join(str(r[c]) for c in COLUMNS)
                     + f" | `{r['worst_from']}` -> `{r['worst_to']}` |")
    lines.append("")
    by_fold = {}
    for r in data["rows"]:
        by_fold.setdefault(r["fold"], {})[r["products"]] = r
    for fold, pair in by_fold.items():
        paired, single = pair["paired"], pair["single"]
        lines.append(f"- {fold}: DSP48E1 {single['DSP48E1']} -> {paired['DSP48E1']}, "
                     f"LUT {paired['LUT'] - single['LUT']:+d}, "
                     f"FF {paired['FF'] - single['FF']:+d}, "
                     f"LUT levels {single['lut_levels']} -> {paired['lut_levels']}.")
    lines += ["", "Where the LUTs go: the sign correction itself takes none (`mul_pair` alone is "
              "one DSP48E1, no LUT, no FF). But yosys puts an adder after each single product "
              "into its DSP48E1's post-adder: the adder tree's first level (a product pair "
              "summed through the PCOUT -> PCIN cascade) or, at SIMD 1, the accumulator (P "
              "fed back, the accumulator register in P). A paired DSP's post-adder adds the "
              "low product's sign correction and its two products leave it apart, so those "
              "adders are in LUTs (and at SIMD 1 the accumulator registers in FFs); yosys maps "
              "the tree's first two levels to LUT6/MUXF7 logic taking bits of four products "
              "at once. int8 x int8 leaves no guard bit in the 25-bit pre-adder to sum or "
              "accumulate pairs inside the DSP.", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_render_flag(parser)
    args = parser.parse_args(argv)
    if args.render:
        data = committed("dsp_pack")
    else:
        with tempfile.TemporaryDirectory(prefix="dsp_pack_") as tmp:
            data = {"machine": machine_info(), "int_mvau": list(INT_MVAU), "folds": FOLDS,
                    "rows": measure(Path(tmp))}
    publish("dsp_pack", data, markdown)


if __name__ == "__main__":
    main()
