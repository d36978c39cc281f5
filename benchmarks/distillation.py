"""Distillation: the co-designed model trained with and without a larger teacher, same budget.

    python -m benchmarks.distillation --iters 2000 --teacher-iters 2000

Trains the teacher (``--teacher-config``, default ``configs/bench_x2.yaml``: the 32-channel,
4-block binary model) for ``--teacher-iters``, or reuses its run when present, then the
chosen model (``--config``, default ``configs/pynq_z2_1080p60_x2.yaml``, the co-designed recipe)
for ``--iters`` iterations per variant: without a teacher, with the L1 to the teacher's SR
output, and with that plus the feature term at the matched block (train/distill.py; the
student's blocks matched with the teacher's by depth, maps summed over channels because the
widths differ). Every run has the same seed, data order, patches and cosine schedule, so
the variants differ only in the teacher's terms; the budget is a number of iterations, so
the machine's load does not change it (a distilled step also runs the teacher forward:
the minutes are reported). best.pth is chosen on the held-out validation images, Set5 and
Set14 x2 are only tested. Writes ``results/distillation.md/.json`` and
``results/distillation.png`` (validation PSNR vs iteration). Needs ../shared/data.
"""
import argparse
import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from benchmarks.common import RESULTS_DIR, machine_info, machine_line, write_result  # noqa: E402
from benchmarks.quality_budget import train_and_evaluate, validation_text  # noqa: E402
from train.cli import positive_int  # noqa: E402
from train.config import REPO_ROOT, load_config  # noqa: E402
from train.evaluate import DEFAULT_TEST_SETS  # noqa: E402

NAME = "distillation"
# variant -> (train.distill overrides beside the teacher, what it is), in the order they run
VARIANTS = {
    "plain": (None, "no teacher"),
    "output_features": ({"features": "spatial"}, "L1 to the teacher's output + feature term"),
    "output": ({"beta": 0.0}, "L1 to the teacher's output"),
}


def distill_overrides(variant, teacher, output_weight, beta):
    """The ``train.distill.*`` overrides of ``variant``."""
    extra = VARIANTS[variant][0]
    if extra is None:
        return {"train.distill.teacher": None}
    options = {"teacher": str(teacher), "output_weight": output_weight, "beta": beta, **extra}
    return {f"train.distill.{key}": value for key, value in options.items()}


def validation_curve(run):
    """(iterations, validation PSNR) of a run's val_log.csv."""
    with open(run / "val_log.csv", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return [int(r["iter"]) for r in rows], [float(r["psnr"]) for r in rows]


def plot_curves(curves, title, path):
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for variant, (iters, psnr) in curves.items():
        ax.plot(iters, psnr, marker="o", markersize=3, label=f"{variant}: {VARIANTS[variant][1]}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("validation PSNR Y (dB)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def psnr_ssim(result):
    return " | ".join(f"{result[s]['model_psnr']:.2f} / {result[s]['model_ssim']:.4f}"
                      for s in DEFAULT_TEST_SETS)


def gains(result, reference):
    return " / ".join(f"{result[s]['model_psnr'] - reference[s]['model_psnr']:+.2f}"
                      for s in DEFAULT_TEST_SETS)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="configs/pynq_z2_1080p60_x2.yaml",
                        help="the student: the model to distill into")
    parser.add_argument("--iters", type=positive_int, default=2000,
                        help="iterations of every student variant")
    parser.add_argument("--teacher-config", default="configs/bench_x2.yaml")
    parser.add_argument("--teacher-iters", type=positive_int, default=2000)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--output-weight", type=float, default=1.0,
                        help="train.distill.output_weight of the distilled variants")
    parser.add_argument("--beta", type=float, default=1e-4,
                        help="train.distill.beta of the feature term (FRB's DBT value)")
    parser.add_argument("--out", default="runs/bench", help="out_root of the training runs")
    args = parser.parse_args(argv)
    if "plain" not in args.variants:
        parser.error("--variants: 'plain' is the reference every gain is measured against")
    return args


