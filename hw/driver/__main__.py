"""``python -m hw.driver``: super-resolve a whole image on the accelerator.

Here the device is the Verilator simulation of the exported model's RTL
(``--export``); on a PYNQ board, the overlay (``--bitfile`` with the build's
``driver_config.json``). An image no wider than the hardware's maximum width runs as
one whole frame; a wider one in vertical strips with the halo (the output says so).
``--validate`` compares the SR image bit for bit with the golden model applied to the
whole image. The numbers printed are also written next to
the SR image, as ``<output>.json``. ``--ensemble`` runs the 8 flips/rotations of the
image on the device and averages them on the host (self-ensemble, train/ensemble.py).
"""
import json
import sys
from dataclasses import asdict
from pathlib import Path

from hw.driver.session import DEFAULT_BUILD, differing_pixels, on_board, simulated, upscale_image
from train.cli import ArgumentParser, UserError, command


def parse_args(argv=None):
    parser = ArgumentParser(prog="python -m hw.driver", description=__doc__.splitlines()[0])
    device = parser.add_mutually_exclusive_group(required=True)
    device.add_argument("--export", help="export folder: simulated device (Verilator)")
    device.add_argument("--bitfile", help="overlay .bit on a PYNQ board (needs --config)")
    parser.add_argument("--config", help="driver_config.json of the bitstream build")
    parser.add_argument("--model", help="with --bitfile: the dataflow.onnx you mean to run; "
                                        "checked against the build's model hash, and used "
                                        "by --validate")
    parser.add_argument("--input", help="LR image; default: a whole bundled photo (chelsea), "
                                        "bicubic-downscaled by the model's scale")
    parser.add_argument("--output", required=True, help="SR PNG to write")
    parser.add_argument("--validate", action="store_true",
                        help="compare with the golden model on the whole image, bit for bit")
    parser.add_argument("--ensemble", action="store_true",
                        help="self-ensemble: 8 flips/rotations on the device, averaged here")
    parser.add_argument("--build", default=str(DEFAULT_BUILD), help="simulation build folder")
    return parser.parse_args(argv)


@command
def main(argv=None):
    args = parse_args(argv)
    from hw.driver.images import default_lr_image, read_lr, write_sr

    session = (simulated(args.export, args.build) if args.export
               else on_board(args.bitfile, args.config, args.model))
    rgb = read_lr(args.input) if args.input else default_lr_image(session.config.scale)
    lr, sr, throughput = upscale_image(session, rgb, args.ensemble)
    write_sr(args.output, sr, rgb)
    print("\n".join(throughput.lines(session.config.scale)))
    validated = _validate(session.model, lr, sr, args.ensemble) if args.validate else "not checked"
    _write_report(Path(args.output).with_suffix(".json"), throughput, lr, validated)
    return 1 if validated == "FAIL" else 0


def _write_report(path, throughput, lr, validated):
    report = {**asdict(throughput), "lr_height": lr.shape[0], "lr_width": lr.shape[1],
              "validate": validated,
              "device_lr_mpixel_per_s": throughput.device_lr_mpixel_per_s}
    path.write_text(json.dumps(report, indent=2) + "\n")


def _validate(model, lr, sr, ensemble):
    """"PASS" or "FAIL": the SR image against the golden model, bit for bit."""
    if model is None:
        raise UserError("--validate on a board needs --model (the export's dataflow.onnx)")
    differing = differing_pixels(model, lr, sr, ensemble)
    print(f"validate: {'PASS, bit-exact' if not differing else f'FAIL, {differing} pixels differ'}"
          f" against the golden model on the whole {lr.shape[1]}x{lr.shape[0]} image")
    return "FAIL" if differing else "PASS"


if __name__ == "__main__":
    sys.exit(main())
