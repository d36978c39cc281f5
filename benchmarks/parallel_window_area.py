"""Area of the parallel-window sliding window (hw/rtl/sliding_window_parallel.sv), yosys.

    python -m benchmarks.parallel_window_area   (about a minute of yosys per point)

Each point is the core alone, out of context, built for a maximum input width of
MAX_W = 962 pixels (a 960-pixel LR row plus one pixel of padding on each side), through
``hw.area.synth_area_and_levels`` (yosys ``synth_xilinx``, 7-series; LUT levels: longest
combinational path after mapping). Writes ``results/parallel_window_area.md/.json``.
"""
import argparse

from benchmarks.common import machine_info, machine_line, write_result
from hw import sliding_window
from hw.area import synth_area_and_levels

MAX_W = 962
# name -> (channels, element bits, (KH, KW))
POINTS = {
    "binary body, 16 channels, 3x3": (16, 1, (3, 3)),
    "binary body, 64 channels, 3x3": (64, 1, (3, 3)),
    "BTM MRB, 64 channels, 1x5": (64, 1, (1, 5)),
    "BTM MRB, 64 channels, 5x1": (64, 1, (5, 1)),
    "bicubic skip, 1 channel of 8 bits, 5x5": (1, 8, (5, 5)),
}
COLUMNS = ("LUT", "LUTRAM", "FF", "CARRY4", "BRAM18", "lut_levels")


def measure(channels: int, elem_bits: int, kernel: tuple[int, int]) -> dict:
    parameters = sliding_window.parallel_rtl_parameters(MAX_W, channels, elem_bits, kernel)
    area, levels = synth_area_and_levels(sliding_window.PARALLEL_SOURCES,
                                         sliding_window.PARALLEL_MODULE, parameters)
    return {"parameters": parameters, **area, "lut_levels": levels}


def render(rows: dict, info: dict) -> str:
    lines = [f"# Parallel-window sliding window: area (yosys synth_xilinx, MAX_W {MAX_W})", "",
             f"Measured {machine_line(info)} by `python -m benchmarks.parallel_window_area`.",
             "One whole KH x KW x C window per output word, one pixel per cycle; the line",
             "buffer is (KH-1) pixels x MAX_W words of block RAM.", "",
             "| point | " + " | ".join(COLUMNS) + " |",
             "|---|" + "---:|" * len(COLUMNS)]
    lines += [f"| {name} | " + " | ".join(str(row[c]) for c in COLUMNS) + " |"
              for name, row in rows.items()]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.parallel_window_area",
                                     description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    info = machine_info()
    rows = {}
    for name, point in POINTS.items():
        rows[name] = measure(*point)
        print(name, {c: rows[name][c] for c in COLUMNS}, flush=True)
    path = write_result("parallel_window_area", render(rows, info),
                        {"machine": info, "max_w": MAX_W, "points": rows})
    print(f"written: {path}")


if __name__ == "__main__":
    main()
