"""Training configuration: BasicSR-style YAML merged onto defaults and validated.

``load_config`` rejects unknown keys and wrongly typed values with a ``ConfigError``
naming the dotted key and the file, so a typo never silently falls back to a default.
Relative paths resolve against the repository root, so a config means the same thing
from any working directory.
"""
import copy
import re
from pathlib import Path

import yaml
from torch.optim import lr_scheduler

from train.registry import ConfigError, Registry

REPO_ROOT = Path(__file__).resolve().parents[1]
# Test sets: refused as validation folders (they would choose best.pth on the test).
TEST_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "test"
TEST_SET_NAMES = ("set5", "set14", "b100", "bsd100", "urban100", "manga109")

REQUIRED = object()
TYPE_NAMES = {int: "an int", float: "a number", str: "a string", list: "a list", dict: "a mapping"}


class Field:
    """One leaf of the schema: its type, default and constraints."""

    def __init__(self, type_, default=REQUIRED, *, item_type=None, length=None,
                 choices=None, minimum=None, nullable=False):
        self.type = type_
        self.default = default
        self.item_type = item_type
        self.length = length
        self.choices = choices
        self.minimum = minimum
        self.nullable = nullable

    def describe(self):
        name = TYPE_NAMES[self.type]
        if self.item_type is not None:
            name = f"{name} of {self.item_type.__name__}"
        return f"{name} or null" if self.nullable else name


def _positive_int(default=REQUIRED, **kwargs):
    return Field(int, default, minimum=1, **kwargs)


SCHEMA = {
    "name": Field(str),
    "seed": Field(int, 0, minimum=0),
    "scale": Field(int, choices=(2, 3, 4)),
    "color": Field(str, "y", choices=("y", "rgb")),
    "model": Field(dict),  # kwargs of the arch; checked by the arch registry at build time
    "data": {
        "train": {
            "folders": Field(list, None, item_type=str, nullable=True),  # null: scikit-image photos
            "patch_size": _positive_int(96),
            "batch_size": _positive_int(16),
            "repeat": _positive_int(50),
            "cache_dir": Field(str, None, nullable=True),
        },
        "val": {
            # Validation picks best.pth, so it must not be a test set: either `split`
            # images held out of the training folders (see train.data.split_held_out),
            # optionally only from the training folder `split_from`, or a `folder`
            # disjoint from the training images. Neither: split 1.
            "split": _positive_int(None, nullable=True),
            "split_from": Field(str, None, nullable=True),
            "folder": Field(str, None, nullable=True),
            "max_images": _positive_int(None, nullable=True),
        },
    },
    "train": {
        "iters": _positive_int(),
        "lr": Field(float, 2e-4, minimum=0.0),
        "betas": Field(list, [0.9, 0.999], item_type=float, length=2),
        "weight_decay": Field(float, 0.0, minimum=0.0),
        "scheduler": Field(dict, {"type": "MultiStepLR", "milestones": [], "gamma": 0.5}),
        "loss": Field(str, "l1", choices=("l1", "mse")),
        "val_every": _positive_int(None, nullable=True),  # null: train.iters
        "ckpt_every": _positive_int(None, nullable=True),  # null: train.iters
        "log_every": _positive_int(50),
        "grad_clip": Field(float, None, minimum=0.0, nullable=True),
        "distill": {  # train/distill.py: on when teacher names a trained checkpoint
            "teacher": Field(str, None, nullable=True),
            "beta": Field(float, 1e-4, minimum=0.0),  # feature (DBT) term
            "features": Field(str, "dbt", choices=("dbt", "spatial")),
            "output_weight": Field(float, 0.0, minimum=0.0),  # L1 to the teacher's output
        },
    },
    "out_root": Field(str, "runs"),
    "device": Field(str, "auto", choices=("auto", "cpu", "cuda")),
}

# --- learning-rate schedulers ------------------------------------------------------------
# Each factory takes the YAML kwargs and returns ``make(optimizer, iters)``, so a config is
# validated (unknown kwargs, types) before any model or optimizer exists.
SCHEDULER_REGISTRY = Registry("scheduler")


