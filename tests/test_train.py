"""Training loop: outputs of a run, bit-exact resume, checkpoint checks, CLI errors."""
import contextlib
import csv
import io

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from train.archs import build_model
from train.checkpoint import load_checkpoint, load_model, load_weights, save_checkpoint
from train.config import REPO_ROOT, load_config
from train.metrics import calculate_psnr
from train.registry import ConfigError
from train.train import CsvLog, EpochBatchSampler, main, validate

TINY = REPO_ROOT / "configs" / "tiny_test.yaml"


def run_main(*argv):
    return main([str(arg) for arg in argv])


def train_tiny(out, *extra, config=TINY):
    assert run_main("--config", config, "--out", out, *extra) == 0
    return out / "tiny_test"


def tiny_variant(tmp_path, changes):
    """A copy of tiny_test.yaml in ``tmp_path`` with top-level sections replaced/updated."""
    data = yaml.safe_load(TINY.read_text())
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def read_csv(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def assert_same_tree(a, b, where="state"):
    """Recursive equality of nested dicts/lists of tensors and plain values."""
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same_tree(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory):
    """(run dir, stdout) of an uninterrupted 6-iteration tiny run, shared by tests."""
    out = tmp_path_factory.mktemp("straight")
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
        run = train_tiny(out, "--iters", 6)
    return run, stdout.getvalue()


def test_short_run_writes_checkpoints_config_and_logs(straight_run):
    run, stdout = straight_run
    assert {p.name for p in run.iterdir()} >= {"last.pth", "best.pth", "config.yaml",
                                               "train_log.csv", "val_log.csv"}
    assert [row["iter"] for row in read_csv(run / "train_log.csv")] == ["2", "4", "6"]
    (val_row,) = read_csv(run / "val_log.csv")
    assert val_row["iter"] == "6" and float(val_row["psnr"]) > 0
    resolved = load_config(run / "config.yaml")
    assert resolved["out_root"] == str(run.parent) and resolved["train"]["iters"] == 6
    checkpoint = load_checkpoint(run / "last.pth")
    assert checkpoint["iteration"] == 6
    assert checkpoint["best_psnr"] == pytest.approx(float(val_row["psnr"]), abs=1e-4)
    summary = stdout.strip().splitlines()[-1]
    assert "6 iters" in summary and str(run / "last.pth") in summary
    assert not torch.are_deterministic_algorithms_enabled()  # the caller's setting is back


@pytest.mark.parametrize("interrupt_at", [2, 3], ids=["epoch_end", "mid_epoch"])
def test_resumed_run_ends_bit_identical_to_uninterrupted_run(tmp_path, straight_run,
                                                             interrupt_at):
    resumed = train_tiny(tmp_path, "--iters", interrupt_at)
    train_tiny(tmp_path, "--iters", 6, "--resume")
    a, b = load_checkpoint(straight_run[0] / "last.pth"), load_checkpoint(resumed / "last.pth")
    assert b["iteration"] == 6
    for entry in ("model", "optimizer", "scheduler", "rng_state", "data_state"):
        assert_same_tree(a[entry], b[entry], entry)
    # The interrupted run validated at its last iteration; the resumed one appended.
    assert [row["iter"] for row in read_csv(resumed / "val_log.csv")] == [str(interrupt_at), "6"]


def test_resumed_log_drops_rows_past_the_checkpoint(tmp_path):
    path = tmp_path / "log.csv"
    log = CsvLog(path, ("iter", "psnr"))
    for iteration in (1, 2, 3):
        log.append(iter=iteration, psnr=20 + iteration)
    CsvLog(path, ("iter", "psnr"), resume_iteration=2).append(iter=3, psnr=30)
    assert read_csv(path) == [{"iter": "1", "psnr": "21"}, {"iter": "2", "psnr": "22"},
                              {"iter": "3", "psnr": "30"}]


def test_an_existing_run_is_not_overwritten_without_resume(straight_run, capsys):
    run = straight_run[0]
    before = (run / "last.pth").read_bytes()
    assert run_main("--config", TINY, "--out", run.parent) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert (run / "last.pth").read_bytes() == before


def tiny_model(channels):
    return build_model({"type": "BinarySRResNet", "channels": channels, "blocks": 1}, 2, 1)


def save_tiny_checkpoint(path, model):
    optimizer = torch.optim.Adam(model.parameters())
    config = {"model": {"type": "BinarySRResNet", "channels": 8, "blocks": 1}, "scale": 2,
              "color": "y"}
    save_checkpoint(path, config=config, model=model, optimizer=optimizer,
                    scheduler=torch.optim.lr_scheduler.MultiStepLR(optimizer, []),
                    iteration=0, rng_state={}, data_state={}, best_psnr=None)


def test_checkpoint_of_another_architecture_names_the_first_mismatch(tmp_path):
    path = tmp_path / "eight.pth"
    save_tiny_checkpoint(path, tiny_model(8))
    with pytest.raises(ConfigError, match=r"eight\.pth.*'head\.conv\.weight' has shape "
                                          r"\[8, 1, 3, 3\] in the checkpoint but \[4, 1, 3, 3\]"):
        load_weights(tiny_model(4), path)


def test_resume_with_another_architecture_fails_cleanly(tmp_path, straight_run, capsys):
    wider = tiny_variant(tmp_path, {"model": {"channels": 12}})
    assert run_main("--config", wider, "--out", straight_run[0].parent, "--resume") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: checkpoint") and "'head.conv.weight'" in err


def test_load_model_rebuilds_the_stored_architecture_in_eval_mode(tmp_path):
    model = tiny_model(8)
    save_tiny_checkpoint(tmp_path / "m.pth", model)
    loaded = load_model(tmp_path / "m.pth")
    assert not loaded.training and loaded.scale == 2 and loaded.in_channels == 1
    x = torch.randint(0, 256, (1, 1, 8, 8)).float()
    assert torch.equal(loaded(x), model.eval()(x))


@pytest.mark.parametrize("content", [b"", b"not a checkpoint", b"PK\x03\x04truncated zip"])
def test_corrupt_checkpoint_is_a_config_error_naming_the_file(tmp_path, content):
    path = tmp_path / "bad.pth"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="bad.pth"):
        load_checkpoint(path)


