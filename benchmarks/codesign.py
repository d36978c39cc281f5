"""The co-design search's result: every evaluated point, the Pareto front, the chosen point.

    python -m codesign --space configs/codesign/pynq_z2_x2.yaml --points 12   # the search
    python -m benchmarks.codesign --space configs/codesign/pynq_z2_x2.yaml    # this report

Reads the study (``--storage``, default the search's SQLite file) and writes
``results/codesign.{md,json,png}``: per point its options, validation PSNR (the search's
objective, on images held out of training), PSNR/SSIM on Set5/Set14 x2 (or the bundled
held-out photos without ../shared/data), LUT (LUTRAM included), FF, BRAM18, DSP from
the cost model (``hw/cost_model.py``, calibrated against yosys), frames/s at the
target frame from the cycle models, clock and training minutes; the Pareto front as a
PNG (PSNR against LUT, the 80% LUT line, frames/s as colour); the chosen point: the
feasible Pareto point of highest validation PSNR.
"""
import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import optuna  # noqa: E402

from benchmarks.common import RESULTS_DIR, machine_info, machine_line, write_result  # noqa: E402
from codesign.search import constraints, feasible_front  # noqa: E402
from codesign.space import load_space  # noqa: E402
from train.config import REPO_ROOT  # noqa: E402

NAME = "codesign"


def point_rows(study) -> list:
    """One row per distinct point that reached the hardware evaluation (``trials``: the
    trials that proposed it; a point proposed again is read back, not re-evaluated)."""
    front = {t.number for t in study.best_trials}
    rows, seen = [], {}
    for trial in study.trials:
        attrs = trial.user_attrs
        if "hardware" not in attrs:
            continue
        if attrs["point"] in seen:
            seen[attrs["point"]]["trials"].append(trial.number)
            seen[attrs["point"]]["pareto"] |= trial.number in front
            continue
        rows.append({"trial": trial.number, "trials": [trial.number],
                     "state": trial.state.name, "params": trial.params,
                     "hardware": attrs["hardware"], "training": attrs.get("training"),
                     "test": attrs.get("test"), "exact": attrs.get("exact"),
                     "pruned": attrs.get("pruned"), "pareto": trial.number in front,
                     "feasible": all(v <= 0 for v in constraints(trial))})
        seen[attrs["point"]] = rows[-1]
    return rows


def chosen_row(study, rows):
    front = sorted(feasible_front(study), key=lambda t: -t.values[0])
    return next((r for r in rows if front and front[0].number in r["trials"]), None)


def _test_cells(row, sets):
    cells = []
    for name in sets:
        m = (row["test"] or {}).get(name)
        cells.append(f"{m['model_psnr']:.2f} / {m['model_ssim']:.4f} "
                     f"({m['model_psnr'] - m['bicubic_psnr']:+.2f})" if m else "")
    return cells


