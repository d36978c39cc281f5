"""A co-design search space: a YAML file (``configs/codesign/*.yaml``) read and checked.

    name: pynq_z2_1080p60_x2
    train_config: configs/bench_x2.yaml   # the recipe every point trains with
    budget: {iters: 400}                  # per point; or {minutes: 3} (measured step time)
    target: {frame: [540, 960], fps: 60, device: xc7z020, max_fraction: 0.8}
    verify_frame: [16, 16]                # the equivalence chain's frame (export exactness)
    infeasible: prune                     # or train: points that miss the target train too
    test_sets: true                       # Set5/Set14 (else bundled held-out) per point
    sampler: {type: TPESampler, seed: 0}
    space:                                # option -> choices
      channels: [8, 16, 32]
      clock_mhz: [100, 150, 200]

Each option is either a model key of ``BinarySRResNet`` (``MODEL_OPTIONS``) or a
hardware choice (``clock_mhz``). Anything else is refused, naming the file and key.
"""
from dataclasses import dataclass
from pathlib import Path

import yaml

from hw.area_report import XC7Z020
from train.config import REPO_ROOT
from train.registry import ConfigError

# what the hardware pays for, as BinarySR (train/archs/binary_sr.py) takes it
MODEL_OPTIONS = ("channels", "blocks", "convs_per_block", "weight_bits", "res_bits",
                 "branch_bits", "tail_bits", "long_skip", "global_skip")
HARDWARE_OPTIONS = ("clock_mhz",)
OPTIONS = MODEL_OPTIONS + HARDWARE_OPTIONS
DEVICES = {"xc7z020": XC7Z020}
SAMPLERS = ("TPESampler", "NSGAIISampler")
INFEASIBLE = ("prune", "train")
KEYS = ("name", "train_config", "budget", "target", "verify_frame", "infeasible", "test_sets",
        "sampler", "space")
TARGET_KEYS = ("frame", "fps", "device", "max_fraction")


@dataclass(frozen=True)
class Target:
    frame: tuple  # (height, width) LR pixels
    fps: float
    device: str
    max_fraction: float  # of each resource of the device

    @property
    def limits(self) -> dict:
        return {res: self.max_fraction * n for res, n in DEVICES[self.device].items()}


@dataclass(frozen=True)
class Space:
    path: Path
    name: str
    train_config: Path
    budget: dict  # {"iters": n} or {"minutes": m}
    target: Target
    verify_frame: tuple
    infeasible: str
    test_sets: bool
    sampler: dict
    choices: dict  # option -> list of values


def _fail(path, key, message):
    raise ConfigError(f"{path}: {key}: {message}")


def _frame(path, key, value):
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and v > 0 for v in value)):
        _fail(path, key, f"must be [height, width] in positive pixels, got {value!r}")
    return tuple(value)


def _positive(path, key, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        _fail(path, key, f"must be a positive number, got {value!r}")
    return value


def _budget(path, raw):
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in ("iters", "minutes"):
        _fail(path, "budget", f"must be {{iters: N}} or {{minutes: M}}, got {raw!r}")
    (kind, value), = raw.items()
    if kind == "iters" and (not isinstance(value, int) or value < 1):
        _fail(path, "budget.iters", f"too small for one iteration: {value!r}")
    return {kind: _positive(path, f"budget.{kind}", value)}


def _target(path, raw):
    raw = raw or {}
    unknown = sorted(set(raw) - set(TARGET_KEYS))
    if unknown:
        _fail(path, f"target.{unknown[0]}", f"unknown key (known: {', '.join(TARGET_KEYS)})")
    device = raw.get("device", "xc7z020")
    if device not in DEVICES:
        _fail(path, "target.device", f"unknown device {device!r} (known: {', '.join(DEVICES)})")
    fraction = _positive(path, "target.max_fraction", raw.get("max_fraction", 0.8))
    if fraction > 1:
        _fail(path, "target.max_fraction", f"must be at most 1, got {fraction}")
    return Target(_frame(path, "target.frame", raw.get("frame", [540, 960])),
                  float(_positive(path, "target.fps", raw.get("fps", 60))), device, fraction)


def _choices(path, raw):
    if not isinstance(raw, dict) or not raw:
        _fail(path, "space", "must map options to lists of choices")
    choices = {}
    for option, values in raw.items():
        if option not in OPTIONS:
            _fail(path, f"space.{option}", f"not a searchable option (known: {', '.join(OPTIONS)})")
        if not isinstance(values, list) or not values:
            _fail(path, f"space.{option}", f"must be a non-empty list of choices, got {values!r}")
        if option == "clock_mhz":
            for value in values:
                _positive(path, f"space.{option}", value)
        choices[option] = values
    return choices


def load_space(path) -> Space:
    """The checked space of the YAML file ``path``; ConfigError naming file and key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"search space {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path} is not valid YAML ({' '.join(str(err).split())})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping")
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        _fail(path, unknown[0], f"unknown key (known: {', '.join(KEYS)})")
    for key in ("name", "train_config", "budget", "space"):
        if key not in raw:
            _fail(path, key, "missing")
    train_config = REPO_ROOT / raw["train_config"]
    if not train_config.is_file():
        _fail(path, "train_config", f"{raw['train_config']} does not exist")
    infeasible = raw.get("infeasible", "prune")
    if infeasible not in INFEASIBLE:
        _fail(path, "infeasible", f"must be one of {', '.join(INFEASIBLE)}, got {infeasible!r}")
    sampler = dict(raw.get("sampler") or {"type": "TPESampler"})
    if sampler.get("type") not in SAMPLERS:
        _fail(path, "sampler.type", f"must be one of {', '.join(SAMPLERS)}, "
                                    f"got {sampler.get('type')!r}")
    return Space(path, str(raw["name"]), train_config, _budget(path, raw["budget"]),
                 _target(path, raw.get("target")),
                 _frame(path, "verify_frame", raw.get("verify_frame", [16, 16])), infeasible,
                 bool(raw.get("test_sets", True)), sampler, _choices(path, raw["space"]))
