"""Open the accelerator's device: the overlay on a PYNQ board, else the simulated one.

The command line picks with ``--export`` or ``--bitfile``; ``open_device`` (the
notebooks) takes the board when ``pynq`` imports and the overlay's files exist, and
otherwise runs the same driver against the Verilator simulation of the export, saying
why in its ``description``.
"""
import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hw.artifacts import DATAFLOW_FILE, read_export
from hw.driver.accelerator import Accelerator, DriverConfig, Throughput
from hw.driver.config import driver_config, load_config
from train.cli import UserError, read_onnx

DEFAULT_BUILD = Path("sim_build") / "driver"


@dataclass
class Session:
    config: DriverConfig
    device: object  # PynqDevice or SimulatedDevice
    model: object  # the dataflow graph (ModelWrapper) for validation, or None
    description: str


def simulated(export_dir, build_dir=DEFAULT_BUILD) -> Session:
    """The Verilator simulation of the export's RTL as the device."""
    from sim.device import SimulatedDevice  # the stitcher and Verilator: not on a board

    model, clock_mhz, max_width = read_export(export_dir)
    device = SimulatedDevice(model, Path(build_dir), clock_mhz, max_width=max_width)
    return Session(driver_config(model, device.design, clock_mhz), device, model,
                   f"simulated device: Verilator simulation of {Path(export_dir) / DATAFLOW_FILE}")


def on_board(bitfile, config_path, model_path=None) -> Session:
    """The overlay ``bitfile`` with its build's ``driver_config.json``; ``model_path``
    (optional) is checked against the model the bitstream was built from."""
    from hw.driver.device import PynqDevice

    if not config_path:
        raise UserError("--bitfile needs --config (driver_config.json of the build)")
    config = load_config(Path(config_path))
    model = checked_model(model_path, config, bitfile) if model_path else None
    return Session(config, PynqDevice(str(bitfile), config.output, config.scale), model,
                   f"PYNQ board: overlay {bitfile}")


def checked_model(path, config, bitfile):
    """The dataflow model at ``path``, refused unless the bitstream was built from it."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if digest != config.model_sha256:
        raise UserError(f"{bitfile} was built for the model with sha256 "
                        f"{config.model_sha256[:16]}..., but {path} has {digest[:16]}...: "
                        "rebuild the bitstream (make bitstream) or pass the matching model")
    return read_onnx(path)


def open_device(export_dir, build_dir=DEFAULT_BUILD, deploy_dir=None) -> Session:
    """The board when ``pynq`` is installed and ``deploy_dir`` (``make deploy``) holds
    the overlay; else the simulated device of ``export_dir``, the description naming
    what was absent."""
    from hw.bitstream.project import BUILD_INFO, DRIVER_CONFIG

    deploy = Path(deploy_dir) if deploy_dir else None
    info = deploy / BUILD_INFO if deploy else None
    bitfile = (deploy / json.loads(info.read_text())["bitstream"]
               if info and info.is_file() else None)
    missing = [what for what, present in (
        ("the pynq package", importlib.util.find_spec("pynq") is not None),
        (f"an overlay in {deploy}", bitfile is not None and bitfile.is_file()),
    ) if not present]
    if not missing:
        return on_board(bitfile, deploy / DRIVER_CONFIG, Path(export_dir) / DATAFLOW_FILE)
    session = simulated(export_dir, build_dir)
    session.description = (f"no PYNQ board here ({' and '.join(missing)} absent): the same "
                           f"driver runs against the {session.description}")
    return session


def upscale_image(session: Session, rgb: np.ndarray, ensemble: bool = False):
    """``(lr, sr, Throughput)`` of an RGB LR image; ``lr`` is what the model takes
    (its Y plane for a Y model). ``ensemble``: the 8 flips/rotations run on the device
    and are averaged here (self-ensemble, train/ensemble.py)."""
    from train.data.image_io import to_y_uint8

    lr = rgb if session.config.input.channels == 3 else to_y_uint8(rgb)
    accelerator = Accelerator(session.config, session.device)
    if not ensemble:
        return (lr, *accelerator.upscale(lr))
    from train.ensemble import self_ensemble_image

    runs = []

    def upscale(image):
        sr, throughput = accelerator.upscale(image)
        runs.append(throughput)
        return sr

    return lr, self_ensemble_image(upscale, lr), Throughput.total(runs)


def differing_pixels(model, lr: np.ndarray, sr: np.ndarray, ensemble: bool = False) -> int:
    """Pixels of ``sr`` that differ from the golden model (or its self-ensemble) on the
    whole image ``lr``."""
    from sim.device import golden_image  # the golden model: not on a board

    golden = lambda image: golden_image(model, image)  # noqa: E731
    if ensemble:
        from train.ensemble import self_ensemble_image

        return int(np.count_nonzero(self_ensemble_image(golden, lr) != sr))
    return int(np.count_nonzero(golden(lr) != sr))
