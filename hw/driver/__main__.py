"""``python -m hw.driver``: super-resolve a whole image on the accelerator.

Here the device is the Verilator simulation of the exported model's RTL
(``--export``); on a PYNQ board, the overlay (``--bitfile`` with the build's
``driver_config.json``). ``--validate`` compares the SR image bit for bit with the
golden model applied to the whole image. The numbers printed are also written next to
the SR image, as ``<output>.json``.
"""
import hashlib
import json
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from hw.driver.accelerator import Accelerator
from train.cli import ArgumentParser, UserError, command, read_onnx

DEFAULT_BUILD = Path("sim_build") / "driver"


def parse_args(argv=None):
    parser = ArgumentParser(prog="python -m hw.driver", description=__doc__.splitlines()[0])
    device = parser.add_mutually_exclusive_group(required=True)
    device.add_argument("--export", help="export folder: simulated device (Verilator)")
    device.add_argument("--bitfile", help="overlay .bit on a PYNQ board (needs --config)")
    parser.add_argument("--config", help="driver_config.json of the bitstream build")
    parser.add_argument("--model", help="with --bitfile: the dataflow.onnx you mean to run; "
                                        "checked against the build's model hash, and used "
                                        "by --validate")
    parser.add_argument("--input", help="LR image; default: a bundled photo, bicubic-"
                                        "downscaled by the model's scale, 96x96 LR pixels")
    parser.add_argument("--output", required=True, help="SR PNG to write")
    parser.add_argument("--validate", action="store_true",
                        help="compare with the golden model on the whole image, bit for bit")
    parser.add_argument("--build", default=str(DEFAULT_BUILD), help="simulation build folder")
    return parser.parse_args(argv)


def _simulated(args):
    from hw.driver.simulated import SimulatedDevice, driver_config
    from export.artifacts import read_export

    model, clock_mhz = read_export(args.export)
    device = SimulatedDevice(model, Path(args.build), clock_mhz)
    return driver_config(model, device.design, clock_mhz), device, model


def _on_board(args):
    from hw.driver.device import PynqDevice
    from hw.driver.simulated import load_config

    if not args.config:
        raise UserError("--bitfile needs --config (driver_config.json of the build)")
    config = load_config(Path(args.config))
    model = _checked_model(args.model, config, args.bitfile) if args.model else None
    return config, PynqDevice(args.bitfile, config.output), model


def _checked_model(path, config, bitfile):
    """The dataflow model at ``path``, refused unless the bitstream was built from it."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if digest != config.model_sha256:
        raise UserError(f"{bitfile} was built for the model with sha256 "
                         f"{config.model_sha256[:16]}..., but {path} has {digest[:16]}...: "
                         "rebuild the bitstream (make bitstream) or pass the matching model")
    return read_onnx(path)


@command
def main(argv=None):
    args = parse_args(argv)
    from hw.driver.images import default_lr_image, read_lr, write_sr

    config, device, model = _simulated(args) if args.export else _on_board(args)
    rgb = read_lr(args.input) if args.input else default_lr_image(config.scale)
    lr = rgb if config.input.frame_shape[-1] == 3 else _luma(rgb)
    sr, throughput = Accelerator(config, device).upscale(lr)
    write_sr(args.output, sr, rgb)
    print("\n".join(throughput.lines(config.scale)))
    validated = _validate(model, lr, sr) if args.validate else "not checked"
    _write_report(Path(args.output).with_suffix(".json"), throughput, validated)
    return 1 if validated == "FAIL" else 0


def _write_report(path, throughput, validated):
    report = {**asdict(throughput), "validate": validated,
              "device_lr_mpixel_per_s": throughput.lr_pixels / throughput.device_seconds / 1e6}
    path.write_text(json.dumps(report, indent=2) + "\n")


def _luma(rgb):
    from train.data.image_io import to_y_uint8

    return to_y_uint8(rgb)


def _validate(model, lr, sr):
    """"PASS" or "FAIL": the SR image against the golden model, bit for bit."""
    from hw.driver.simulated import golden_image

    if model is None:
        raise UserError("--validate on a board needs --model (the export's dataflow.onnx)")
    golden = golden_image(model, lr)
    differing = int(np.count_nonzero(golden != sr))
    print(f"validate: {'PASS, bit-exact' if not differing else f'FAIL, {differing} pixels differ'}"
          f" against the golden model on the whole {lr.shape[1]}x{lr.shape[0]} image")
    return "FAIL" if differing else "PASS"


if __name__ == "__main__":
    sys.exit(main())