def markdown(space, rows, chosen, info, png) -> str:
    sets = list(dict.fromkeys(name for r in rows for name in (r["test"] or {})))
    options = list(space.choices)
    header = ["trials", *options, "val PSNR", *[f"{s} PSNR / SSIM (vs bicubic)" for s in sets],
              "LUT", "FF", "BRAM18", "DSP", "frames/s", "bottleneck", "train min", "iters",
              "exact", "status"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        hw, tr = r["hardware"], r["training"] or {}
        res = hw["resources"]
        status = r["pruned"] or ("Pareto, feasible" if r["pareto"] and r["feasible"] else
                                 "feasible" if r["feasible"] else "misses the target")
        lines.append("| " + " | ".join(map(str, [
            ", ".join(map(str, r["trials"])), *[r["params"].get(o, "") for o in options],
            f"{tr['val_psnr']:.2f}" if tr else "", *_test_cells(r, sets),
            f"{res['LUT']:,}", f"{res['FF']:,}", res["BRAM18"], res["DSP48E1"],
            f"{hw['fps']:.1f}", hw["bottleneck"], f"{tr['train_minutes']:.1f}" if tr else "",
            tr.get("iters", ""), r["exact"] if r["exact"] is not None else "", status])) + " |")
    target = space.target
    limits = ", ".join(f"{res} {limit:,.0f}" for res, limit in target.limits.items())
    summary = (f"**Chosen point: trial {chosen['trial']}** ({chosen['params']}): "
               f"validation {chosen['training']['val_psnr']:.2f} dB, "
               f"{chosen['hardware']['resources']['LUT']:,} LUT, "
               f"{chosen['hardware']['fps']:.1f} frames/s." if chosen else
               f"**No point meets {target.fps:g} frames/s at {target.frame[1]}x{target.frame[0]} "
               f"within {target.max_fraction:.0%} of the {target.device}**: no point is chosen. "
               "The best frame rate any point reaches is "
               f"{max(r['hardware']['fps'] for r in rows):.1f} frames/s "
               f"(bottlenecks: {', '.join(sorted({r['hardware']['bottleneck_kind'] for r in rows}))}).")
    return "\n".join([
        f"# Co-design search: {space.name}", "",
        f"Measured {machine_line(info)}.",
        f"Space `{space.path.relative_to(REPO_ROOT) if space.path.is_relative_to(REPO_ROOT) else space.path}`; "
        f"target {target.frame[1]}x{target.frame[0]} LR at {target.fps:g} frames/s within "
        f"{target.max_fraction:.0%} of the {target.device} ({limits}). Training per point: "
        f"budget {space.budget} on `{space.train_config.name}`'s data, best.pth chosen on its "
        "held-out validation split (the search's PSNR objective); test sets only tested.",
        "Frames/s: the cycle models (`hw/<kind>.expected_cycles`) of the graph folded by "
        "`hw.set_folding.SetFolding` for the target at the point's clock; the frame "
        "interval is the slowest layer's cycles. LUT (logic + LUTRAM), FF, BRAM18, DSP: "
        "`hw/cost_model.py`, an estimate calibrated against yosys per layer kind, not "
        "synthesis of these designs. Exact: the equivalence chain held at the verify frame.",
        "", *lines, "", summary, "", f"![Pareto front]({png.name})", ""])


def plot(space, rows, chosen, path):
    trained = [r for r in rows if r["training"]]
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    if trained:
        fps = [r["hardware"]["fps"] for r in trained]
        points = ax.scatter([r["hardware"]["resources"]["LUT"] for r in trained],
                            [r["training"]["val_psnr"] for r in trained], c=fps, cmap="viridis",
                            s=[60 if r["feasible"] else 30 for r in trained],
                            marker="o", edgecolors="k", linewidths=0.4)
        fig.colorbar(points, ax=ax, label=f"frames/s at {space.target.frame[1]}x"
                                          f"{space.target.frame[0]} (target {space.target.fps:g})")
        front = sorted((r for r in trained if r["pareto"]),
                       key=lambda r: r["hardware"]["resources"]["LUT"])
        ax.plot([r["hardware"]["resources"]["LUT"] for r in front],
                [r["training"]["val_psnr"] for r in front], "k--", lw=0.8,
                label="Pareto front (validation PSNR, LUT)")
        for r in trained:
            p = r["params"]
            ax.annotate(f"{p.get('channels', '')}c{p.get('blocks', '')}b", fontsize=6,
                        xy=(r["hardware"]["resources"]["LUT"], r["training"]["val_psnr"]),
                        xytext=(3, 3), textcoords="offset points")
    if chosen:
        ax.scatter([chosen["hardware"]["resources"]["LUT"]], [chosen["training"]["val_psnr"]],
                   s=200, facecolors="none", edgecolors="r", label="chosen")
    ax.axvline(space.target.limits["LUT"], color="r", linestyle=":",
               label=f"{space.target.max_fraction:.0%} of {space.target.device} LUT")
    ax.set_xscale("log")
    ax.set_xlabel("LUT incl. LUTRAM (cost model)")
    ax.set_ylabel("validation PSNR, Y (dB)")
    ax.set_title(f"{space.name}: {len(trained)} trained points", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", required=True)
    parser.add_argument("--storage", help="default: sqlite of runs/codesign/<name>/study.db")
    args = parser.parse_args(argv)
    space = load_space(args.space)
    storage = args.storage or \
        f"sqlite:///{REPO_ROOT / 'runs' / 'codesign' / space.name / 'study.db'}"
    study = optuna.load_study(study_name=space.name, storage=storage)
    rows = point_rows(study)
    chosen = chosen_row(study, rows)
    png = RESULTS_DIR / f"{NAME}.png"
    plot(space, rows, chosen, png)
    info = machine_info()
    text = markdown(space, rows, chosen, info, png)
    path = write_result(NAME, text, {"machine": info, "space": str(space.path),
                                     "target": vars(space.target), "budget": space.budget,
                                     "points": rows, "chosen": chosen,
                                     "trials": len(study.trials)})
    print(text)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