def test_truncated_checkpoint_and_foreign_pickle_are_rejected(tmp_path):
    good = tmp_path / "good.pth"
    save_tiny_checkpoint(good, tiny_model(4))
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(good.read_bytes()[:1000])
    with pytest.raises(ConfigError, match="truncated.pth is corrupt"):
        load_checkpoint(truncated)
    foreign = tmp_path / "weights_only.pth"
    torch.save(tiny_model(4).state_dict(), foreign)
    with pytest.raises(ConfigError, match="not a training checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(ConfigError, match="missing.pth does not exist"):
        load_checkpoint(tmp_path / "missing.pth")


def test_bad_config_key_exits_2_with_one_error_line(tmp_path, capsys):
    bad = tiny_variant(tmp_path, {"train": {"lr_sheduler": {}}})
    assert run_main("--config", bad, "--out", tmp_path) == 2
    err = capsys.readouterr().err
    assert err == f"error: {bad}: unknown key 'train.lr_sheduler' " \
                  f"(allowed here: {sorted(load_config(TINY)['train'])})\n"


def test_image_smaller_than_the_patch_exits_2_naming_it_without_checkpoint(tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(folder / "big.png")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / "small.png")
    config = tiny_variant(tmp_path, {"data": {"train": {"folders": [str(folder)],
                                                        "patch_size": 16}}})
    assert run_main("--config", config, "--out", tmp_path / "runs") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(folder / "small.png") in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_sampler_resumes_mid_epoch_with_the_same_batches():
    sampler = EpochBatchSampler(10, 3, torch.Generator().manual_seed(1))
    batches = iter(sampler)
    for _ in range(4):  # into the second epoch of 3 batches
        next(batches)
    state = sampler.state_dict()
    expected = [next(batches) for _ in range(5)]
    restored = EpochBatchSampler(10, 3, torch.Generator().manual_seed(99))
    restored.load_state_dict(state)
    assert [batch for batch, _ in zip(restored, range(5))] == expected
    assert all(len(set(batch)) == 3 for batch in expected)


def test_sampler_needs_a_full_batch_per_epoch():
    with pytest.raises(ConfigError, match="raise 'data.train.repeat'"):
        EpochBatchSampler(3, 4, torch.Generator())


def test_validate_scores_whole_images_cropping_scale_pixels():
    rng = np.random.default_rng(0)
    lr = rng.integers(0, 256, (12, 10), dtype=np.uint8)
    hr = rng.integers(0, 256, (24, 20), dtype=np.uint8)

    class Nearest(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest")

    expected = calculate_psnr(lr.repeat(2, 0).repeat(2, 1), hr, crop_border=2,
                              test_y_channel=False)
    psnr = validate(Nearest(), [("img", lr, hr)], 2, "y", torch.device("cpu"))
    assert psnr == pytest.approx(expected)


def test_the_held_out_image_validates_and_is_not_trained_on():
    from train.train import split_sources

    train_sources, held_out = split_sources(load_config(TINY))
    assert [s.name for s in held_out] == ["astronaut"]
    assert "astronaut" not in [s.name for s in train_sources] and len(train_sources) == 4
