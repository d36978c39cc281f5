"""Area of a stitched accelerator: yosys ``synth_xilinx`` (xc7) per layer instance.

``python -m hw.area_report --export exports/default_x2`` writes area.md / area.json for
the hardware as built (line buffers for the export's maximum frame width):
per layer its kind, LUT, FF, LUTRAM, CARRY4, BRAM18, DSP and expected cycles, the
totals, and the fraction of a Pynq-Z2 (xc7z020). Each instance is synthesized out of
context (as FINN estimates per layer); equal modules with equal parameters only once.
"""
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hw.area import synth_area, yosys_available
from hw.artifacts import read_export, staged_folder
from hw.bitstream.project import relocate
from hw.stitch import Design, stitch
from train.cli import ArgumentParser, UserError, command, one_line

RESOURCES = ("LUT", "FF", "LUTRAM", "CARRY4", "BRAM18", "DSP48E1")
# xc7z020 (Pynq-Z1/Z2): 140 BRAM36 = 280 BRAM18
XC7Z020 = {"LUT": 53200, "FF": 106400, "BRAM18": 280, "DSP48E1": 220}


def _synthesis_key(inst):
    return inst.module, tuple(sorted(inst.parameters.items())), tuple(map(str, inst.sources))


def instance_areas(design: Design, jobs: int = 2) -> dict:
    """Instance name -> resource counts; identical (module, parameters) synthesized once."""
    unique = {_synthesis_key(inst): inst for inst in design.instances}
    with ThreadPoolExecutor(jobs) as pool:
        areas = dict(zip(unique, pool.map(
            lambda inst: synth_area(inst.sources, inst.module, inst.parameters),
            unique.values())))
    return {inst.name: areas[_synthesis_key(inst)] for inst in design.instances}


def area_table(design: Design, areas: dict) -> dict:
    """Rows per layer (FIFOs and width converters summed into one row each), totals,
    and the fraction of an xc7z020."""
    rows = [dict(name=inst.name, kind=inst.kind, exp_cycles=inst.exp_cycles,
                 **{key: areas[inst.name][key] for key in RESOURCES}) for inst in design.layers]
    for kind, label in (("FIFO", "FIFOs"), ("DWC", "width converters")):
        members = [inst for inst in design.instances if inst.kind == kind]
        if members:
            rows.append(dict(name=f"{len(members)} {label}", kind=kind, exp_cycles=0,
                             **{key: sum(areas[i.name][key] for i in members)
                                for key in RESOURCES}))
    totals = {key: sum(row[key] for row in rows) for key in RESOURCES}
    # LUTs used as distributed RAM or shift registers occupy the same LUTs as logic
    used = {**totals, "LUT": totals["LUT"] + totals["LUTRAM"]}
    fraction = {key: used[key] / XC7Z020[key] for key in XC7Z020}
    return {"layers": rows, "totals": totals, "xc7z020_fraction": fraction,
            "bottleneck": design.bottleneck.name,
            "bottleneck_cycles": design.bottleneck.exp_cycles}


def to_markdown(table: dict) -> str:
    header = ["layer", "kind", *RESOURCES, "exp. cycles"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table["layers"]:
        lines.append("| " + " | ".join(str(row[k]) for k in ("name", "kind", *RESOURCES,
                                                              "exp_cycles")) + " |")
    totals, fraction = table["totals"], table["xc7z020_fraction"]
    lines.append("| **total** | | " + " | ".join(str(totals[k]) for k in RESOURCES) + " | |")
    lines += ["", "Pynq-Z2 (xc7z020): " + ", ".join(
        f"{key} {fraction[key]:.1%}" for key in XC7Z020) + " (LUT: logic + LUTRAM, "
        f"{totals['LUT'] + totals['LUTRAM']} of {XC7Z020['LUT']}).",
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
