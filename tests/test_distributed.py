"""Data-parallel training under torchrun: two CPU processes on gloo, kill and resume."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.test_train import assert_same_tree, read_csv, tiny_variant
from train.checkpoint import load_checkpoint
from train.config import REPO_ROOT


def torchrun(config, out, *extra):
    """The torchrun command line of a 2-process CPU run of ``config``."""
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            "--nproc_per_node", "2", "-m", "train.train", "--config", str(config),
            "--out", str(out), *extra]


def run_to_end(command):
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    return result


@pytest.fixture(scope="module")
def ddp_config(tmp_path_factory):
    """tiny_test with enough iterations to be killed mid-run and frequent checkpoints."""
    folder = tmp_path_factory.mktemp("ddp")
    return tiny_variant(folder, {"train": {"iters": 120, "ckpt_every": 10, "val_every": 60,
                                           "scheduler": {"type": "MultiStepLR",
                                                         "milestones": [50], "gamma": 0.5}}})


@pytest.fixture(scope="module")
def ddp_run(ddp_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp_straight")
    result = run_to_end(torchrun(ddp_config, out))
    assert result.returncode == 0, result.stderr
    return out / "tiny_test", result


def test_two_processes_share_batches_and_the_main_one_writes(ddp_run):
    run, result = ddp_run
    checkpoint = load_checkpoint(run / "last.pth")
    assert checkpoint["iteration"] == 120
    assert len(checkpoint["rng_state"]) == 2  # one per process, for an exact resume
    assert [int(row["iter"]) for row in read_csv(run / "val_log.csv")] == [60, 120]
    assert result.stdout.count("tiny_test: 120 iters") == 1


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_weights(ddp_config, ddp_run, tmp_path):
    process = subprocess.Popen(torchrun(ddp_config, tmp_path), cwd=REPO_ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    last = tmp_path / "tiny_test" / "last.pth"
    killed_at = _kill_after_first_checkpoint(process, last)
    assert 0 < killed_at < 120, "the run must be killed between checkpoints and the end"
    result = run_to_end(torchrun(ddp_config, tmp_path, "--resume"))
    assert result.returncode == 0, result.stderr
    resumed = load_checkpoint(last)
    straight = load_checkpoint(ddp_run[0] / "last.pth")
    for entry in ("model", "optimizer", "scheduler", "rng_state", "data_state"):
        assert_same_tree(resumed[entry], straight[entry], entry)


def _kill_after_first_checkpoint(process, last, timeout=120):
    """SIGKILL the whole torchrun group once ``last`` exists; the checkpointed iteration."""
    deadline = time.monotonic() + timeout
    while not last.exists():
        assert process.poll() is None, "the run ended before its first checkpoint"
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return load_checkpoint(last)["iteration"]


def test_batch_not_divisible_by_the_processes_is_one_error_line(tmp_path):
    config = tiny_variant(tmp_path, {"data": {"train": {"folders": None, "patch_size": 16,
                                                        "batch_size": 3, "repeat": 2},
                                              "val": {"folder": None, "max_images": 1}}})
    result = run_to_end(torchrun(config, tmp_path / "out"))
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors and all("'data.train.batch_size' 3 is not divisible by the 2 training "
                          "processes" in line for line in errors)
    assert not (tmp_path / "out").exists()
