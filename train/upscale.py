"""Super-resolve a folder of LR images with a trained model.

``python -m train.upscale --ckpt CKPT --input LR_FOLDER --output OUT_FOLDER``

Writes ``<stem>_x{scale}.png`` per input image. Colour handling:

* Y model (``in_channels == 1``) on an RGB image: the model upscales the BT.601 Y
  plane, Cb/Cr are MATLAB-bicubic upscaled, and the result is converted back to RGB.
* Y model on a grey image: the grey plane goes through the model; output is grey.
* RGB model on a grey image: the plane is replicated to 3 channels; output is RGB
  (its channels are near-identical but not forced equal).

This module also holds the inference and output helpers that ``train.evaluate`` uses.
"""
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from train import checkpoint
from train.cli import ArgumentParser, command
from train.data.image_io import (list_images, read_image, to_y_uint8,
                                 with_bicubic_chroma, write_png)
from train.registry import ConfigError

def run_model(model, img):
    """Pass one uint8 image (HxW, or HxWxC matching ``model.in_channels``) through the model.

    Returns the uint8 SR image in the same layout. ``model`` should be in eval mode.
    """
    chw = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
    if chw.shape[0] != model.in_channels:
        raise ValueError(f"model takes {model.in_channels} channel(s), image has {chw.shape[0]}")
    device = next(model.parameters(), torch.empty(0)).device
    x = torch.from_numpy(np.ascontiguousarray(chw, dtype=np.float32))[None].to(device)
    with torch.no_grad():
        y = model(x)
    expected = (1, x.shape[1], x.shape[2] * model.scale, x.shape[3] * model.scale)
    if tuple(y.shape) != expected:
        raise ValueError(f"model returned shape {tuple(y.shape)} for input {tuple(x.shape)}, "
                         f"expected {expected}")
    # Deployable models already emit integers; clamp+round guards float models.
    out = y[0].clamp(0, 255).round().to(torch.uint8).cpu().numpy()
    return out[0] if img.ndim == 2 else out.transpose(1, 2, 0)


def super_resolve(model, lr):
    """SR of a uint8 HxW (grey) or HxWx3 (RGB) image with a Y or RGB model; uint8 out.

    See the module docstring for how grey/RGB images meet Y/RGB models.
    """
    if model.in_channels == 1:
        if lr.ndim == 2:
            return run_model(model, lr)
        return with_bicubic_chroma(run_model(model, to_y_uint8(lr)), lr)
    if lr.ndim == 2:
        lr = np.repeat(lr[..., None], 3, axis=2)
    return run_model(model, lr)


def _nearest_existing(path):
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


@contextmanager
def staged_output(out_dir):
    """Yield a scratch folder whose files move into ``out_dir`` only if the block succeeds.

    On any error the scratch folder is deleted, so a failed run leaves no partial output.
    Each file is moved with ``os.replace`` (same filesystem), so readers never see a
    half-written file.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"output {out_dir} exists and is not a folder")
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=_nearest_existing(out_dir.parent)))
    try:
        yield staging
        for file in sorted(p for p in staging.rglob("*") if p.is_file()):
            target = out_dir / file.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(file, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def output_name(path, scale):
    return f"{Path(path).stem}_x{scale}.png"


def _check_unique_outputs(paths, scale):
    seen = {}
    for path in paths:
        name = output_name(path, scale)
        if name in seen:
            raise ConfigError(f"{seen[name]} and {path} would both be written to {name}")
        seen[name] = path


def upscale_folder(model, input_dir, output_dir):
    """Super-resolve every image in ``input_dir`` into ``output_dir``; return written paths.

    All inputs are read before anything is written, so a corrupt file fails fast
    and leaves no output.
    """
    paths = list_images(input_dir)
    _check_unique_outputs(paths, model.scale)
    images = [read_image(path) for path in paths]
    with staged_output(output_dir) as staging:
        for path, lr in tqdm(list(zip(paths, images)), desc="upscale", unit="img"):
            write_png(staging / output_name(path, model.scale), super_resolve(model, lr))
    return [Path(output_dir) / output_name(path, model.scale) for path in paths]


def parse_args(argv=None):
    parser = ArgumentParser(prog="python -m train.upscale", description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", required=True, type=Path, help="trained model checkpoint")
    parser.add_argument("--input", required=True, type=Path, help="folder of LR images")
    parser.add_argument("--output", required=True, type=Path, help="folder for the SR PNGs")
    return parser.parse_args(argv)


@command
def main(argv=None):
    args = parse_args(argv)
    model = checkpoint.load_model(args.ckpt)
    written = upscale_folder(model, args.input, args.output)
    print(f"wrote {len(written)} image(s) to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
