"""FIFO depths from simulation vs the stitcher's analytic depths: BRAM18 and frame interval.

    python -m benchmarks.fifo_sizing --export exports/a --max-width 40 --export exports/b

For every export, ``sim.fifo_depths.sizing_report`` (Verilator harness, one real frame of
max_width pixels, deep branch FIFOs); the FIFOs' BRAM18 from yosys with the analytic
depths, the sized depths (never below the deadlock minimum) and the peaks alone; the
frame interval of the deep and the sized build. The exports' dataflow graphs are read,
not changed. Writes ``results/fifo_sizing.md/.json``.
"""
import argparse
from pathlib import Path

from benchmarks.common import machine_info, machine_line, write_result
from hw.artifacts import DATAFLOW_FILE
from sim.fifo_depths import DEFAULT_MAX_WIDTH, sizing_report
from train.cli import read_onnx


def measure(export: Path, max_width: int) -> dict:
    _, report = sizing_report(read_onnx(export / DATAFLOW_FILE), export / "fifo_sizing",
                              max_width)
    return {"export": str(export), "fifos": len(report["depths"]), **report}


def to_markdown(rows, info) -> str:
    lines = ["# FIFO depths by simulation", "", machine_line(info), "",
             "| export | sizing frame | FIFOs | BRAM18 analytic | BRAM18 sized | "
             "BRAM18 peaks alone | interval deep | interval sized | peaks below analytic |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        bram = row["fifo_bram18"]
        lines.append(f"| {Path(row['export']).name} | {row['frame'][0]}x{row['frame'][1]} | "
                     f"{row['fifos']} | {bram['analytic']} | {bram['sized']} | {bram['peaks']} | "
                     f"{row['deep_interval']:g} | {row['sized_interval']:g} | "
                     f"{len(row['below_analytic'])} of {len(row['analytic'])} |")
    lines += ["", "Sized = peak + 2 words, never below the skip FIFOs' deadlock minimum "
              "(the analytic lead without slack); peaks alone = without that floor.", ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", action="append", required=True, type=Path)
    parser.add_argument("--max-width", type=int, action="append", default=[],
                        help=f"per --export, in order (default {DEFAULT_MAX_WIDTH})")
    args = parser.parse_args(argv)
    widths = args.max_width + [DEFAULT_MAX_WIDTH] * (len(args.export) - len(args.max_width))
    info = machine_info()
    rows = [measure(export, width) for export, width in zip(args.export, widths)]
    print(write_result("fifo_sizing", to_markdown(rows, info), {"machine": info, "rows": rows}))


if __name__ == "__main__":
    main()
