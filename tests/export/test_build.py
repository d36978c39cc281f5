"""The export build: equivalence chain torch == QONNX == every step == dataflow graph
(FINN execution) == golden model, exact, on real image frames; steps, outputs, errors."""
import json
import shutil

import numpy as np
import pytest
import torch

from export.__main__ import main
from export.build import STEP_NAMES, ExportConfig, ExportError, export_model
from export.equivalence import EquivalenceError, check_chain
from sr_models import trained_like
from train.data.datasets import real_frame
from train.quant import ActQuant
from train.registry import ConfigError

FRAME = 8
QUIET = dict(log=lambda *_: None)


def export_and_check(model, out):
    pixels = real_frame(FRAME, FRAME, model.in_channels)
    results = []
    export_model(model, ExportConfig(out, FRAME, FRAME),
                 lambda _, staging: results.extend(check_chain(model, staging, pixels, **QUIET)),
                 **QUIET)
    return results


def assert_exact(results, stages=("qonnx", *STEP_NAMES)):
    assert [r.stage for r in results] == ["brevitas", *stages, "golden"]
    assert all(r.differing == 0 and r.first_divergence is None for r in results)


@pytest.mark.parametrize("scale", [2, 4])
def test_default_models_are_exact_through_the_whole_chain(tmp_path, scale):
    model = trained_like("BinarySRResNet", scale, 1, seed=scale, channels=32, blocks=4)
    assert_exact(export_and_check(model, tmp_path / "export"))


def random_config(seed):
    rng = np.random.default_rng(seed)
    pick = lambda options: options[rng.integers(len(options))]  # noqa: E731
    return dict(arch=pick(["BinarySRResNet", "BinaryEDSR"]), scale=int(pick([2, 3, 4])),
                in_channels=int(pick([1, 3])), channels=int(pick([2, 4, 8])),
                blocks=int(pick([1, 2])), convs_per_block=int(pick([1, 2])),
                head_act=pick(["none", "prelu"]), out_act=pick(["none", "prelu", "rprelu"]),
                affine=pick(["mean_abs", "learned"]), branch_bits=int(pick([4, 8])))


SMALL_CONFIGS = [
    dict(arch="BinaryEDSR", scale=3, in_channels=3),
    dict(arch="BinarySRResNet", scale=4, in_channels=1, convs_per_block=1, out_act="rprelu",
         affine="learned", branch_bits=4),
    *(random_config(seed) for seed in range(2)),
]


@pytest.mark.parametrize("config", SMALL_CONFIGS, ids=lambda c: "-".join(map(str, c.values())))
def test_small_configs_are_exact(tmp_path, config):
    config = dict(config)
    arch, scale, in_channels = config.pop("arch"), config.pop("scale"), config.pop("in_channels")
    model = trained_like(arch, scale, in_channels, seed=scale, **config)
    assert_exact(export_and_check(model, tmp_path / "export"))


def write_checkpoint(path, model_config, model):
    torch.save({"config": {}, "arch": {"model": model_config, "scale": 2, "color": "y"},
                "model": model.state_dict(), "iteration": 0}, path)


@pytest.fixture(scope="module")
def cli_export(tmp_path_factory):
    """A tiny checkpoint exported by the CLI: (torch model, export folder, stdout)."""
    tmp = tmp_path_factory.mktemp("cli")
    model = trained_like("BinarySRResNet", 2, 1, seed=4, channels=4)
    write_checkpoint(tmp / "model.pth", {"type": "BinarySRResNet", "channels": 4, "blocks": 1},
                     model)
    out = tmp / "export"
    assert main(["--ckpt", str(tmp / "model.pth"), "--out", str(out), "--frame", "8x8"]) == 0
    return model, out


def test_cli_writes_every_artifact_and_a_verified_chain(cli_export):
    _, out = cli_export
    assert {p.name for p in out.iterdir()} == {
        "model.qonnx.onnx", "dataflow.onnx", "intermediate_models", "export_config.json",
        "summary.json", "summary.md", "verification.json"}
    assert sorted(p.stem for p in (out / "intermediate_models").iterdir()) == sorted(STEP_NAMES)
    stages = json.loads((out / "verification.json").read_text())["stages"]
    assert [s["differing"] for s in stages] == [0] * (len(STEP_NAMES) + 3)


def test_cli_records_the_hardware_width_and_the_video_frame(cli_export):
    _, out = cli_export
    config = json.loads((out / "export_config.json").read_text())
    assert (config["frame_height"], config["frame_width"]) == (8, 8)
    assert config["max_width"] == 960
    assert (config["video_height"], config["video_width"]) == (540, 960)
    assert config["target_cycles_per_pixel"] == pytest.approx(1e8 / 2 / (540 * 960))


def test_folding_target_is_the_video_frames_pixel_rate(tmp_path):
    video = ExportConfig(tmp_path, 32, 32, target_fps=4, video_height=540, video_width=960)
    # 100 MHz / (4 x 540 x 960 pixels) = 48.2 cycles per pixel, x 1024 pixels per frame
    assert video.target_cycles_per_pixel == pytest.approx(48.2253, abs=1e-4)
    assert video.target_cycles_per_frame == int(1e8 / 4 * 1024 / (540 * 960)) == 49382
    # without a video frame, target_fps counts verification frames
    assert ExportConfig(tmp_path, 8, 8, target_fps=1e8 / 3000).target_cycles_per_frame == 3000


