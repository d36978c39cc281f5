"""``python -m codesign.calibrate``: measure the cost model's samples again with yosys.

Untrained models of CALIBRATION_POINTS are exported for a 4-row frame of the target
width (the line buffers' width is the hardware's; the height changes no RTL), folded
for a number of cycles per LR pixel at 200 MHz (the parallel window appears below 9),
stitched, and up to ``--per-kind`` instances per layer kind (spread in size) are
synthesized (``hw.cost_model.calibrate``); binary MVAUs above ``--max-lanes`` come from
the committed popcount benchmark instead. Each graph is also stitched with every integer
MVAU's resType "lut" (LUT shift-add and constant products). ``--kinds`` measures only
those kinds again, keeping the other samples. Writes ``hw/cost_model_calibration.json``.
"""
import argparse
import sys
import tempfile
from pathlib import Path

import torch

from export.build import ExportConfig, export_model
from hw.artifacts import DATAFLOW_FILE
from hw.cost_model import CALIBRATION_FILE, calibrate, error_table
from hw.res_type import with_res_type
from train.archs import build_model
from train.cli import read_onnx

# (BinarySRResNet options, cycles per LR pixel): small to large layers, folded to unfolded
CALIBRATION_POINTS = [
    ({"channels": 8, "blocks": 1}, 64), ({"channels": 8, "blocks": 1}, 9),
    ({"channels": 32, "blocks": 1, "convs_per_block": 1}, 64),
    ({"channels": 32, "blocks": 1, "convs_per_block": 1}, 9),
    ({"channels": 8, "blocks": 1}, 3), ({"channels": 16, "blocks": 1, "convs_per_block": 1}, 2),
    ({"channels": 32, "blocks": 1, "convs_per_block": 1}, 1),
]
FRAME_HEIGHT, CLOCK_MHZ = 4, 200.0


def calibration_graphs(work: Path, width: int) -> list:
    graphs = []
    for index, (options, cycles_per_pixel) in enumerate(CALIBRATION_POINTS):
        torch.manual_seed(index)
        model = build_model({"type": "BinarySRResNet", **options}, 2, 1).eval()
        fps = CLOCK_MHZ * 1e6 / (cycles_per_pixel * FRAME_HEIGHT * width)
        out = work / str(index)
        export_model(model, ExportConfig(out, FRAME_HEIGHT, width, fps, CLOCK_MHZ),
                     log=lambda *a: None)
        graphs.append(read_onnx(out / DATAFLOW_FILE))
        graphs.append(with_res_type(read_onnx(out / DATAFLOW_FILE), "lut"))
    return graphs



def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m codesign.calibrate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=960, help="LR frame width (default 960)")
    parser.add_argument("--per-kind", type=int, default=6)
    parser.add_argument("--max-lanes", type=int, default=1200)
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    parser.add_argument("--kinds", nargs="+", metavar="KIND",
                        help='only these layer kinds, e.g. "integer MVAU (LUT)" (default: all)')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="calibrate_") as work:
        samples = calibrate(calibration_graphs(Path(work), args.width), args.out,
                            args.max_lanes, args.per_kind, kinds=args.kinds)
    print(error_table(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
