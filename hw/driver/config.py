"""The driver configuration of a built accelerator (``driver_config.json``): the stream
layout of its input and output frames, the halo, the scale, the clock and the widest
frame it takes."""
import dataclasses
import json
from dataclasses import asdict
from pathlib import Path

from hw.driver.accelerator import DriverConfig
from hw.driver.device import FrameLayout
from hw.driver.tiling import receptive_halo
from train.cli import UserError, read_json


def _layout(model, port) -> FrameLayout:
    return FrameLayout(**asdict(port.stream), channels=model.get_tensor_shape(port.tensor)[-1])


def driver_config(model, design, clock_mhz: float,
                  model_sha256: str = "") -> DriverConfig:
    """The configuration of ``design`` (``hw.stitch.Design``), stitched from ``model``
    (a ModelWrapper; not imported here: the board driver does without qonnx)."""
    return DriverConfig(_layout(model, design.in_port), _layout(model, design.out_port),
                        receptive_halo(model), design.scale, clock_mhz, design.max_width,
                        model_sha256)


def save_config(config: DriverConfig, path: Path) -> None:
    path.write_text(json.dumps(asdict(config), indent=2) + "\n")


def load_config(path: Path) -> DriverConfig:
    """The DriverConfig saved by ``save_config``; UserError naming the file and the key
    that is missing, unknown or of the wrong kind."""
    data = read_json(path, hint="use the driver_config.json of the bitstream build")
    fields = _checked_fields(data, DriverConfig, path, "")
    layouts = {}
    for key in ("input", "output"):
        layouts[key] = FrameLayout(**_checked_fields(fields[key], FrameLayout, path, f"{key}.",
                                                     all_required=True))
    return DriverConfig(**{**fields, **layouts})


def _checked_fields(data, cls, path, prefix, all_required=False) -> dict:
    """``data``'s entries for dataclass ``cls``: every field without default (every
    field if ``all_required``) present, no other key, numbers where the field is a
    number."""
    if not isinstance(data, dict):
        raise UserError(f"{path}: '{prefix.rstrip('.') or 'the top level'}' must be an object")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise UserError(f"{path}: unknown key '{prefix}{unknown[0]}' "
                        f"(known: {', '.join(sorted(known))})")
    for name, field in known.items():
        required = all_required or field.default is dataclasses.MISSING
        if required and name not in data:
            raise UserError(f"{path}: missing key '{prefix}{name}'")
        numeric = field.type in (int, float, int | None)
        value = data.get(name)
        if name in data and numeric and (isinstance(value, bool)
                                         or not isinstance(value, (int, float))):
            raise UserError(f"{path}: '{prefix}{name}' must be a number, got {value!r}")
    return dict(data)
