"""Every BAM and FRB recipe loads, builds and trains a few iterations (tiny overrides).

Float twins train first: the distilled recipes name them as teacher.
"""
import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

from train.checkpoint import load_model
from train.config import REPO_ROOT, load_config
from train.train import train
from train.upscale import super_resolve

CONFIGS = REPO_ROOT / "configs"
RECIPES = sorted(p.name for prefix in ("bam", "frbc", "frbt") for p in CONFIGS.glob(f"{prefix}_*.yaml"))
TEACHERS = [r for r in RECIPES if "_fp_" in r]
# Fast-test sizes: the recipe's model with fewer channels and blocks, tiny patches.
TINY_MODEL = {"channels": 4, "blocks": 1}
TINY_TRANSFORMER = {"depth": 2, "heads": 2, "window": 4}
TINY = {"data.train.folders": None, "data.train.patch_size": 16, "data.train.batch_size": 2,
        "data.train.repeat": 1, "data.train.cache_dir": None, "data.val.folder": None,
        "data.val.split": 1, "data.val.split_from": None,
        "data.val.max_images": 1, "train.iters": 2, "train.val_every": 2,
        "train.ckpt_every": 2, "train.log_every": 1}


def tiny_run(recipe, out, teacher=None, **model):
    overrides = {**TINY, "out_root": str(out), "train.scheduler": {"type": "MultiStepLR",
                                                                     "milestones": [1]}}
    if teacher is not None:
        overrides["train.distill.teacher"] = str(teacher)
    config = load_config(CONFIGS / recipe, overrides)
    config["model"] = {**config["model"], **TINY_MODEL,
                       **(TINY_TRANSFORMER if config["model"]["type"] == "FRBT" else {}), **model}
    with contextlib.redirect_stderr(io.StringIO()):
        return train(config)


@pytest.fixture(scope="module")
def teachers(tmp_path_factory):
    """{recipe name: last.pth} of every float twin, trained tiny."""
    out = tmp_path_factory.mktemp("teachers")
    return {Path(r).stem: tiny_run(r, out)["checkpoint"] for r in TEACHERS}


def test_recipes_exist_for_both_scales():
    assert {"frbc_x2.yaml", "frbc_x4.yaml", "frbc_fp_x2.yaml", "frbc_fp_x4.yaml",
            "frbc_x2_cpu.yaml", "frbc_x4_cpu.yaml", "bam_x2.yaml", "bam_x4.yaml",
            "frbt_x2.yaml", "frbt_x4.yaml", "frbt_fp_x2.yaml", "frbt_fp_x4.yaml"} <= set(RECIPES)


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_trains_a_few_iterations(recipe, teachers, tmp_path):
    config = load_config(CONFIGS / recipe)
    assert config["model"]["mode"] == "paper"
    teacher = None
    if config["train"]["distill"]["teacher"] is not None:
        twin = Path(config["train"]["distill"]["teacher"]).parent.name
        assert twin in teachers, f"{recipe}: its teacher {twin} has no recipe"
        teacher = teachers[twin]
    summary = tiny_run(recipe, tmp_path, teacher)
    assert summary["iters"] == 2
    model = load_model(summary["checkpoint"])  # rebuilt from the checkpoint, as evaluate does
    lr = np.full((9, 11, 3) if config["color"] == "rgb" else (9, 11), 128, dtype=np.uint8)
    assert super_resolve(model, lr).shape[:2] == (9 * model.scale, 11 * model.scale)


@pytest.mark.parametrize("recipe", ["frbc_x2_cpu.yaml", "frbc_x4.yaml"])
def test_frbc_deployable_mode_trains_with_dbt_from_the_float_twin(recipe, teachers, tmp_path):
    twin = Path(load_config(CONFIGS / recipe)["train"]["distill"]["teacher"]).parent.name
    summary = tiny_run(recipe, tmp_path, teachers[twin], mode="deployable")
    assert summary["iters"] == 2
    assert type(load_model(summary["checkpoint"])).__name__ == "DeployableFRBC"
