"""``python -m export --ckpt runs/x/best.pth --out exports/x``: export a trained model
to a FINN dataflow graph, summarise it and check the equivalence chain on a real frame.

The graph is built for a small verification frame (``--frame``); the hardware streams
whole frames up to ``--max-width`` wide, and the folding aims for ``--target-fps``
frames of the ``--video`` frame per second at ``--clock-mhz``."""
import json
import sys
from dataclasses import asdict
from pathlib import Path

from export.build import (DEFAULT_MAX_WIDTH, DEFAULT_VIDEO_HEIGHT, STEP_NAMES, ExportConfig,
                          export_model)
from export.equivalence import EquivalenceError, check_chain
from export.summary import write_summary
from train.checkpoint import load_model
from train.cli import (ArgumentParser, command, one_line, parse_frame, positive_float,
                       positive_int)
from train.data.datasets import real_frame

VERIFICATION_FILE = "verification.json"
DEFAULT_TARGET_FPS = 2.0  # video frames/s: the Makefile's default, see TARGET_FPS there


def parse_args(argv=None):
    parser = ArgumentParser(prog="python -m export", description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", required=True, help="training checkpoint (.pth)")
    parser.add_argument("--out", required=True, help="export folder (replaced when done)")
    parser.add_argument("--frame", type=parse_frame, default=(32, 32),
                        help="verification frame HxW (LR): the dataflow graph is built and "
                             "the equivalence chain checked on it (default 32x32)")
    parser.add_argument("--max-width", type=positive_int, default=DEFAULT_MAX_WIDTH,
                        help="widest LR frame the hardware takes; its line buffers hold "
                             f"rows this wide (default {DEFAULT_MAX_WIDTH})")
    parser.add_argument("--video", type=parse_frame,
                        help="LR video frame HxW that --target-fps counts (default "
                             f"{DEFAULT_VIDEO_HEIGHT}x<max width>)")
    parser.add_argument("--target-fps", type=positive_float, default=DEFAULT_TARGET_FPS,
                        help="video frames per second the folding aims for, at --clock-mhz "
                             f"(default {DEFAULT_TARGET_FPS:g})")
    parser.add_argument("--clock-mhz", type=positive_float, default=100.0,
                        help="clock the folding assumes (default 100 MHz)")
    parser.add_argument("--start-step", choices=STEP_NAMES)
    parser.add_argument("--stop-step", choices=STEP_NAMES)
    parser.add_argument("--no-verify", action="store_true",
                        help="skip the equivalence chain on a real image frame")
    return parser.parse_args(argv)


def finisher(torch_model, pixels, log=print):
    """Writes the summary and, given the real image frame ``pixels``, the verification
    of a complete export into the staging folder before it is moved into place."""

    def finish(model, staging):
        write_summary(model, staging)
        if pixels is not None:
            log("equivalence chain on a real image frame (elements differing from Brevitas):")
            results = check_chain(torch_model, staging, pixels, log)
            (staging / VERIFICATION_FILE).write_text(json.dumps(
                {"frame": list(pixels.shape), "stages": [asdict(r) for r in results]},
                indent=2) + "\n")

    return finish


@command
def main(argv=None):
    args = parse_args(argv)
    torch_model = load_model(args.ckpt)
    height, width = args.frame
    video_height, video_width = args.video or (DEFAULT_VIDEO_HEIGHT, args.max_width)
    cfg = ExportConfig(Path(args.out), height, width, args.target_fps, args.clock_mhz,
                       start_step=args.start_step, stop_step=args.stop_step,
                       max_width=args.max_width, video_height=video_height,
                       video_width=video_width)
    complete = args.stop_step in (None, STEP_NAMES[-1])
    # the frame is cut before the export, so a frame too large fails before any step
    pixels = None if args.no_verify else real_frame(height, width, torch_model.in_channels)
    try:
        export_model(torch_model, cfg, finisher(torch_model, pixels) if complete else None)
    except EquivalenceError as err:  # not the user's input: the flow itself is wrong
        print(f"error: {one_line(err)}", file=sys.stderr)
        return 1
    summary = Path(args.out) / "summary.md"
    if summary.is_file():
        print(summary.read_text())
    print(f"export written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
