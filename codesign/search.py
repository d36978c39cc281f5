"""The design-space search as an Optuna study: PSNR up, LUT down, the target frame rate
and the device's resource fraction as constraints.

Every trial is one point (``codesign/point.py``) in ``<out>/points/<key>/``: its
verified export and ``point.json``; its training run (resumable) is in
``<out>/training/<model key>/``, shared by points that differ only in clock. A point seen before
(a repeated sample, a retried trial) is read back, not recomputed. The study lives in
the storage URL (SQLite by default), so a killed search continues where it stopped:
the heartbeat marks the killed trial failed and ``RetryFailedTrialCallback`` queues
its point again, whose training resumes from its ``last.pth``. Several machines run
the same study by giving every one the same storage URL (a server database such as
PostgreSQL or MySQL; SQLite only on one machine).
"""
import json
import os
import tempfile
from pathlib import Path

import optuna

from codesign import point
from codesign.space import Space
from export.equivalence import EquivalenceError
from train.cli import UserError, one_line
from train.registry import ConfigError

OBJECTIVES = ("val_psnr", "LUT")
DIRECTIONS = ("maximize", "minimize")
CONSTRAINTS = ("fps", "LUT", "FF", "BRAM18", "DSP48E1")
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def point_key(params: dict) -> str:
    """A readable, stable folder name of a point: option=value pairs in option order."""
    return "_".join(f"{k}-{v}" for k, v in sorted(params.items())).replace("/", "-")


def constraints(trial) -> list:
    """Optuna ``constraints_func``: each value <= 0 when met; a point without hardware
    numbers (it did not build) violates them all."""
    values = trial.user_attrs.get("constraints")
    return [values[k] for k in CONSTRAINTS] if values else [1.0] * len(CONSTRAINTS)


def make_sampler(space: Space):
    options = {k: v for k, v in space.sampler.items() if k != "type"}
    try:
        return getattr(optuna.samplers, space.sampler["type"])(constraints_func=constraints,
                                                               **options)
    except TypeError as err:
        raise ConfigError(f"{space.path}: sampler: {one_line(err)}") from None


def open_study(space: Space, storage_url: str, heartbeat: float):
    """The study named after the space in ``storage_url`` (created or continued)."""
    try:
        storage = optuna.storages.RDBStorage(
            storage_url, heartbeat_interval=heartbeat, grace_period=2 * heartbeat,
            heartbeat_stale_trial_callback=optuna.storages.RetryFailedTrialCallback(max_retry=3))
        return optuna.create_study(study_name=space.name, storage=storage,
                                   directions=list(DIRECTIONS), sampler=make_sampler(space),
                                   load_if_exists=True)
    except (ValueError, ImportError, optuna.exceptions.OptunaError) as err:
        raise UserError(f"storage {storage_url}: {one_line(err)}") from None
    except Exception as err:  # sqlalchemy: unreachable or unwritable database
        raise UserError(f"storage {storage_url}: {one_line(err)[:300]}") from None


# a sampler that keeps proposing points it has seen stops after this many trials per point
TRIALS_PER_POINT = 4


def distinct_points(study) -> int:
    """Distinct points among the finished (complete or pruned) trials: a sampler may
    propose a point again, which is read back and does not count twice."""
    return len({point_key(t.params) for t in study.get_trials(deepcopy=False, states=FINISHED)})


def stop_at(points: int):
    def callback(study, trial):
        if distinct_points(study) >= points:
            study.stop()
    return callback


def run_search(space: Space, out: Path, storage_url: str, points: int, heartbeat: float,
               log=print):
    """Run the study until it holds ``points`` distinct finished points."""
    study = open_study(space, storage_url, heartbeat)
    study.set_metric_names(list(OBJECTIVES))
    if distinct_points(study) < points:
        log(f"study {space.name} in {storage_url}: {distinct_points(study)} distinct points "
            f"finished, running until {points}")
        study.optimize(lambda trial: objective(trial, space, out, log),
                       n_trials=TRIALS_PER_POINT * points, callbacks=[stop_at(points)])
    return study


