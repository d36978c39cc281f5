"""The co-design search (``python -m codesign``) end to end on a tiny space: two points,
a few iterations, 8x8 frames; a killed study resumes; bad input is refused or recorded."""
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
import yaml

from codesign.__main__ import main
from codesign.search import point_key
from train.config import REPO_ROOT

TINY_SPACE = {
    "name": "tiny", "train_config": "configs/tiny_test.yaml", "budget": {"iters": 4},
    "target": {"frame": [8, 8], "fps": 1000}, "verify_frame": [8, 8],
    "infeasible": "train", "test_sets": False, "sampler": {"type": "TPESampler", "seed": 0},
    "space": {"channels": [4, 8], "clock_mhz": [100]},
}


def write_space(folder, **changes):
    path = folder / "space.yaml"
    path.write_text(yaml.safe_dump({**TINY_SPACE, **changes}))
    return path


def load_study(out, name="tiny"):
    return optuna.load_study(study_name=name, storage=f"sqlite:///{out / 'study.db'}")


def run_cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "codesign", *map(str, args)], cwd=REPO_ROOT,
                          capture_output=True, text=True, **kwargs)


def test_search_runs_a_tiny_space_end_to_end(tmp_path):
    out = tmp_path / "out"
    assert main(["--space", str(write_space(tmp_path)), "--points", "2", "--out", str(out)]) == 0
    trials = load_study(out).get_trials(states=[optuna.trial.TrialState.COMPLETE])
    assert {t.params["channels"] for t in trials} == {4, 8}  # both points, each evaluated once
    for trial in trials:
        psnr, luts = trial.values
        attrs = trial.user_attrs
        assert attrs["exact"] is True  # the equivalence chain held at the verify frame
        assert luts == attrs["hardware"]["resources"]["LUT"] > 0
        assert psnr == attrs["training"]["val_psnr"]
        # 8x8 frames at 100 MHz: the cycle models meet 1000 frames/s easily
        assert attrs["hardware"]["fps"] >= 1000 and attrs["constraints"]["fps"] <= 0
        assert (out / "points" / attrs["point"] / "point.json").is_file()


def test_a_point_that_misses_the_frame_rate_is_pruned_with_its_bottleneck(tmp_path):
    out = tmp_path / "out"
    space = write_space(tmp_path, infeasible="prune", target={"frame": [8, 8], "fps": 1e9},
                        space={"channels": [4], "clock_mhz": [100]})
    assert main(["--space", str(space), "--points", "1", "--out", str(out)]) == 0
    trial, = load_study(out).trials
    assert trial.state == optuna.trial.TrialState.PRUNED
    reason = trial.user_attrs["pruned"]
    assert "frames/s < 1e+09 at 100 MHz: bottleneck" in reason and "cycles per 8x8" in reason
    # pruned before training: no training run
    assert not (out / "training").exists()


@pytest.mark.parametrize("change, message", [
    (dict(space={"channels": [4], "kernel": [3]}), "space.kernel: not a searchable option"),
    (dict(space={"channels": []}), "space.channels: must be a non-empty list"),
    (dict(budget={"iters": 0}), "budget.iters: too small for one iteration"),
    (dict(budget={"epochs": 3}), "budget: must be {iters: N} or {minutes: M}"),
    (dict(target={"frame": [8, 8], "fps": 1000, "device": "xc7z010"}),
     "target.device: unknown device"),
    (dict(train_config="configs/none.yaml"), "train_config: configs/none.yaml does not exist"),
])
def test_bad_space_is_one_error_line(tmp_path, change, message):
    result = run_cli("--space", write_space(tmp_path, **change), "--out", tmp_path / "out")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not (tmp_path / "out" / "study.db").exists()


def test_a_killed_study_resumes_and_the_point_continues_its_training(tmp_path):
    out = tmp_path / "out"
    space = write_space(tmp_path, budget={"iters": 400}, space={"channels": [4],
                                                                "clock_mhz": [100]})
    args = ["--space", space, "--points", "1", "--out", out, "--heartbeat", "1"]
    run = out / "training" / point_key({"channels": 4}) / "run"
    process = subprocess.Popen([sys.executable, "-m", "codesign", *map(str, args)],
                               cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 120
        while not (run / "last.pth").is_file():  # first checkpoint (100 of 400 iterations)
            assert process.poll() is None and time.time() < deadline, "no checkpoint"
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    killed, = load_study(out).trials
    assert killed.state == optuna.trial.TrialState.RUNNING
    time.sleep(2.5)  # past the grace period of two heartbeats
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    trials = load_study(out).trials
    states = [t.state for t in trials]
    assert states == [optuna.trial.TrialState.FAIL, optuna.trial.TrialState.COMPLETE]
    assert trials[1].params == killed.params
    # the retried point resumed its training from the killed run's checkpoint
    training = trials[1].user_attrs["training"]
    assert training["resumed_from_iteration"] >= 100 and training["iters"] == 400


def test_the_chosen_recipe_is_the_committed_checkpoints_model():
    from train.checkpoint import load_checkpoint, load_model
    from train.config import load_config
    config = load_config(REPO_ROOT / "configs" / "pynq_z2_1080p60_x2.yaml")
    checkpoint = REPO_ROOT / "checkpoints" / "pynq_z2_1080p60_x2.pth"
    saved = load_checkpoint(checkpoint)["config"]
    assert saved["model"] == config["model"]
    assert {k: saved["train"][k] for k in ("iters", "lr", "scheduler")} == \
        {k: config["train"][k] for k in ("iters", "lr", "scheduler")}
    assert load_model(checkpoint).scale == 2
