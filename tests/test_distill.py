"""Distillation: R_k and L_DBT by hand, hooks on the body blocks, block matching, the output
term, the teacher from the config (a float twin, or a wider and deeper model)."""
import math

import pytest
import torch
import yaml
from torch import nn

from benchmarks.distillation import VARIANTS, distill_overrides
from tests.test_distributed import run_to_end, torchrun
from train.archs import build_model
from train.checkpoint import load_checkpoint
from train.config import REPO_ROOT, load_config
from train.distill import Distiller, attention_map, block_outputs, dbt_loss, matched
from train.registry import ConfigError
from train.train import main

TINY = REPO_ROOT / "configs" / "tiny_test.yaml"


def test_attention_map_by_hand():
    features = torch.tensor([[1.0, -1.0, 1.0, -1.0], [2.0, 0.0, 0.0, 0.0]]).view(2, 1, 2, 2)
    # squares [1,1,1,1] / ||.||_2 = 2 ; [4,0,0,0] / 4
    expected = torch.tensor([[0.5, 0.5, 0.5, 0.5], [1.0, 0.0, 0.0, 0.0]])
    assert torch.equal(attention_map(features), expected)


def test_spatial_attention_map_sums_the_channels_by_hand():
    # channel squares [1,0,0,1] + [0,4,0,1] = [1,4,0,2] ; ||.||_2 = sqrt(21)
    features = torch.tensor([[[[1.0, 0.0], [0.0, -1.0]], [[0.0, 2.0], [0.0, 1.0]]]])
    expected = torch.tensor([[1.0, 4.0, 0.0, 2.0]]) / math.sqrt(21)
    torch.testing.assert_close(attention_map(features, spatial=True), expected)


def test_a_deeper_teachers_blocks_are_matched_at_the_ends_of_the_students():
    teacher = ["t0", "t1", "t2", "t3", "t4", "t5"]
    assert matched(teacher, 3) == ["t1", "t3", "t5"]
    assert matched(teacher, 1) == ["t5"]
    assert matched(teacher, 6) == teacher


def test_dbt_loss_by_hand():
    # block 1, sample 0: R_fp = [.5,.5,.5,.5], R_bin = [1,0,0,0] -> ||.||_2 = 1;
    #          sample 1: equal -> 0
    teacher_1 = torch.tensor([[1.0, 1.0, 1.0, 1.0], [3.0, 0.0, 0.0, 0.0]])
    student_1 = torch.tensor([[-2.0, 0.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0]])
    # block 2: R_fp = [1, 0], R_bin = [0, 1] -> sqrt(2) for both samples
    teacher_2 = torch.tensor([[5.0, 0.0], [1.0, 0.0]])
    student_2 = torch.tensor([[0.0, 0.5], [0.0, -7.0]])
    loss = dbt_loss([teacher_1, teacher_2], [student_1, student_2])
    torch.testing.assert_close(loss, torch.tensor((1.0 + 0.0) / 2 + math.sqrt(2)))


