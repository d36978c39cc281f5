"""The whole flow, told briefly: each stage's tool output goes to a log file, the screen
gets what each stage made, where, PASS/FAIL and its key numbers, then one summary table.

    python -m flow.demo --run default_x2 --export exports/default_x2 --eval results/eval/default_x2

(``make demo`` passes its variables.) Each stage is the Makefile target of the same name,
so the demo runs exactly the commands a user would type; the logs land in
``results/demo/<run>/<stage>.log``. Stops at the first failing stage and names its log.
"""
import argparse
import csv
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

@dataclass(frozen=True)
class Paths:
    run: str  # the run's name (the config's `name`)
    export: Path
    eval: Path

    @property
    def run_dir(self):
        return Path("runs") / self.run

    @property
    def cosim(self):
        return Path("sim_build") / "accelerator" / "cosim.json"

    @property
    def area(self):
        return Path("results") / "area" / self.run

    @property
    def driver_report(self):
        return Path("results") / "driver" / f"{self.run}_sr.json"


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _read_json(path):
    return json.loads(Path(path).read_text())


def train_numbers(paths):
    rows = _read_csv(paths.run_dir / "val_log.csv")
    best = max(rows, key=lambda row: float(row["psnr"]))
    return (f"{rows[-1]['iter']} iterations; best validation PSNR {float(best['psnr']):.2f} dB "
            f"(iter {best['iter']}) -> best.pth")


def eval_numbers(paths):
    means = []
    for table in sorted(paths.eval.glob("*.csv")):
        mean = next(row for row in _read_csv(table) if row["image"] == "mean")
        means.append(f"{table.stem} {float(mean['model_psnr']):.2f} dB "
                     f"(bicubic {float(mean['bicubic_psnr']):.2f})")
    return "; ".join(means)


def export_numbers(paths):
    totals = _read_json(paths.export / "summary.json")["totals"]
    stages = _read_json(paths.export / "verification.json")["stages"]
    exact = sum(stage["differing"] == 0 for stage in stages)
    return (f"{totals['layers']} HW layers, {totals['binary_ops_per_lr_pixel']:g} XNOR ops + "
            f"{totals['int_macs_per_lr_pixel']:g} int MACs per LR pixel; {exact}/{len(stages)} "
            f"stages bit-exact")


def sim_numbers(paths):
    cosim = _read_json(paths.cosim)
    return (f"{cosim['frames']} frames exact; {cosim['frame_interval_cycles']} cycles/frame "
            f"(cycle model {cosim['model_interval_cycles']}, bottleneck {cosim['bottleneck']})")


def area_numbers(paths):
    area = _read_json(paths.area / "area.json")
    totals = area["totals"]
    luts = totals["LUT"] + totals["LUTRAM"]
    # area_report's LUT fraction counts LUTRAM: both occupy the xc7z020's LUTs
    return (f"{luts} LUT ({totals['LUT']} logic + {totals['LUTRAM']} LUTRAM, "
            f"{area['xc7z020_fraction']['LUT']:.1%} of a Pynq-Z2), {totals['FF']} FF, "
            f"{totals['BRAM18']} BRAM18, {totals['DSP48E1']} DSP")


def throughput_numbers(paths):
    report = _read_json(paths.driver_report)
    frames = ("as one whole frame" if report["frames"] == 1
              else f"in {report['frames']} frames ({report['split']})")
    return (f"real {report['lr_width']}x{report['lr_height']} LR image {frames}; "
            f"{report['device_lr_mpixel_per_s']:.3f} LR Mpixel/s of device time; whole image "
            f"{report['validate']} against the golden model")


@dataclass(frozen=True)
class Stage:
    target: str  # the Makefile target
    made: str  # what it writes, a format string over Paths
    numbers: object  # Paths -> one line of key numbers


STAGES = (
    Stage("train", "{p.run_dir}/", train_numbers),
    Stage("eval", "{p.eval}/", eval_numbers),
    Stage("export", "{p.export}/", export_numbers),
    Stage("sim", "{p.cosim}", sim_numbers),
    Stage("area", "{p.area}/area.md", area_numbers),
    Stage("throughput", "{p.driver_report}", throughput_numbers),
)


def run_stage(stage, paths, log_dir):
    """Run one stage with its output in a log; (passed, seconds, numbers or log hint)."""
    log = log_dir / f"{stage.target}.log"
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        code = subprocess.run(["make", "--no-print-directory", stage.target], stdout=out,
                              stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - started
    if code:
        return False, seconds, f"make {stage.target} failed (exit code {code}); see {log}"
    return True, seconds, stage.numbers(paths)


def summary_table(rows):
    lines = ["| stage | result | seconds | made | key numbers |", "|---|---|---:|---|---|"]
    lines += [f"| {target} | {'PASS' if passed else 'FAIL'} | {seconds:.0f} | {made} | "
              f"{numbers} |" for target, passed, seconds, made, numbers in rows]
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m flow.demo",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, help="the run's name (the config's `name`)")
    parser.add_argument("--export", required=True, help="export folder")
    parser.add_argument("--eval", required=True, help="evaluation output folder")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    paths = Paths(args.run, Path(args.export), Path(args.eval))
    log_dir = Path("results") / "demo" / args.run
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"tool logs: {log_dir}/<stage>.log")
    rows = []
    for stage in STAGES:
        print(f"{stage.target} ...", end=" ", flush=True)
        passed, seconds, numbers = run_stage(stage, paths, log_dir)
        made = stage.made.format(p=paths)
        print(f"{'PASS' if passed else 'FAIL'} ({seconds:.0f} s) -> {made}\n    {numbers}",
              flush=True)
        rows.append((stage.target, passed, seconds, made, numbers))
        if not passed:
            break
    table = summary_table(rows)
    (log_dir / "summary.md").write_text(table + "\n")
    print(f"\n{table}\n\n(also in {log_dir}/summary.md)")
    return 0 if all(row[1] for row in rows) and len(rows) == len(STAGES) else 1


if __name__ == "__main__":
    sys.exit(main())
