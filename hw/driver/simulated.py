"""The accelerator simulated on this machine (Verilator C++ harness), its driver
configuration, and the golden whole-image reference for ``--validate``."""
import dataclasses
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from hw.driver.accelerator import DriverConfig
from hw.driver.device import RunStats, StreamLayout
from hw.driver.tiling import receptive_halo
from hw.stitch import Design, stitch
from sim.golden.graph import run_graph
from sim.harness import build_harness, run_frames, run_stream
from train.cli import UserError, read_json


def _layout(model, port) -> StreamLayout:
    shape = tuple(model.get_tensor_shape(port.tensor)[1:])
    return StreamLayout(port.stream.elem_bits, port.stream.per_word, port.tdata_bits,
                        port.stream.signed, shape)


def driver_config(model: ModelWrapper, design: Design, clock_mhz: float,
                  model_sha256: str = "") -> DriverConfig:
    layout_in, layout_out = _layout(model, design.in_port), _layout(model, design.out_port)
    return DriverConfig(layout_in, layout_out, receptive_halo(model),
                        layout_out.frame_shape[0] // layout_in.frame_shape[0], clock_mhz,
                        model_sha256)


def save_config(config: DriverConfig, path: Path) -> None:
    path.write_text(json.dumps(asdict(config), indent=2) + "\n")


def load_config(path: Path) -> DriverConfig:
    """The DriverConfig saved by ``save_config``; UserError naming the file and the key
    that is missing, unknown or of the wrong kind."""
    data = read_json(path, hint="use the driver_config.json of the bitstream build")
    fields = _checked_fields(data, DriverConfig, path, "")
    layouts = {key: StreamLayout(**_checked_fields(fields[key], StreamLayout, path, f"{key}."))
               for key in ("input", "output")}
    for key in ("input", "output"):
        shape = layouts[key].frame_shape
        if not isinstance(shape, list) or len(shape) != 3:
            raise UserError(f"{path}: '{key}.frame_shape' must be [H, W, C], got {shape!r}")
        layouts[key] = StreamLayout(**{**asdict(layouts[key]), "frame_shape": tuple(shape)})
    return DriverConfig(**{**fields, **layouts})


def _checked_fields(data, cls, path, prefix) -> dict:
    """``data``'s entries for dataclass ``cls``: every field without default present,
    no other key, numbers where the field is a number."""
    if not isinstance(data, dict):
        raise UserError(f"{path}: '{prefix.rstrip('.') or 'the top level'}' must be an object")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise UserError(f"{path}: unknown key '{prefix}{unknown[0]}' "
                        f"(known: {', '.join(sorted(known))})")
    for name, field in known.items():
        required = field.default is dataclasses.MISSING
        if required and name not in data:
            raise UserError(f"{path}: missing key '{prefix}{name}'")
        numeric = field.type in (int, float, "int", "float")
        value = data.get(name)
        if name in data and numeric and (isinstance(value, bool)
                                         or not isinstance(value, (int, float))):
            raise UserError(f"{path}: '{prefix}{name}' must be a number, got {value!r}")
    return dict(data)


class SimulatedDevice:
    """The stitched RTL of a dataflow model in the Verilator harness. Device time is
    the simulated cycles at ``clock_mhz``, what a board at that clock would take."""

    def __init__(self, model: ModelWrapper, build_dir: Path, clock_mhz: float = 100.0, *,
                 design: Design | None = None, **traffic):
        build_dir = Path(build_dir).resolve()
        self.model, self.clock_mhz, self.traffic = model, clock_mhz, traffic
        self.design = design or stitch(model, build_dir / "rtl")
        self.binary = build_harness(self.design, build_dir)
        self.stats = RunStats()

    def _record(self, frames: int, harness_stats: dict) -> None:
        cycles = harness_stats["cycles"]
        self.stats = RunStats(frames, cycles / (self.clock_mhz * 1e6), cycles, harness_stats)

    def stream(self, data: np.ndarray, frames: int) -> np.ndarray:
        out_shape = self.model.get_tensor_shape(self.model.graph.output[0].name)[1:]
        words = int(np.prod(out_shape)) // self.design.out_port.stream.per_word
        out, harness_stats = run_stream(self.design, self.binary, data, frames, words,
                                        **self.traffic)
        self._record(frames, harness_stats)
        return out

    def run(self, frames: np.ndarray) -> np.ndarray:
        """NHWC integer frames -> NHWC integer output frames."""
        outputs, harness_stats = run_frames(self.model, self.design, self.binary, frames,
                                            **self.traffic)
        self._record(len(frames), harness_stats)
        return outputs


def golden_image(model: ModelWrapper, lr: np.ndarray) -> np.ndarray:
    """The golden model of the dataflow graph on the whole LR image (H, W[, C]), uint8."""
    image = lr[None, ..., None] if lr.ndim == 2 else lr[None]
    name, out = model.graph.input[0].name, model.graph.output[0].name
    sr = run_graph(model, {name: image}, any_frame_size=True)[out][0].astype(np.uint8)
    return sr[..., 0] if lr.ndim == 2 else sr
