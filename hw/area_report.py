"""Area of a stitched accelerator: yosys ``synth_xilinx`` (xc7) per layer instance.

``python -m hw.area_report --export exports/default_x2`` writes area.md / area.json for
the hardware as built (line buffers for the export's maximum frame width): per layer its
kind, LUT, FF, LUTRAM, CARRY4, BRAM18, DSP, LUT levels of its longest
register-to-register path and expected cycles, the totals, the fraction of a Pynq-Z2
(xc7z020), and the worst path against the timing target. Each instance is synthesized
out of context (as FINN estimates per layer); equal modules with equal parameters only
once.
"""
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hw.area import synth_area_and_timing, yosys_available
from hw.artifacts import read_export, staged_folder
from hw.bitstream.project import relocate
from hw.stitch import Design, stitch
from train.cli import ArgumentParser, UserError, command, one_line

RESOURCES = ("LUT", "FF", "LUTRAM", "CARRY4", "BRAM18", "DSP48E1")
TIMING = ("lut_levels", "worst_from", "worst_to", "max_enable_fanout")
# xc7z020 (Pynq-Z1/Z2): 140 BRAM36 = 280 BRAM18
XC7Z020 = {"LUT": 53200, "FF": 106400, "BRAM18": 280, "DSP48E1": 220}
# Timing proxy without Vivado: at most this many LUT levels between registers for
# 150-200 MHz on a -1 Zynq-7000 (about 1 ns per LUT and its route, plus clock-to-out,
# setup and skew in a 5-6.7 ns period)
TARGET_LUT_LEVELS = 5


def _synthesis_key(inst):
    return inst.module, tuple(sorted(inst.parameters.items())), tuple(map(str, inst.sources))


def instance_areas(design: Design, jobs: int = 2) -> dict:
    """Instance name -> resource counts and ``hw.area.timing_proxy`` keys (``lut_levels``,
    ``worst_from``, ``worst_to``, fan-outs); identical (module, parameters) synthesized once."""
    unique = {_synthesis_key(inst): inst for inst in design.instances}
    with ThreadPoolExecutor(jobs) as pool:
        areas = dict(zip(unique, pool.map(
            lambda inst: area_and_timing(inst.sources, inst.module, inst.parameters),
            unique.values())))
    return {inst.name: areas[_synthesis_key(inst)] for inst in design.instances}


def area_and_timing(sources, module, parameters) -> dict:
    """Resource counts and ``hw.area.timing_proxy`` keys of one netlist, in one dict."""
    area, timing = synth_area_and_timing(sources, module, parameters)
    return {**area, **timing}


def area_table(design: Design, areas: dict) -> dict:
    """Rows per layer (FIFOs and width converters summed into one row each), totals,
    and the fraction of an xc7z020."""
    rows = [dict(name=inst.name, kind=inst.kind, exp_cycles=inst.exp_cycles,
                 **{key: areas[inst.name][key] for key in (*RESOURCES, *TIMING)})
            for inst in design.layers]
    for kind, label in (("FIFO", "FIFOs"), ("DWC", "width converters")):
        members = [inst for inst in design.instances if inst.kind == kind]
        if members:
            deepest = max(members, key=lambda i: areas[i.name]["lut_levels"])
            rows.append(dict(name=f"{len(members)} {label}", kind=kind, exp_cycles=0,
                             **{key: sum(areas[i.name][key] for i in members)
                                for key in RESOURCES},
                             **{key: areas[deepest.name][key] for key in TIMING}))
    totals = {key: sum(row[key] for row in rows) for key in RESOURCES}
    worst = max(rows, key=lambda row: row["lut_levels"])
    # LUTs used as distributed RAM or shift registers occupy the same LUTs as logic
    used = {**totals, "LUT": totals["LUT"] + totals["LUTRAM"]}
    fraction = {key: used[key] / XC7Z020[key] for key in XC7Z020}
    return {"layers": rows, "totals": totals, "xc7z020_fraction": fraction,
            "worst_path": {key: worst[key] for key in ("name", *TIMING[:3])},
            "target_lut_levels": TARGET_LUT_LEVELS,
            "bottleneck": design.bottleneck.name,
            "bottleneck_cycles": design.bottleneck.exp_cycles}


def to_markdown(table: dict) -> str:
    header = ["layer", "kind", *RESOURCES, "LUT levels", "max CE fan-out", "exp. cycles"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table["layers"]:
        lines.append("| " + " | ".join(str(row[k]) for k in (
            "name", "kind", *RESOURCES, "lut_levels", "max_enable_fanout", "exp_cycles")) + " |")
    totals, fraction = table["totals"], table["xc7z020_fraction"]
    worst, target = table["worst_path"], table["target_lut_levels"]
    lines.append("| **total** | | " + " | ".join(str(totals[k]) for k in RESOURCES)
                 + f" | {worst['lut_levels']} (max) | | |")
    lines += ["", "Pynq-Z2 (xc7z020): " + ", ".join(
        f"{key} {fraction[key]:.1%}" for key in XC7Z020) + " (LUT: logic + LUTRAM, "
        f"{totals['LUT'] + totals['LUTRAM']} of {XC7Z020['LUT']}).",
        f"Worst path: {worst['lut_levels']} LUT levels in {worst['name']}, "
        f"{worst['worst_from']} -> {worst['worst_to']}; target <= {target} LUT levels for "
        "150-200 MHz on a -1 Zynq-7000 ("
        + ("met" if worst["lut_levels"] <= target else "NOT met")
        + "; a proxy: carry chains and routing not timed, no Vivado here).",
        f"Bottleneck: {table['bottleneck']} ({table['bottleneck_cycles']} cycles per frame). "
        "yosys synth_xilinx, out of context per layer: an estimate, not Vivado's numbers.", ""]
    return "\n".join(lines)


def parse_args(argv=None):
    parser = ArgumentParser(prog="python -m hw.area_report", description=__doc__.splitlines()[0])
    parser.add_argument("--export", required=True, help="export folder (python -m export)")
    parser.add_argument("--out", required=True,
                        help="folder for area.md, area.json and rtl/ (replaced when done)")
    return parser.parse_args(argv)


def write_report(model, staging: Path, final: Path, max_width: int | None = None) -> str:
    """Stitch ``model`` for LR frames up to ``max_width`` wide (default: the graph's) into
    ``staging``/rtl (paths as if in ``final``), synthesize it, write area.json and
    area.md; returns the Markdown."""
    design = stitch(model, staging / "rtl", max_width=max_width)
    try:
        table = area_table(design, instance_areas(design))
    except RuntimeError as err:  # yosys failed; its last messages are in the text
        raise UserError(one_line(err)) from None
    relocate(staging / "rtl", staging, final)
    (staging / "area.json").write_text(json.dumps(table, indent=2) + "\n")
    (staging / "area.md").write_text(to_markdown(table))
    return to_markdown(table)


@command
def main(argv=None):
    args = parse_args(argv)
    model, _, max_width = read_export(args.export)
    if not yosys_available():
        raise UserError("yosys is not on PATH; install it (apt-get install yosys)")
    final = Path(args.out).resolve()
    with staged_folder(final) as staging:
        markdown = write_report(model, staging, final, max_width)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
