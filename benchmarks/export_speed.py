"""Export time of a trained model, golden-model speed on a 256x256 LR image, and the PSNR
of the deployable integer path (golden model on whole Set5 images) next to the model's.

    python -m benchmarks.export_speed --ckpt runs/bench/bench_x2/best.pth

The golden model runs the exported dataflow graph on each whole image (it accepts any
frame size); its SR output must equal the Brevitas model's exactly, so both PSNRs are
reported and must agree to the last digit.
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from qonnx.core.modelwrapper import ModelWrapper

from benchmarks.common import machine_info, machine_line, write_result
from export.build import ExportConfig, export_model
from hw.artifacts import DATAFLOW_FILE
from sim.golden.graph import run_graph
from train.checkpoint import load_model
from train.data.datasets import load_test_set
from train.metrics import calculate_psnr
from train.upscale import run_model

SET5 = Path(__file__).resolve().parents[2] / "shared" / "data" / "test" / "Set5" / "HR"


def golden_sr(model: ModelWrapper, lr: np.ndarray) -> np.ndarray:
    """uint8 Y LR (H, W) -> uint8 Y SR through the golden model of the dataflow graph."""
    name, out = model.graph.input[0].name, model.graph.output[0].name
    return run_graph(model, {name: lr[None, :, :, None]}, any_frame_size=True)[out][0, :, :, 0] \
        .astype(np.uint8)


def time_export(torch_model, out: Path) -> float:
    begin = time.perf_counter()
    export_model(torch_model, ExportConfig(out), log=lambda *_: None)
    return time.perf_counter() - begin


def time_golden(model: ModelWrapper, size: int = 256) -> float:
    lr = np.random.default_rng(0).integers(0, 256, (size, size), dtype=np.uint8)
    begin = time.perf_counter()
    golden_sr(model, lr)
    return time.perf_counter() - begin


def set5_psnr(torch_model, model: ModelWrapper, scale: int):
    """Per image: (name, LR size, PSNR of the Brevitas model, PSNR of the golden model)."""
    rows = []
    for name, lr, hr in load_test_set(SET5, scale):
        with torch.no_grad():
            float_path = run_model(torch_model, lr)
        integer_path = golden_sr(model, lr)
        rows.append((name, lr.shape, calculate_psnr(float_path, hr, scale),
                     calculate_psnr(integer_path, hr, scale),
                     int(np.count_nonzero(float_path != integer_path))))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", required=True)
    args = parser.parse_args(argv)
    info = machine_info()
    torch_model = load_model(args.ckpt)
    with tempfile.TemporaryDirectory() as tmp:
        export_seconds = time_export(torch_model, Path(tmp) / "export")
        model = ModelWrapper(str(Path(tmp) / "export" / DATAFLOW_FILE))
    golden_seconds = time_golden(model)
    rows = set5_psnr(torch_model, model, torch_model.scale) if SET5.is_dir() else []
    lines = [f"# Export and golden-model speed ({Path(args.ckpt).parent.name})", "",
             machine_line(info), "",
             f"- export (QONNX + 8 steps + equivalence not included), 32x32 frame: "
             f"{export_seconds:.1f} s",
             f"- golden model, one 256x256 LR image (x{torch_model.scale}): "
             f"{golden_seconds:.2f} s", ""]
    if rows:
        lines += ["| Set5 image | LR size | Brevitas model PSNR | golden (integer) PSNR | "
                  "differing pixels |", "|---|---|---|---|---|"]
        lines += [f"| {n} | {s[1]}x{s[0]} | {a:.3f} | {b:.3f} | {d} |" for n, s, a, b, d in rows]
        lines += ["", f"Mean: {np.mean([r[2] for r in rows]):.3f} dB (model) and "
                      f"{np.mean([r[3] for r in rows]):.3f} dB (golden integer path).", ""]
    data = {"machine": info, "export_seconds": export_seconds, "golden_256_seconds": golden_seconds,
            "set5": [dict(image=n, psnr_model=a, psnr_golden=b, differing=d)
                     for n, _, a, b, d in rows]}
    print("\n".join(lines))
    print(write_result("export_speed", "\n".join(lines), data))


if __name__ == "__main__":
    main()
