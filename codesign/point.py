"""One design point: its hardware at the target (folding, frames/s, resources) and its
quality after the space's training budget, exact through export.

Hardware first, because it needs no training: the untrained model is exported at the
target frame (the FINN graph's shapes are the frame's, so the cycle models see the
real line lengths), folded by ``hw.set_folding.SetFolding`` for the target frame rate
at the point's clock, its integer MVAUs' products put in DSPs or LUTs for the device's
DSP budget (``hw.res_type.SetResType``), stitched, and each layer's ``expected_cycles``
(``hw/<kind>.py``, through ``hw.graph_layers``) gives the frame interval: the slowest
layer's cycles.
Resources come from ``hw.cost_model`` (an estimate calibrated against yosys).
"""
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from export.__main__ import finisher
from export.build import ExportConfig, export_model
from hw.artifacts import DATAFLOW_FILE
from hw.cost_model import estimate_design
from hw.stitch import stitch
from train.archs import build_model
from train.checkpoint import in_channels_of, load_checkpoint, load_model
from train.cli import read_onnx
from train.config import load_config, run_dir
from train.data.datasets import real_frame
from train.train import train

VALIDATIONS = 4  # validations (and checkpoints) per training run


def model_options(base_model: dict, params: dict) -> dict:
    """The base recipe's model with the point's model options."""
    return {**base_model, **{k: v for k, v in params.items() if k != "clock_mhz"}}


def quiet(*args, **kwargs):
    pass


def hardware(torch_model, target, clock_mhz, work: Path, dsp_budget: bool = True) -> dict:
    """Folding, cycles, frames/s and estimated resources of ``torch_model`` at the
    target frame and frame rate at ``clock_mhz``; ``dsp_budget`` False puts every
    integer product in a DSP48E1 instead of fitting the target's DSP limit."""
    height, width = target.frame
    budget = target.limits["DSP48E1"] if dsp_budget else None
    export_model(torch_model.eval(), ExportConfig(work / "target", height, width, target.fps,
                                                  clock_mhz, dsp_budget=budget), log=quiet)
    model = read_onnx(work / "target" / DATAFLOW_FILE)
    design = stitch(model, work / "rtl")
    bottleneck = design.bottleneck
    fps = clock_mhz * 1e6 / bottleneck.exp_cycles
    cost = estimate_design(model, design)
    totals = cost["totals"]
    return {"clock_mhz": clock_mhz, "fps": fps, "bottleneck": bottleneck.name,
            "bottleneck_kind": bottleneck.kind, "bottleneck_cycles": bottleneck.exp_cycles,
            "cycles": {inst.name: inst.exp_cycles for inst in design.layers},
            "resources": totals, "layers": cost["layers"],
            "constraints": constraint_values(fps, totals, target)}


def constraint_values(fps, totals, target) -> dict:
    """Optuna constraints (feasible when every value <= 0): frames/s short of the target,
    resources over ``max_fraction`` of the device, each as a fraction."""
    values = {"fps": (target.fps - fps) / target.fps}
    for res, limit in target.limits.items():
        values[res] = (totals[res] - limit) / limit
    return values


def infeasibility(hw: dict, target) -> str | None:
    """Why the point misses the target (naming the bottleneck or resource), else None."""
    reasons = []
    if hw["constraints"]["fps"] > 0:
        reasons.append(f"{hw['fps']:.1f} frames/s < {target.fps:g} at {hw['clock_mhz']:g} MHz: "
                       f"bottleneck {hw['bottleneck']} ({hw['bottleneck_kind']}) needs "
                       f"{hw['bottleneck_cycles']:,} cycles per {target.frame[1]}x"
                       f"{target.frame[0]} frame")
    for res, limit in target.limits.items():
        if hw["resources"][res] > limit:
            reasons.append(f"{res} {hw['resources'][res]:,} > {target.max_fraction:.0%} of "
                           f"{target.device} ({limit:,.0f})")
    return "; ".join(reasons) or None


