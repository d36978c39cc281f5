"""``python -m export --ckpt runs/x/best.pth --out exports/x``: export a trained model
to a FINN dataflow graph, summarise it and check the equivalence chain on a real frame."""
import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from export.build import STEP_NAMES, ExportConfig, ExportError, export_model
from export.equivalence import EquivalenceError, check_chain, real_frame
from export.summary import write_summary
from train.checkpoint import load_model
from train.registry import ConfigError

VERIFICATION_FILE = "verification.json"


def parse_frame(text):
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"frame size must be HxW, e.g. 64x64, got {text!r}")
    if height < 1 or width < 1:
        raise argparse.ArgumentTypeError(f"frame size must be positive, got {text!r}")
    return height, width


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m export", description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", required=True, help="training checkpoint (.pth)")
    parser.add_argument("--out", required=True, help="export folder (replaced when done)")
    parser.add_argument("--frame", type=parse_frame, default=(32, 32),
                        help="LR frame (tile) size HxW the dataflow graph is built for "
                             "(default 32x32)")
    parser.add_argument("--target-fps", type=float, default=1000.0,
                        help="frames per second the folding aims for (default 1000)")
    parser.add_argument("--clock-mhz", type=float, default=100.0,
                        help="clock the folding assumes (default 100 MHz)")
    parser.add_argument("--start-step", choices=STEP_NAMES)
    parser.add_argument("--stop-step", choices=STEP_NAMES)
    parser.add_argument("--no-verify", action="store_true",
                        help="skip the equivalence chain on a real image frame")
    return parser.parse_args(argv)


def finisher(torch_model, cfg, verify, log=print):
    """Writes the summary and the verification of a complete export into the staging
    folder before it is moved into place."""

    def finish(model, staging):
        write_summary(model, staging)
        if verify:
            log("equivalence chain on a real image frame (elements differing from Brevitas):")
            pixels = real_frame(cfg.frame_height, cfg.frame_width, torch_model.in_channels)
            results = check_chain(torch_model, staging, pixels, log)
            (staging / VERIFICATION_FILE).write_text(json.dumps(
                {"frame": list(pixels.shape), "stages": [asdict(r) for r in results]},
                indent=2) + "\n")

    return finish


def main(argv=None):
    args = parse_args(argv)
    try:
        torch_model = load_model(args.ckpt)
        height, width = args.frame
        cfg = ExportConfig(Path(args.out), height, width, args.target_fps, args.clock_mhz,
                           start_step=args.start_step, stop_step=args.stop_step)
        complete = args.stop_step in (None, STEP_NAMES[-1])
        finish = finisher(torch_model, cfg, not args.no_verify) if complete else None
        export_model(torch_model, cfg, finish)
    except (ConfigError, ExportError, EquivalenceError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    summary = Path(args.out) / "summary.md"
    if summary.is_file():
        print(summary.read_text())
    print(f"export written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
