"""``python -m codesign --space configs/codesign/pynq_z2_x2.yaml --points 12``:
search a binary SR design space for the best PSNR per LUT at a target frame rate.

Optuna study (multi-objective: validation PSNR up, LUT down; frames/s at the target
frame and the device's resource fraction as constraints) in ``--storage`` (default
``sqlite:///<out>/study.db``). Re-running the same command continues the study; give
several machines the same server storage URL to search together. Per point:
``<out>/points/<point>/`` (training run, verified export, point.json).
"""
import sys
from pathlib import Path

from codesign.search import OBJECTIVES, feasible_front, run_search
from codesign.space import load_space
from train.cli import ArgumentParser, command, positive_float, positive_int
from train.config import REPO_ROOT


def parse_args(argv=None):
    parser = ArgumentParser(prog="python -m codesign", description=__doc__.splitlines()[0])
    parser.add_argument("--space", required=True, help="search space YAML (configs/codesign/)")
    parser.add_argument("--points", type=positive_int, default=12,
                        help="distinct finished (complete or pruned) points the study should "
                             "hold (default 12); a point proposed again is read back")
    parser.add_argument("--out", help="folder of the points (default runs/codesign/<name>)")
    parser.add_argument("--storage",
                        help="Optuna storage URL (default sqlite:///<out>/study.db)")
    parser.add_argument("--heartbeat", type=positive_float, default=60.0,
                        help="seconds between trial heartbeats; a trial silent for two is "
                             "failed and its point retried (default 60)")
    return parser.parse_args(argv)


def describe(trial) -> str:
    hw = trial.user_attrs.get("hardware", {})
    return (f"trial {trial.number}: {trial.user_attrs.get('point')}: "
            + ", ".join(f"{name} {value:,.2f}" for name, value in zip(OBJECTIVES, trial.values))
            + f", {hw.get('fps', 0):.1f} frames/s at {hw.get('clock_mhz', 0):g} MHz")


@command
def main(argv=None):
    args = parse_args(argv)
    space = load_space(args.space)
    out = Path(args.out) if args.out else REPO_ROOT / "runs" / "codesign" / space.name
    out.mkdir(parents=True, exist_ok=True)
    storage = args.storage or f"sqlite:///{out.resolve() / 'study.db'}"
    study = run_search(space, out, storage, args.points, args.heartbeat)
    front = feasible_front(study)
    print(f"{len(front)} feasible Pareto-optimal point(s) of {len(study.trials)} trials"
          + (":" if front else f" (none meets {space.target.fps:g} frames/s at "
                               f"{space.target.frame[1]}x{space.target.frame[0]} within "
                               f"{space.target.max_fraction:.0%} of {space.target.device}; "
                               "see each trial's 'pruned' or 'infeasible' reason)"))
    for trial in front:
        print("  " + describe(trial))
    return 0


if __name__ == "__main__":
    sys.exit(main())