def training_config(space, params, name, out_root, iters):
    """The space's training recipe for this point: its model options, ``iters``
    iterations with a cosine schedule, bundled photos when the recipe's folders are
    absent (held-out validation split in both cases, never a test set)."""
    base = load_config(space.train_config)
    overrides = {"name": name, "out_root": str(out_root),
                 "model": model_options(base["model"], params),
                 "train.iters": iters, "train.val_every": max(1, iters // VALIDATIONS),
                 "train.ckpt_every": max(1, iters // VALIDATIONS),
                 "train.log_every": max(1, iters // VALIDATIONS),
                 "train.scheduler": {"type": "CosineAnnealingLR", "T_max": iters,
                                     "eta_min": 1e-6}}
    folders = base["data"]["train"]["folders"]
    if folders and not all(Path(f).is_dir() for f in folders):
        overrides.update({"data.train.folders": None, "data.val.split": 1,
                          "data.val.split_from": None, "data.val.folder": None})
    return load_config(space.train_config, overrides)


def iterations(space, params) -> int:
    """Training iterations of this point: the budget's, or as many as its minutes allow
    at the step time measured here (0 when not even one fits)."""
    if "iters" in space.budget:
        return space.budget["iters"]
    from benchmarks.quality_budget import iterations_for
    config = training_config(space, params, "timing", tempfile.gettempdir(), 1)
    return iterations_for(config, space.budget["minutes"])[0]


def untrained_model(space, params):
    config = load_config(space.train_config)
    torch.manual_seed(config["seed"])
    return build_model(model_options(config["model"], params), config["scale"],
                       in_channels_of(config["color"]))


def train_point(space, params, folder: Path, iters: int) -> dict:
    """Train (or resume, or reuse) the point's run in ``folder``; best.pth is chosen on
    the held-out validation split."""
    config = training_config(space, params, "run", folder, iters)
    run = run_dir(config)
    started = time.perf_counter()
    last = run / "last.pth"
    done = load_checkpoint(last)["iteration"] if last.is_file() else 0
    if done < iters:
        train(config, resume=last.is_file())
    val = np.genfromtxt(run / "val_log.csv", delimiter=",", names=True, ndmin=1)
    return {"run": str(run), "iters": iters, "resumed_from_iteration": done,
            "train_minutes": float(val["seconds"][-1]) / 60,
            "wall_minutes_here": (time.perf_counter() - started) / 60,
            "val_psnr": float(np.max(val["psnr"])),
            "data": "bundled photos" if config["data"]["train"]["folders"] is None
            else "train folders of " + space.train_config.name, "config": config}


def verify_export(checkpoint: Path, frame, out: Path) -> dict:
    """Export the checkpoint at the verification frame with the equivalence chain
    (``export.equivalence``: raises EquivalenceError unless every stage is exact)."""
    torch_model = load_model(checkpoint)
    pixels = real_frame(*frame, torch_model.in_channels)
    export_model(torch_model, ExportConfig(out, *frame, target_fps=1000.0),
                 finisher(torch_model, pixels, log=quiet), log=quiet)
    return json.loads((out / "verification.json").read_text())


def test_quality(checkpoint: Path, out: Path) -> dict:
    """Mean PSNR/SSIM of model and bicubic per test set: Set5/Set14 when ../shared/data
    exists, else the bundled photos the run neither trained nor validated on."""
    from train.evaluate import _test_sets, evaluate_model
    model = load_model(checkpoint)
    with _test_sets(None, lambda: load_checkpoint(checkpoint)["config"]) as sets:
        rows = evaluate_model(model, sets, out, crops=False)
    means = {}
    for name in dict.fromkeys(r["set"] for r in rows):
        group = [r for r in rows if r["set"] == name]
        means[name] = {k: float(np.mean([r[k] for r in group]))
                       for k in ("bicubic_psnr", "bicubic_ssim", "model_psnr", "model_ssim")}
    return means