@SCHEDULER_REGISTRY.register()
def MultiStepLR(milestones, gamma=0.5):  # noqa: N802 - named as the YAML type
    milestones = _check_value("train.scheduler.milestones", milestones, Field(list, item_type=int))
    gamma = _check_value("train.scheduler.gamma", gamma, Field(float, minimum=0.0))
    return lambda optimizer, iters: lr_scheduler.MultiStepLR(optimizer, milestones, gamma)


@SCHEDULER_REGISTRY.register()
def CosineAnnealingLR(T_max=None, eta_min=0.0):  # noqa: N802, N803 - torch's names
    """Cosine decay over ``T_max`` iterations (default: ``train.iters``)."""
    T_max = _check_value("train.scheduler.T_max", T_max, _positive_int(nullable=True))
    eta_min = _check_value("train.scheduler.eta_min", eta_min, Field(float, minimum=0.0))
    return lambda optimizer, iters: lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=T_max or iters, eta_min=eta_min)


def build_scheduler(config, optimizer):
    """The LR scheduler of ``config['train']``, stepped once per iteration."""
    train_opt = config["train"]
    make = SCHEDULER_REGISTRY.build(train_opt["scheduler"], where="train.scheduler")
    return make(optimizer, train_opt["iters"])


# --- loading -----------------------------------------------------------------------------
class _YamlLoader(yaml.SafeLoader):
    """SafeLoader that also reads ``2e-4`` as a float (YAML 1.1 needs ``2.0e-4``)."""


_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def load_config(path, overrides=None):
    """Read the YAML at ``path``, apply ``{dotted.key: value}`` overrides, validate.

    Returns a plain dict holding every schema key, with defaults filled in and
    relative paths made absolute (against the repository root).
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as file:
            raw = yaml.load(file, Loader=_YamlLoader)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, yaml.YAMLError) as err:
        reason = " ".join(str(err).split())
        raise ConfigError(f"{path}: cannot read YAML: {reason}") from None
    try:
        config = _merge(SCHEMA, {} if raw is None else raw, "")
        for dotted_key, value in (overrides or {}).items():
            _override(config, dotted_key, value)
        _fill_derived_defaults(config)
        _check_consistency(config)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
    _resolve_paths(config)
    try:
        _check_val_paths(config)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None
    return config


def _merge(schema, raw, prefix):
    """Validated copy of ``raw`` with the defaults of ``schema`` for missing keys."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{_describe_key(prefix)} must be a mapping, got {raw!r}")
    unknown = sorted(set(raw) - set(schema), key=str)
    if unknown:
        raise ConfigError(f"unknown key '{prefix}{unknown[0]}' (allowed here: {sorted(schema)})")
    merged = {}
    for key, spec in schema.items():
        dotted = f"{prefix}{key}"
        if isinstance(spec, dict):
            merged[key] = _merge(spec, raw.get(key, {}), f"{dotted}.")
        elif key in raw:
            merged[key] = _check_value(dotted, raw[key], spec)
        elif spec.default is REQUIRED:
            raise ConfigError(f"missing required key '{dotted}'")
        else:
            merged[key] = copy.deepcopy(spec.default)
    return merged


def _describe_key(prefix):
    return f"'{prefix.rstrip('.')}'" if prefix else "the top level"


def _override(config, dotted_key, value):
    *sections, leaf = dotted_key.split(".")
    schema, target = SCHEMA, config
    for section in sections:
        schema, target = schema[section], target[section]
    target[leaf] = _check_value(dotted_key, value, schema[leaf])


