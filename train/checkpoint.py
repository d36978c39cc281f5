"""Checkpoints: everything needed to resume a run bit-exactly, or to rebuild its model.

Files are written atomically (temporary file in the same folder, then ``os.replace``),
so an interrupted save never leaves a truncated checkpoint behind. They hold only
tensors and plain Python values, so they load with ``torch.load(weights_only=True)``.
"""
import os
import pickle
import random
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch

from train.archs import build_model
from train.registry import ConfigError

_REQUIRED_ENTRIES = ("config", "arch", "model", "iteration")


def in_channels_of(color):
    return 1 if color == "y" else 3


def state_signature(state_dict):
    """Sorted ``[(name, shape)]`` of a state_dict: identifies an architecture's layout."""
    return sorted((name, list(tensor.shape)) for name, tensor in state_dict.items())


def save_checkpoint(path, *, config, model, optimizer, scheduler, iteration, rng_state,
                    data_state, best_psnr, elapsed_seconds=0.0):
    """Write a resumable checkpoint to ``path`` atomically."""
    model_state = model.state_dict()
    checkpoint = {
        "config": config,
        "arch": {"model": config["model"], "scale": config["scale"], "color": config["color"],
                 "signature": state_signature(model_state)},
        "model": model_state,
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "iteration": iteration,
        "rng_state": rng_state,
        "data_state": data_state,
        "best_psnr": best_psnr,
        "elapsed_seconds": elapsed_seconds,
    }
    _atomic_torch_save(checkpoint, Path(path))


def _atomic_torch_save(obj, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            torch.save(obj, tmp)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        os.unlink(tmp_name)
        raise


def load_checkpoint(path):
    """The checkpoint dict at ``path`` (tensors on the CPU); ConfigError if missing/corrupt."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"checkpoint {path} does not exist")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError,
            zipfile.BadZipFile) as err:
        reason = " ".join(str(err).split())[:200]
        raise ConfigError(f"checkpoint {path} is corrupt or not a checkpoint ({reason})") from None
    if not isinstance(checkpoint, dict) or not all(k in checkpoint for k in _REQUIRED_ENTRIES):
        raise ConfigError(f"checkpoint {path} is not a training checkpoint of this project "
                          f"(expected entries {list(_REQUIRED_ENTRIES)})")
    return checkpoint


def load_weights(model, path):
    """Load the weights at ``path`` into ``model`` after checking names and shapes.

    Returns the whole checkpoint dict (for resuming). A checkpoint of another
    architecture raises ConfigError naming the checkpoint and the first mismatch.
    """
    checkpoint = load_checkpoint(path)
    _apply_weights(model, checkpoint, path)
    return checkpoint


def _apply_weights(model, checkpoint, path):
    mismatch = _first_mismatch(model.state_dict(), checkpoint["model"])
    if mismatch:
        raise ConfigError(f"checkpoint {path} does not fit the model "
                          f"(checkpoint arch: {checkpoint['arch']['model']}): {mismatch}")
    model.load_state_dict(checkpoint["model"])


def _first_mismatch(model_state, checkpoint_state):
    """Description of the first parameter whose presence or shape differs, else None."""
    # Model order first: the earliest layer that differs is the most telling.
    for name in [*model_state, *(n for n in checkpoint_state if n not in model_state)]:
        if name not in checkpoint_state:
            return f"parameter '{name}' of the model is missing from the checkpoint"
        if name not in model_state:
            return f"parameter '{name}' of the checkpoint does not exist in the model"
        model_shape = list(model_state[name].shape)
        checkpoint_shape = list(checkpoint_state[name].shape)
        if model_shape != checkpoint_shape:
            return (f"parameter '{name}' has shape {checkpoint_shape} in the checkpoint "
                    f"but {model_shape} in the model")
    return None


def load_model(path, device="cpu"):
    """The model stored in the checkpoint at ``path``, in eval mode on ``device``."""
    checkpoint = load_checkpoint(path)
    arch = checkpoint["arch"]
    model = build_model(arch["model"], arch["scale"], in_channels_of(arch["color"]))
    _apply_weights(model, checkpoint, path)
    return model.to(device).eval()


def capture_rng_state():
    """The torch, CUDA, numpy and Python RNG states as tensors and plain values."""
    name, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": [name, keys.tolist(), pos, has_gauss, cached_gaussian],
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state):
    """Inverse of ``capture_rng_state``."""
    torch.set_rng_state(state["torch"])
    name, keys, pos, has_gauss, cached_gaussian = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss,
                         cached_gaussian))
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
