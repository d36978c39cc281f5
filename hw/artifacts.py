"""Names of the files an export folder holds, reading one, and the staging that keeps
every output folder of the flow (export, bitstream, area) whole. Light on purpose: no
torch import."""
import shutil
from contextlib import contextmanager
from pathlib import Path

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


def read_export(folder):
    """``(dataflow model, clock MHz)`` of an export folder; UserError naming the file
    that is missing or unreadable."""
    folder = existing_folder(folder, "export folder")
    hint = "run `make export` (python -m export) first"
    model = read_onnx(folder / DATAFLOW_FILE, hint)
    clock_mhz = read_json(folder / CONFIG_FILE, ["clock_mhz"], hint)["clock_mhz"]
    if isinstance(clock_mhz, bool) or not isinstance(clock_mhz, (int, float)) or clock_mhz <= 0:
        raise UserError(f"{folder / CONFIG_FILE}: 'clock_mhz' must be a positive number, "
                        f"got {clock_mhz!r}")
    return model, clock_mhz