def _check_value(key, value, field):
    """``value`` converted to the field's type; ConfigError naming ``key`` if it cannot be."""
    if value is None:
        if field.nullable:
            return None
        raise ConfigError(f"'{key}' must be {field.describe()}, got null")
    value = _check_type(key, value, field.type, field.describe())
    if field.item_type is not None:
        value = [_check_type(f"{key}[{i}]", item, field.item_type, TYPE_NAMES[field.item_type])
                 for i, item in enumerate(value)]
    if field.length is not None and len(value) != field.length:
        raise ConfigError(f"'{key}' must hold {field.length} values, got {len(value)}")
    if field.choices is not None and value not in field.choices:
        raise ConfigError(f"'{key}' must be one of {list(field.choices)}, got {value!r}")
    if field.minimum is not None and value < field.minimum:
        raise ConfigError(f"'{key}' must be at least {field.minimum}, got {value!r}")
    return value


def _check_type(key, value, type_, description):
    # bool is an int subclass, but ``iters: true`` is a mistake, not 1.
    is_bool = isinstance(value, bool)
    if type_ is float and isinstance(value, int) and not is_bool:
        return float(value)
    if isinstance(value, type_) and not is_bool:
        return value
    raise ConfigError(f"'{key}' must be {description}, got {value!r} "
                      f"({type(value).__name__})")


def _fill_derived_defaults(config):
    train_opt = config["train"]
    for key in ("val_every", "ckpt_every"):
        if train_opt[key] is None:
            train_opt[key] = train_opt["iters"]
    val_opt = config["data"]["val"]
    if val_opt["folder"] is None and val_opt["split"] is None:
        val_opt["split"] = 1


def _check_consistency(config):
    """Checks spanning several keys, or options interpreted by a registry."""
    scale, patch_size = config["scale"], config["data"]["train"]["patch_size"]
    if patch_size % scale:
        raise ConfigError(f"'data.train.patch_size' {patch_size} must be divisible by "
                          f"'scale' {scale}")
    if not isinstance(config["model"].get("type"), str):
        raise ConfigError("'model' needs a 'type' naming the architecture")
    SCHEDULER_REGISTRY.build(config["train"]["scheduler"], where="train.scheduler")
    val_opt = config["data"]["val"]
    split_given = val_opt["split"] is not None or val_opt["split_from"] is not None
    if val_opt["folder"] is not None and split_given:
        raise ConfigError("'data.val' takes 'split' (images held out of the training "
                          "folders) or 'folder', not both")


def _check_val_paths(config):
    """The validation folder is not a test set; ``split_from`` is a training folder."""
    val_opt, folders = config["data"]["val"], config["data"]["train"]["folders"]
    folder = val_opt["folder"]
    if folder is not None:
        parts = Path(folder).resolve().parts
        if Path(folder).resolve().is_relative_to(TEST_DATA_DIR.resolve()) or \
                any(part.lower() in TEST_SET_NAMES for part in parts):
            raise ConfigError(f"'data.val.folder' {folder} is a test set: choosing best.pth "
                              f"on it would report a selected, not a tested, score; hold out "
                              f"training images instead ('data.val.split: N')")
    split_from = val_opt["split_from"]
    if split_from is not None and split_from not in (folders or []):
        raise ConfigError(f"'data.val.split_from' {split_from} is not one of "
                          f"'data.train.folders' {folders}")


def _resolve_paths(config):
    train_data, val_data = config["data"]["train"], config["data"]["val"]
    if train_data["folders"] is not None:
        train_data["folders"] = [_absolute(folder) for folder in train_data["folders"]]
    train_data["cache_dir"] = _absolute(train_data["cache_dir"])
    val_data["folder"] = _absolute(val_data["folder"])
    val_data["split_from"] = _absolute(val_data["split_from"])
    distill = config["train"]["distill"]
    distill["teacher"] = _absolute(distill["teacher"])
    config["out_root"] = _absolute(config["out_root"])


def _absolute(path):
    return None if path is None else str(REPO_ROOT / Path(path).expanduser())


def run_dir(config):
    """The folder of a run's checkpoints and logs: ``out_root/name``."""
    return Path(config["out_root"]) / config["name"]


def dump_config(config, path):
    """Write the resolved config as YAML (readable back by ``load_config``)."""
    Path(path).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
