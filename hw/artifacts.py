"""Names of the files an export folder holds, reading one, and the staging that keeps
every output folder of the flow (export, bitstream, area) whole. Light on purpose: no
torch import."""
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from train.cli import UserError, existing_folder, read_json, read_onnx

QONNX_FILE = "model.qonnx.onnx"
DATAFLOW_FILE = "dataflow.onnx"
INTERMEDIATE_DIR = "intermediate_models"
CONFIG_FILE = "export_config.json"


@contextmanager
def staged_folder(out):
    """Yield a fresh staging folder beside ``out``; when the block succeeds it replaces
    ``out`` (an older folder is removed only then), otherwise it is deleted: a failed
    run leaves nothing half-written and the previous folder untouched."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"output {out} exists and is not a folder")
    staging, old = out.with_name(f".{out.name}.staging"), out.with_name(f".{out.name}.old")
    for leftover in (staging, old):
        shutil.rmtree(leftover, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        if out.exists():
            out.rename(old)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


class Export(NamedTuple):
    model: object  # the dataflow graph (qonnx ModelWrapper)
    clock_mhz: float
    max_width: int  # the widest LR frame the hardware is built for


def read_export(folder) -> Export:
    """The dataflow model of an export folder, its clock and the hardware's maximum frame
    width; UserError naming the file or key that is missing or unreadable."""
    folder = existing_folder(folder, "export folder")
    hint = "run `make export` (python -m export) first"
    model = read_onnx(folder / DATAFLOW_FILE, hint)
    config = read_json(folder / CONFIG_FILE, ["clock_mhz", "max_width"], hint)
    for key, kind in (("clock_mhz", (int, float)), ("max_width", int)):
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
            raise UserError(f"{folder / CONFIG_FILE}: '{key}' must be a positive number, "
                            f"got {value!r}")
    return Export(model, config["clock_mhz"], config["max_width"])
