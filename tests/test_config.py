"""YAML config loading: defaults, validation messages, path resolution, schedulers."""
from pathlib import Path

import pytest
import torch
import yaml

from train.config import REPO_ROOT, build_scheduler, dump_config, load_config
from train.registry import ConfigError

MINIMAL = {"name": "run", "scale": 2, "model": {"type": "BinarySRResNet"},
           "train": {"iters": 10}}


def write_yaml(tmp_path, data, name="cfg.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def with_changes(base, changes):
    """Deep-merged copy of ``base`` with ``changes``."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = with_changes(merged[key], value)
        else:
            merged[key] = value
    return merged


def load(tmp_path, **changes):
    return load_config(write_yaml(tmp_path, with_changes(MINIMAL, changes)))


def config_error(tmp_path, **changes):
    with pytest.raises(ConfigError) as info:
        load(tmp_path, **changes)
    message = str(info.value)
    assert str(tmp_path / "cfg.yaml") in message
    return message


def test_defaults_are_merged_under_the_given_keys(tmp_path):
    config = load(tmp_path, data={"train": {"batch_size": 4}})
    assert config["seed"] == 0 and config["color"] == "y" and config["device"] == "auto"
    assert config["data"]["train"] == {"folders": None, "patch_size": 96, "batch_size": 4,
                                       "repeat": 50, "cache_dir": None}
    train = config["train"]
    assert train["lr"] == 2e-4 and train["betas"] == [0.9, 0.999] and train["loss"] == "l1"
    assert train["val_every"] == train["ckpt_every"] == 10  # default: train.iters
    assert config["model"] == {"type": "BinarySRResNet"}


def test_overrides_apply_before_derived_defaults(tmp_path):
    path = write_yaml(tmp_path, MINIMAL)
    config = load_config(path, {"train.iters": 7, "out_root": "/tmp/elsewhere"})
    assert config["train"]["iters"] == config["train"]["val_every"] == 7
    assert config["out_root"] == "/tmp/elsewhere"


def test_exponent_floats_without_a_dot_read_as_floats(tmp_path):
    text = "name: r\nscale: 2\nmodel: {type: A}\ntrain: {iters: 1, lr: 2e-4}\n"
    path = write_yaml(tmp_path, text)
    assert load_config(path)["train"]["lr"] == 2e-4


@pytest.mark.parametrize("changes, dotted_key", [
    ({"modle": {}}, "'modle'"),
    ({"train": {"lr_sheduler": {}}}, "'train.lr_sheduler'"),
    ({"data": {"val": {"folders": "x"}}}, "'data.val.folders'"),
])
def test_unknown_keys_are_named_with_their_dotted_path_and_file(tmp_path, changes, dotted_key):
    assert f"unknown key {dotted_key}" in config_error(tmp_path, **changes)


@pytest.mark.parametrize("changes, fragment", [
    ({"train": {"iters": "ten"}}, "'train.iters' must be an int, got 'ten' (str)"),
    ({"data": {"train": {"batch_size": True}}}, "'data.train.batch_size'"),
    ({"data": {"train": {"folders": "images"}}}, "'data.train.folders' must be a list"),
    ({"data": {"train": {"folders": ["a", 3]}}}, "'data.train.folders[1]' must be a string"),
    ({"train": {"betas": [0.9]}}, "'train.betas' must hold 2 values"),
    ({"train": {"lr": "fast"}}, "'train.lr' must be a number"),
    ({"train": {"iters": 0}}, "'train.iters' must be at least 1"),
    ({"scale": 5}, "'scale' must be one of [2, 3, 4]"),
    ({"color": "ycbcr"}, "'color' must be one of"),
    ({"data": 5}, "'data' must be a mapping"),
    ({"seed": None}, "'seed' must be an int, got null"),
    ({"model": ["BinarySRResNet"]}, "'model' must be a mapping"),
    ({"data": {"train": {"patch_size": 33}}}, "'data.train.patch_size' 33 must be divisible"),
])
def test_invalid_values_are_named(tmp_path, changes, fragment):
    assert fragment in config_error(tmp_path, **changes)


def test_ints_are_accepted_for_floats(tmp_path):
    config = load(tmp_path, train={"iters": 3, "lr": 1, "grad_clip": 2})
    assert config["train"]["lr"] == 1.0 and isinstance(config["train"]["grad_clip"], float)


def test_model_needs_a_type(tmp_path):
    with pytest.raises(ConfigError, match="'model' needs a 'type'"):
        load_config(write_yaml(tmp_path, dict(MINIMAL, model={"channels": 8})))


def test_missing_required_key(tmp_path):
    data = {key: value for key, value in MINIMAL.items() if key != "name"}
    with pytest.raises(ConfigError, match="missing required key 'name'"):
        load_config(write_yaml(tmp_path, data))


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_invalid_yaml_is_reported_with_the_file(tmp_path):
    path = write_yaml(tmp_path, "name: [unclosed\n")
    with pytest.raises(ConfigError, match="cfg.yaml: cannot read YAML"):
        load_config(path)


def test_relative_paths_resolve_against_the_repo_root_not_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load(tmp_path, out_root="runs",
                  data={"train": {"folders": ["data/a", "/abs/b"], "cache_dir": ".cache/lr"},
                        "val": {"folder": "data/val"}})
    assert config["out_root"] == str(REPO_ROOT / "runs")
    assert config["data"]["train"]["folders"] == [str(REPO_ROOT / "data/a"), "/abs/b"]
    assert config["data"]["train"]["cache_dir"] == str(REPO_ROOT / ".cache/lr")
    assert config["data"]["val"]["folder"] == str(REPO_ROOT / "data/val")


def test_validation_defaults_to_one_image_held_out_of_training(tmp_path):
    val = load(tmp_path)["data"]["val"]
    assert val["split"] == 1 and val["folder"] is None and val["split_from"] is None


@pytest.mark.parametrize("val, fragment", [
    ({"folder": "../shared/data/test/Set5/HR"}, "is a test set"),
    ({"folder": "/data/Set14/HR"}, "is a test set"),
    ({"folder": "/data/val", "split": 2}, "'split' (images held out of the training folders) "
                                          "or 'folder', not both"),
    ({"folder": "/data/val", "split_from": "/data/a"}, "not both"),
    ({"split": 2, "split_from": "/data/c"}, "'data.val.split_from' /data/c is not one of"),
    ({"split": 0}, "'data.val.split' must be at least 1"),
])
def test_validation_on_a_test_set_or_an_ambiguous_split_is_refused(tmp_path, val, fragment):
    message = config_error(tmp_path, data={"train": {"folders": ["/data/a", "/data/b"]},
                                           "val": val})
    assert fragment in message


def test_unknown_scheduler_type_and_kwargs(tmp_path):
    message = config_error(tmp_path, train={"scheduler": {"type": "StepLR", "step_size": 3}})
    assert "unknown scheduler type 'StepLR'" in message and "MultiStepLR" in message
    message = config_error(tmp_path, train={"scheduler": {"type": "MultiStepLR",
                                                          "milestones": [5], "gama": 0.1}})
    assert "train.scheduler" in message and "gama" in message
    message = config_error(tmp_path, train={"scheduler": {"type": "MultiStepLR",
                                                          "milestones": [0.5]}})
    assert "'train.scheduler.milestones[0]' must be an int" in message


def test_scheduler_section_replaces_the_default_wholesale(tmp_path):
    config = load(tmp_path, train={"iters": 8, "scheduler": {"type": "CosineAnnealingLR"}})
    assert config["train"]["scheduler"] == {"type": "CosineAnnealingLR"}
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = build_scheduler(config, optimizer)
    assert isinstance(scheduler, torch.optim.lr_scheduler.CosineAnnealingLR)
    assert scheduler.T_max == 8  # default: train.iters


def test_dumped_config_loads_back_unchanged(tmp_path):
    config = load(tmp_path, data={"train": {"folders": ["x"]}})
    dump_config(config, tmp_path / "resolved.yaml")
    assert load_config(tmp_path / "resolved.yaml") == config


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "configs").glob("*.yaml")),
                         ids=lambda path: path.name)
def test_shipped_configs_are_valid(path):
    config = load_config(path)
    assert Path(config["out_root"]).is_absolute()