@pytest.mark.parametrize("fields, message", [
    (dict(frame_width=64, max_width=32), "verification frame's width 64 exceeds max_width 32"),
    (dict(video_height=540, video_width=1920), "video frame 540x1920 is wider than max_width 960"),
    (dict(max_width=70000, video_width=960), "at most 65535 pixels"),
])
def test_frames_the_hardware_cannot_take_are_refused(tmp_path, fields, message):
    with pytest.raises(ConfigError, match=message):
        ExportConfig(tmp_path, **fields)


def test_summary_counts_layers_ops_and_memory(cli_export):
    _, out = cli_export
    summary = json.loads((out / "summary.json").read_text())
    kinds = [row["kind"] for row in summary["layers"]]
    assert kinds.count("binary MVAU") == 2
    assert kinds.count("integer MVAU") == 3  # head, tail, bicubic skip
    assert kinds[-1] == "DepthToSpace"
    totals = summary["totals"]
    assert totals["binary_ops_per_lr_pixel"] == 2 * 9 * 4 * 4  # two 3x3 convs, 4 -> 4 ch
    assert totals["int_macs_per_lr_pixel"] == 9 * 4 + 9 * 4 * 4 + 25 * 4  # head, tail, bicubic
    assert totals["weight_bits"] == sum(row["weight_bits"] for row in summary["layers"])
    assert summary["frame"] == {"height": 8, "width": 8, "channels": 1}
    assert "| binary MVAU |" in (out / "summary.md").read_text()


def test_start_and_stop_step_rerun_a_slice(cli_export, tmp_path):
    model, original = cli_export
    out = tmp_path / "export"
    shutil.copytree(original, out)
    export_model(model, ExportConfig(out, FRAME, FRAME, start_step="step_lower_convs",
                                     stop_step="step_convert_to_xnor"), **QUIET)
    # later results and the verification are gone: they could be stale
    assert not (out / "dataflow.onnx").exists() and not (out / "verification.json").exists()
    assert not (out / "intermediate_models" / "step_convert_to_hw.onnx").exists()
    export_model(model, ExportConfig(out, FRAME, FRAME, start_step="step_convert_to_hw"), **QUIET)
    assert_exact(check_chain(model, out, real_frame(FRAME, FRAME, 1), **QUIET))


def test_start_step_without_earlier_results_is_refused(tmp_path):
    cfg = ExportConfig(tmp_path / "export", FRAME, FRAME, start_step="step_streamline")
    with pytest.raises(ConfigError, match=r"step_convert_to_finn.onnx does not exist"):
        export_model(None, cfg, **QUIET)
    with pytest.raises(ConfigError, match=r"stop_step 'step_bitstream' is not a step"):
        export_model(None, ExportConfig(tmp_path / "x", stop_step="step_bitstream"), **QUIET)
    assert list(tmp_path.iterdir()) == []


def test_chain_reports_the_first_diverging_stage(cli_export):
    model, out = cli_export
    drifted = trained_like("BinarySRResNet", 2, 1, seed=4, channels=4)
    drifted.load_state_dict(model.state_dict())
    with torch.no_grad():  # the model drifts from its export: every stage now differs
        drifted.tail.conv.bias.add_(1.0)
    with pytest.raises(EquivalenceError, match=r"stage qonnx differs from the Brevitas model"):
        check_chain(drifted, out, real_frame(FRAME, FRAME, 1), **QUIET)


def test_float_residual_add_is_refused_naming_the_block_and_nothing_is_written(tmp_path):
    model = trained_like("BinarySRResNet", 2, 1, seed=2, channels=4, blocks=2)
    # the branch on a grid twice as coarse as the residual: the add is no longer integer
    model.body[1].branch_quant = ActQuant(8, -5, True, "brevitas")
    out = tmp_path / "export"
    (out / "old").mkdir(parents=True)
    with pytest.raises(ExportError, match=r"step_streamline: float Add \S+ \(in body\.1\): "
                                          r"quantize the residual"):
        export_model(model, ExportConfig(out, FRAME, FRAME), **QUIET)
    assert [p.name for p in out.iterdir()] == ["old"]  # the previous export is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["export"]  # no staging left behind


def test_cli_refuses_a_checkpoint_that_does_not_fit_its_config(tmp_path, capsys):
    ckpt = tmp_path / "model.pth"
    write_checkpoint(ckpt, {"type": "BinarySRResNet", "channels": 8, "blocks": 1},
                     trained_like("BinarySRResNet", 2, 1, seed=5, channels=4))
    assert main(["--ckpt", str(ckpt), "--out", str(tmp_path / "export")]) == 2  # bad input: exit code 2, as every command
    assert f"checkpoint {ckpt} does not fit the model" in capsys.readouterr().err
    assert not (tmp_path / "export").exists()