class Scaled(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = nn.Parameter(torch.tensor(factor))

    def forward(self, x):
        return x * self.factor


class TinyBodyNet(nn.Module):
    def __init__(self, factors):
        super().__init__()
        self.body = nn.ModuleList(Scaled(f) for f in factors)

    def forward(self, x):
        for block in self.body:
            x = block(x)
        return x + 1


def test_hooks_capture_every_body_block_and_are_removed():
    net = TinyBodyNet([2.0, 3.0])
    x = torch.tensor([[1.0, 2.0]])
    with block_outputs(net) as outputs:
        net(x)
    assert [o.tolist() for o in outputs] == [[[2.0, 4.0]], [[6.0, 12.0]]]
    net(x)
    assert len(outputs) == 2


def test_distiller_adds_beta_times_dbt_and_trains_only_the_student():
    teacher, student = TinyBodyNet([1.0, 1.0]), TinyBodyNet([1.0, -1.0])
    x = torch.tensor([[1.0, 2.0]])
    sr, loss = Distiller(teacher, beta=0.5)(student, x)
    assert torch.equal(sr, x * -1 + 1)
    # squares equal in both blocks: R_fp == R_bin, so the loss is 0
    assert loss.item() == 0.0
    scaled = TinyBodyNet([0.5, 4.0])  # features scaled per block: the same normalized maps
    assert Distiller(teacher, beta=0.5)(scaled, x)[1].item() == 0.0
    _, loss = Distiller(teacher, beta=0.5)(TinyBodyNet([1.0, 0.0]), x)
    # block 2 of the student is all zero: R_bin = 0, so that block adds ||R_fp||_2 = 1
    torch.testing.assert_close(loss, torch.tensor(0.5))
    loss.backward()
    assert all(p.grad is None for p in teacher.parameters())


def test_output_term_is_l1_to_the_teachers_output_on_pixels_over_255():
    teacher, student = TinyBodyNet([2.0, 3.0]), TinyBodyNet([1.0, 1.0])
    x = torch.tensor([[51.0, 102.0]])
    sr, loss = Distiller(teacher, beta=0.0, output_weight=0.5)(student, x)
    # teacher 6x + 1, student x + 1: mean |5x| / 255 = (255 + 510) / 2 / 255 = 1.5
    torch.testing.assert_close(loss, torch.tensor(0.5 * 1.5))
    loss.backward()
    assert student.body[0].factor.grad is not None


def test_features_and_output_terms_add():
    teacher, student = TinyBodyNet([1.0, 1.0, 2.0, 2.0]), TinyBodyNet([1.0, 0.0])
    x = torch.tensor([[1.0, 2.0]])
    # student block 1 (all zero) is matched with teacher block 3: ||R_t||_2 = 1; block 0
    # with teacher block 1: equal maps. Outputs 4x + 1 and 1: mean |4x| / 255 = 6 / 255
    _, loss = Distiller(teacher, beta=0.5, output_weight=2.0)(student, x)
    torch.testing.assert_close(loss, torch.tensor(0.5 + 2.0 * 6 / 255))


def tiny_frbc(tmp_path, name, model, distill=None):
    data = yaml.safe_load(TINY.read_text())
    data["name"] = name
    data["model"] = model
    data["train"]["iters"] = 2
    data["train"]["scheduler"]["milestones"] = [1]
    if distill:
        data["train"]["distill"] = distill
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


FRBC_TINY = {"type": "FRBC", "channels": 4, "blocks": 2}


def test_a_float_twin_teaches_the_binary_frbc(tmp_path):
    teacher_cfg = tiny_frbc(tmp_path, "teacher", {**FRBC_TINY, "binarize": "none"})
    assert main(["--config", str(teacher_cfg), "--out", str(tmp_path)]) == 0
    student_cfg = tiny_frbc(tmp_path, "student", FRBC_TINY,
                            {"teacher": str(tmp_path / "teacher" / "last.pth"), "beta": 1e-4})
    assert main(["--config", str(student_cfg), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "student" / "last.pth").is_file()


def test_teacher_with_other_blocks_or_missing_is_named(tmp_path, capsys):
    teacher_cfg = tiny_frbc(tmp_path, "teacher", {**FRBC_TINY, "blocks": 1, "binarize": "none"})
    assert main(["--config", str(teacher_cfg), "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    for teacher, message in ((tmp_path / "teacher" / "last.pth", "teacher has 1 body blocks"),
                             (tmp_path / "absent.pth", "absent.pth does not exist")):
        cfg = tiny_frbc(tmp_path, "student", FRBC_TINY, {"teacher": str(teacher)})
        assert main(["--config", str(cfg), "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and "train.distill.teacher" in err and message in err
        assert not (tmp_path / "student").exists()


def test_distill_config_rejects_unknown_keys(tmp_path):
    cfg = tiny_frbc(tmp_path, "student", FRBC_TINY, {"teacher": None, "gamma": 1.0})
    with pytest.raises(ConfigError, match="train.distill.gamma"):
        load_config(cfg)


def test_distillation_under_two_data_parallel_processes(tmp_path):
    teacher_cfg = tiny_frbc(tmp_path, "teacher", {**FRBC_TINY, "binarize": "none"})
    assert main(["--config", str(teacher_cfg), "--out", str(tmp_path)]) == 0
    student_cfg = tiny_frbc(tmp_path, "student", FRBC_TINY,
                            {"teacher": str(tmp_path / "teacher" / "last.pth")})
    result = run_to_end(torchrun(student_cfg, tmp_path))
    assert result.returncode == 0, result.stderr
    assert load_checkpoint(tmp_path / "student" / "last.pth")["iteration"] == 2


WIDE_TEACHER = {"type": "BinarySRResNet", "channels": 8, "blocks": 2}
SMALL_STUDENT = {"type": "BinarySRResNet", "channels": 4, "blocks": 1, "convs_per_block": 1}


@pytest.fixture
def wide_teacher(tmp_path, capsys):
    cfg = tiny_frbc(tmp_path, "teacher", WIDE_TEACHER)
    assert main(["--config", str(cfg), "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    return str(tmp_path / "teacher" / "last.pth")


def test_a_wider_deeper_teacher_teaches_a_small_model_through_spatial_maps_and_output(
        tmp_path, wide_teacher):
    cfg = tiny_frbc(tmp_path, "student", SMALL_STUDENT,
                    {"teacher": wide_teacher, "features": "spatial", "output_weight": 1.0})
    assert main(["--config", str(cfg), "--out", str(tmp_path)]) == 0
    assert load_checkpoint(tmp_path / "student" / "last.pth")["iteration"] == 2


def test_loading_the_teacher_draws_no_random_numbers(tmp_path, wide_teacher):
    config = load_config(tiny_frbc(tmp_path, "student", SMALL_STUDENT,
                                   {"teacher": wide_teacher, "features": "spatial"}))
    model = build_model(SMALL_STUDENT, 2, 1)
    before = torch.get_rng_state()
    assert Distiller.from_config(config, model, torch.device("cpu")) is not None
    assert torch.equal(torch.get_rng_state(), before)


@pytest.mark.parametrize("distill, key, message", [
    ({"features": "dbt"}, "train.distill.features",
     "teacher block 1 (8, 16, 16) and model block 0 (4, 16, 16) differ"),
    ({"beta": 0.0}, "train.distill.beta", "teaches nothing"),
    ({"output_weight": -1.0}, "train.distill.output_weight", "at least 0.0"),
    ({"features": "channels"}, "train.distill.features", "must be one of"),
])
def test_bad_distill_options_are_one_error_line_naming_the_key(tmp_path, capsys, wide_teacher,
                                                               distill, key, message):
    cfg = tiny_frbc(tmp_path, "student", SMALL_STUDENT, {"teacher": wide_teacher, **distill})
    assert main(["--config", str(cfg), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and key in err and message in err
    assert not (tmp_path / "student").exists()


def test_the_distillation_benchmarks_variants_are_valid_configs():
    config_path = REPO_ROOT / "configs" / "pynq_z2_1080p60_x2.yaml"
    distill = {variant: load_config(config_path, distill_overrides(variant, "t.pth", 1.0, 1e-4))
               ["train"]["distill"] for variant in VARIANTS}
    assert distill["plain"]["teacher"] is None
    assert distill["output"]["beta"] == 0.0 and distill["output"]["output_weight"] == 1.0
    assert distill["output_features"]["features"] == "spatial"
    assert distill["output_features"]["beta"] == 1e-4
