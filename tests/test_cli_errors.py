"""Bad input to every command of the flow: one ``error:`` line naming the file, key or
layer, exit code 2, nothing half-written. Each case runs the command as a user would
(``python -m ...`` in a fresh working folder, which must look the same afterwards)."""
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
import pytest
import torch
import yaml

from export.build import ExportConfig, export_model
from train.config import REPO_ROOT
from train.data.image_io import write_png

sys.path.insert(0, str(REPO_ROOT / "tests" / "export"))
from sr_models import trained_like  # noqa: E402

TINY = yaml.safe_load((REPO_ROOT / "configs" / "tiny_test.yaml").read_text())
FRAME = 8


def noise(height, width, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def tiny_config(fixtures, name, model=None, **data):
    """tiny_test.yaml with ``model`` and ``data`` sections replaced."""
    config = {**TINY, "name": name, "model": model or TINY["model"],
              "data": {**TINY["data"], **data}}
    path = fixtures / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def with_identity_at_the_output(path):
    """The ONNX model at ``path`` with a plain Identity node after its output: a layer
    no HW step, RTL generator or golden kernel knows."""
    model = onnx.load(str(path))
    graph = model.graph
    old_output = graph.output[0]
    new_name = old_output.name + "_identity"
    graph.node.append(onnx.helper.make_node("Identity", [old_output.name], [new_name],
                                            name="Identity_0"))
    new_output = onnx.ValueInfoProto()
    new_output.CopyFrom(old_output)
    new_output.name = new_name
    graph.output.pop()
    graph.output.append(new_output)
    onnx.save(model, str(path))


def with_input_frame(path, height, width):
    model = onnx.load(str(path))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[1].dim_value, dims[2].dim_value = height, width
    onnx.save(model, str(path))


def _export_variant(fixtures, export, name, edit):
    variant = fixtures / name
    shutil.copytree(export, variant)
    edit(variant)
    return variant


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    """Inputs of every case, made once: a tiny checkpoint and its export, broken copies
    of the export, bad configs and image folders."""
    root = tmp_path_factory.mktemp("cli_errors")
    model = trained_like("BinarySRResNet", 2, 1, seed=4, channels=4)
    torch.save({"config": {}, "arch": {"model": {"type": "BinarySRResNet", "channels": 4,
                                                 "blocks": 1}, "scale": 2, "color": "y"},
                "model": model.state_dict(), "iteration": 0}, root / "model.pth")
    export = root / "export"
    export_model(model, ExportConfig(export, FRAME, FRAME, target_fps=1e8 / 2000),
                 log=lambda *_: None)
    _export_variant(root, export, "corrupt", lambda d: (d / "dataflow.onnx").write_bytes(b"junk"))
    _export_variant(root, export, "no_config", lambda d: (d / "export_config.json").unlink())
    _export_variant(root, export, "identity", lambda d: [
        with_identity_at_the_output(d / "dataflow.onnx"),
        with_identity_at_the_output(d / "intermediate_models" / "step_convert_to_hw.onnx")])
    _export_variant(root, export, "huge_frame",
                    lambda d: with_input_frame(d / "dataflow.onnx", 600, 600))

    for name, size in (("small", 10), ("ok", 40)):
        write_png(root / "sets" / name / "HR" / f"{name}.png", noise(size, size))
    write_png(root / "sets" / "bad_lr" / "HR" / "img.png", noise(40, 40))
    write_png(root / "sets" / "bad_lr" / "LR_bicubic" / "X2" / "imgx2.png", noise(19, 20))
    write_png(root / "sets" / "Set5" / "HR" / "bird.png", noise(40, 40))
    train_folder = root / "sets" / "train"
    for i in range(3):
        write_png(train_folder / f"t{i}.png", noise(40, 40, seed=i))
    shutil.copytree(train_folder, root / "sets" / "train_copy")

    tiny_config(root, "model_str", model={"type": "BinarySRResNet", "channels": "8"})
    tiny_config(root, "val_small", val={"folder": str(root / "sets" / "small" / "HR")})
    tiny_config(root, "val_bad_lr", val={"folder": str(root / "sets" / "bad_lr" / "HR")})
    tiny_config(root, "val_test_set", val={"folder": str(root / "sets" / "Set5" / "HR")})
    tiny_config(root, "val_overlap", val={"folder": str(root / "sets" / "train_copy")},
                train={**TINY["data"]["train"], "folders": [str(train_folder)]})
    (root / "model.yaml").write_text("")  # not a checkpoint

    config = json.loads((export / "export_config.json").read_text())
    layout = {"elem_bits": 8, "per_word": 1, "tdata_bits": 8, "signed": False, "channels": 1}
    driver = {"input": layout, "output": layout, "halo": 4, "scale": 2,
              "clock_mhz": config["clock_mhz"], "max_width": config["max_width"]}
    (root / "driver_config.json").write_text(json.dumps(driver))
    (root / "unknown_key.json").write_text(json.dumps(
        {**driver, "input": {**layout, "pixel_bits": 8}}))
    (root / "missing_key.json").write_text(json.dumps(
        {key: value for key, value in driver.items() if key != "halo"}))
    return root


# (id, argv after `python -m`, what the error line must name); {f} is the fixtures
# folder, output paths are relative: inside the case's fresh working folder.
CASES = [
    ("train-model-type", "train.train --config {f}/model_str.yaml --out runs", "'model.channels'"),
    ("train-iters-0", "train.train --config {f}/model_str.yaml --iters 0", "--iters"),
    ("train-val-smaller-than-ssim", "train.train --config {f}/val_small.yaml --out runs",
     "small.png is 10x10"),
    ("train-val-lr-wrong-size", "train.train --config {f}/val_bad_lr.yaml --out runs",
     "imgx2.png: LR image is 20x19"),
    ("train-val-is-a-test-set", "train.train --config {f}/val_test_set.yaml --out runs",
     "Set5/HR is a test set"),
    ("train-val-overlaps-training", "train.train --config {f}/val_overlap.yaml --out runs",
     "also a training image"),
    ("evaluate-hr-too-small", "train.evaluate --ckpt {f}/model.pth --data {f}/sets/small/HR "
     "--out eval", "small.png is 10x10"),
    ("evaluate-lr-wrong-size", "train.evaluate --ckpt {f}/model.pth --data {f}/sets/bad_lr/HR "
     "--out eval", "imgx2.png"),
    ("evaluate-not-a-checkpoint", "train.evaluate --ckpt {f}/model.yaml --out eval",
     "model.yaml"),
    ("upscale-missing-input", "train.upscale --ckpt {f}/model.pth --input {f}/nowhere "
     "--output sr", "nowhere"),
    ("export-target-fps-0", "export --ckpt {f}/model.pth --out exp --target-fps 0",
     "--target-fps"),
    ("export-clock-0", "export --ckpt {f}/model.pth --out exp --clock-mhz 0", "--clock-mhz"),
    ("export-max-width-0", "export --ckpt {f}/model.pth --out exp --max-width 0",
     "--max-width"),
    ("export-video-wider-than-hardware", "export --ckpt {f}/model.pth --out exp "
     "--video 540x1920", "video frame 540x1920 is wider than max_width 960"),
    ("export-frame-wider-than-hardware", "export --ckpt {f}/model.pth --out exp --frame 8x8 "
     "--max-width 4", "verification frame's width 8 exceeds max_width 4"),
    ("export-frame-larger-than-photos", "export --ckpt {f}/model.pth --out exp --frame 600x600",
     "frame 600x600"),
    ("export-unsupported-layer", "export --ckpt {f}/model.pth --out identity --frame 8x8 "
     "--start-step step_set_folding", "Identity Identity_0"),
    ("sim-missing-export", "sim.accelerator --export {f}/nowhere --build build", "nowhere"),
    ("sim-corrupt-onnx", "sim.accelerator --export {f}/corrupt --build build", "dataflow.onnx"),
    ("sim-missing-export-config", "sim.accelerator --export {f}/no_config --build build",
     "export_config.json"),
    ("sim-stitch-unsupported-layer", "sim.accelerator --export {f}/identity --build build",
     "Identity_0"),
    ("sim-frame-wider-than-hardware", "sim.accelerator --export {f}/export --frame 8x961 "
     "--build build", "frame 8x961 is wider than the 960 pixels"),
    ("sim-frame-with-waves", "sim.accelerator --export {f}/export --frame 8x8 --waves "
     "--build build", "--frame runs the Verilator C++ harness"),
    ("sim-frame-larger-than-photos", "sim.accelerator --export {f}/huge_frame --build build",
     "frame 600x600"),
    ("area-corrupt-onnx", "hw.area_report --export {f}/corrupt --out area", "dataflow.onnx"),
    ("area-stitch-unsupported-layer", "hw.area_report --export {f}/identity --out area",
     "Identity_0"),
    ("driver-missing-export", "hw.driver --export {f}/nowhere --output sr.png", "nowhere"),
    ("driver-config-unknown-key", "hw.driver --bitfile x.bit --config {f}/unknown_key.json "
     "--output sr.png", "unknown key 'input.pixel_bits'"),
    ("driver-config-missing-key", "hw.driver --bitfile x.bit --config {f}/missing_key.json "
     "--output sr.png", "missing key 'halo'"),
    ("driver-bitfile-without-pynq", "hw.driver --bitfile x.bit --config "
     "{f}/driver_config.json --output sr.png", "needs a PYNQ board"),
    ("bitstream-corrupt-onnx", "hw.bitstream --export {f}/corrupt --board Pynq-Z2 --out bit",
     "dataflow.onnx"),
    ("bitstream-clock-0", "hw.bitstream --export {f}/export --board Pynq-Z2 --out bit "
     "--clock-mhz 0", "--clock-mhz"),
    ("bitstream-unknown-board", "hw.bitstream --export {f}/export --board Pynq-Z3 --out bit",
     "unknown board 'Pynq-Z3'"),
    ("deploy-missing-build", "hw.bitstream.deploy --build {f}/nowhere --out deploy",
     "build_info.json"),
]
# cases whose output folder is an earlier export: it must come out unchanged
SEEDED = {"export-unsupported-layer": "identity"}


def _listing(folder):
    return sorted((str(p.relative_to(folder)), p.stat().st_size if p.is_file() else -1)
                  for p in folder.rglob("*"))


def _run(case, fixtures, work):
    name, argv, _ = case
    work.mkdir()
    if name in SEEDED:
        shutil.copytree(fixtures / SEEDED[name], work / SEEDED[name])
    before = _listing(work)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-m", *argv.format(f=fixtures).split()], cwd=work,
                         env=env, capture_output=True, text=True, timeout=300)
    return run, before, _listing(work)


@pytest.fixture(scope="module")
def results(fixtures, tmp_path_factory):
    """Every case run once, two at a time (each is mostly interpreter start-up)."""
    works = tmp_path_factory.mktemp("cli_error_runs")
    with ThreadPoolExecutor(2) as pool:
        runs = pool.map(lambda case: _run(case, fixtures, works / case[0]), CASES)
        return dict(zip((case[0] for case in CASES), runs))


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_one_error_line_exit_2_and_nothing_written(case, results):
    name, _, names = case
    run, before, after = results[name]
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2, run.stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr[-3000:]
    assert names in lines[0]
    assert after == before  # no output folder, no staging folder, nothing changed