def train_all(args):
    """Train and evaluate the teacher and every student variant: (teacher result, {variant:
    result}, {variant: validation curve}); a result holds "best_val_psnr" besides
    train_and_evaluate's."""
    out_root = Path(args.out).resolve()
    teacher_run, teacher = train_and_evaluate(REPO_ROOT / args.teacher_config,
                                              {"name": f"{NAME}_teacher"}, args.teacher_iters,
                                              out_root)
    teacher["best_val_psnr"] = max(validation_curve(teacher_run)[1])
    results, curves = {}, {}
    for variant in args.variants:
        overrides = {"name": f"{NAME}_{variant}",
                     **distill_overrides(variant, teacher_run / "best.pth", args.output_weight,
                                         args.beta)}
        run, results[variant] = train_and_evaluate(REPO_ROOT / args.config, overrides,
                                                   args.iters, out_root)
        curves[variant] = validation_curve(run)
        results[variant]["best_val_psnr"] = max(curves[variant][1])
    return teacher, results, curves


def report(args, teacher, results, png, info):
    """The result's Markdown."""
    student = load_config(REPO_ROOT / args.config)
    teacher_model, student_model = load_config(REPO_ROOT / args.teacher_config)["model"], \
        student["model"]
    bicubic = " | ".join(f"{teacher[s]['bicubic_psnr']:.2f} / {teacher[s]['bicubic_ssim']:.4f}"
                         for s in DEFAULT_TEST_SETS)
    rows = [f"| bicubic | | | | | {bicubic} | |",
            f"| teacher | `{args.teacher_config}` | {args.teacher_iters} | "
            f"{teacher['minutes']:.1f} | {teacher['best_val_psnr']:.2f} | {psnr_ssim(teacher)} | |"]
    rows += [f"| {variant}: {VARIANTS[variant][1]} | `{args.config}` | {args.iters} | "
             f"{r['minutes']:.1f} | {r['best_val_psnr']:.2f} | {psnr_ssim(r)} | "
             f"{gains(r, results['plain'])} |" for variant, r in results.items()]
    sets = " | ".join(f"{s} PSNR / SSIM" for s in DEFAULT_TEST_SETS)
    return "\n".join([
        f"# Distillation: {student_model['type']} {student_model['channels']} ch with and "
        f"without a teacher (x{student['scale']}, {student['color']})", "",
        f"Measured {machine_line(info)}.",
        f"Teacher `{args.teacher_config}` (`{teacher_model}`), {args.teacher_iters} iterations; "
        f"student `{args.config}` (`{student_model}`), {args.iters} iterations per variant, "
        "same seed, data order, patches and cosine schedule. Distilled variants add "
        f"output_weight {args.output_weight:g} x L1(SR, teacher SR) on pixels / 255; the "
        f"feature term adds beta {args.beta:g} x ||R_t - R_s||_2, R the L2-normalized "
        "channel sum of squared features (`features: spatial`: the teacher is wider), the "
        "student's block matched with the teacher's last. best.pth chosen on the validation "
        f"split ({validation_text(student)}); {' and '.join(DEFAULT_TEST_SETS)} only tested. "
        "Minutes: wall clock of training (1 torch thread), including validation; a distilled "
        "step also runs the teacher forward.", "",
        f"| run | config | iterations | train min | best val PSNR | {sets} | "
        "gain over no teacher (dB) |",
        "|---|---|---|---|---|" + "---|" * len(DEFAULT_TEST_SETS) + "---|",
        *rows, "",
        f"![validation PSNR vs iteration]({png.name})", ""])


def main(argv=None):
    args = parse_args(argv)
    teacher, results, curves = train_all(args)
    info, png = machine_info(), RESULTS_DIR / f"{NAME}.png"
    student = load_config(REPO_ROOT / args.config)
    plot_curves(curves, f"{student['name']} x{student['scale']}: with and without the teacher",
                png)
    markdown = report(args, teacher, results, png, info)
    data = {"machine": info,
            "teacher": {"config": args.teacher_config, "iters": args.teacher_iters, **teacher},
            "student": {"config": args.config, "model": student["model"], "iters": args.iters},
            "output_weight": args.output_weight, "beta": args.beta,
            "variants": {v: {"what": VARIANTS[v][1], **r, "curve_iter_psnr":
                             list(zip(*curves[v]))} for v, r in results.items()}}
    print(markdown)
    print(write_result(NAME, markdown, data))


if __name__ == "__main__":
    main()