def objective(trial, space: Space, out: Path, log=print):
    params = {opt: trial.suggest_categorical(opt, values) for opt, values in space.choices.items()}
    folder = out / "points" / point_key(params)
    record = read_record(folder)
    if record is None:
        record = evaluate(space, params, folder, log)
        write_record(folder, record)
    for key in ("point", "hardware", "constraints", "infeasible", "training", "test", "exact",
                "pruned"):
        if key in record:
            trial.set_user_attr(key, record[key])
    if record.get("pruned"):
        log(f"trial {trial.number} {record['point']}: pruned: {record['pruned']}")
        raise optuna.TrialPruned(record["pruned"])
    log(f"trial {trial.number} {record['point']}: val PSNR {record['training']['val_psnr']:.2f} dB, "
        f"{record['hardware']['resources']['LUT']:,} LUT, {record['hardware']['fps']:.1f} frames/s")
    return record["training"]["val_psnr"], record["hardware"]["resources"]["LUT"]


def evaluate(space, params, folder: Path, log=print) -> dict:
    """The record of one point; ``pruned`` names why it is not a point (cannot build,
    misses the target under ``infeasible: prune``, budget, not exact)."""
    record = {"point": point_key(params), "params": params}
    clock = params.get("clock_mhz", 100.0)
    try:
        model = point.untrained_model(space, params)
    except (ValueError, ConfigError) as err:
        return {**record, "pruned": f"model does not build: {one_line(err)}"}
    try:
        with tempfile.TemporaryDirectory(prefix="codesign_") as work:
            hw = point.hardware(model, space.target, clock, Path(work))
    except UserError as err:  # the export or the RTL refuses a layer, named
        return {**record, "pruned": f"hardware does not build: {one_line(err)}"}
    record.update(hardware=_summary(hw), constraints=hw["constraints"])
    reason = point.infeasibility(hw, space.target)
    record["infeasible"] = reason
    if reason and space.infeasible == "prune":
        return {**record, "pruned": f"misses the target: {reason}"}
    iters = point.iterations(space, params)
    if iters < 1:
        return {**record, "pruned": f"budget.minutes {space.budget['minutes']} is too small for "
                                    "one training iteration of this point"}
    log(f"point {record['point']}: training {iters} iterations")
    # points that differ only in clock share one training run
    model_params = {k: v for k, v in params.items() if k != "clock_mhz"}
    training = point.train_point(space, params, out_of(folder) / "training" /
                                 point_key(model_params), iters)
    checkpoint = Path(training.pop("run")) / "best.pth"
    training.pop("config")
    record["training"] = training
    try:
        verification = point.verify_export(checkpoint, space.verify_frame, folder / "export")
    except EquivalenceError as err:
        return {**record, "exact": False, "pruned": f"not exact through export: {one_line(err)}"}
    record["exact"] = all(stage["differing"] == 0 for stage in verification["stages"])
    with tempfile.TemporaryDirectory(prefix="codesign_") as work:  # the trained weights
        hw = point.hardware(point.load_model(checkpoint), space.target, clock, Path(work))
    record.update(hardware=_summary(hw), constraints=hw["constraints"],
                  infeasible=point.infeasibility(hw, space.target), layers=hw["layers"],
                  cycles=hw["cycles"], checkpoint=str(checkpoint))
    if space.test_sets:
        record["test"] = point.test_quality(checkpoint, folder / "test")
    return record


def out_of(point_folder: Path) -> Path:
    """The search's folder of a point's folder ``<out>/points/<key>``."""
    return point_folder.parents[1]


def _summary(hw: dict) -> dict:
    return {k: hw[k] for k in ("clock_mhz", "fps", "bottleneck", "bottleneck_kind",
                               "bottleneck_cycles", "resources")}


def read_record(folder: Path):
    path = folder / "point.json"
    return json.loads(path.read_text()) if path.is_file() else None


def write_record(folder: Path, record: dict):
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "point.json.tmp"
    tmp.write_text(json.dumps(record, indent=1, default=str) + "\n")
    os.replace(tmp, folder / "point.json")


def feasible_front(study) -> list:
    """The study's Pareto-optimal trials that meet every constraint."""
    return [t for t in study.best_trials if all(v <= 0 for v in constraints(t))]
