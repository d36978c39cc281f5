"""Recipes of the seed methods: every one loads and builds; each trains a few iterations
at tiny sizes (bundled photos, no ../shared needed), in paper and deployable mode."""
import pytest

from benchmarks.methods import METHODS, PUBLISHED, markdown, recipe_path
from train.archs import build_model
from train.config import REPO_ROOT, load_config
from train.checkpoint import in_channels_of
from train.train import train

METHODS_WITH_RECIPES = ("binsr_edsr", "binsr_srresnet", "btm", "bbcu_l", "bbcu_m")
RECIPES = sorted(REPO_ROOT.glob("configs/*_x[24]*.yaml"))
RECIPES = [p for p in RECIPES if p.name.startswith(METHODS_WITH_RECIPES)]
DEPLOYABLE = ("binsr_edsr", "binsr_srresnet", "btm", "bbcu_l")


def test_every_method_has_full_and_cpu_recipes_for_x2_and_x4():
    expected = {f"{m}_x{s}{cpu}.yaml"
                for m in METHODS_WITH_RECIPES for s in (2, 4) for cpu in ("", "_cpu")}
    assert {p.name for p in RECIPES} == expected


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_recipe_loads_and_builds_at_full_size(recipe):
    config = load_config(recipe)
    model = build_model(config["model"], config["scale"], in_channels_of(config["color"]))
    assert sum(p.numel() for p in model.parameters()) > 0


def tiny(recipe, tmp_path, **model):
    base = load_config(recipe)
    return load_config(recipe, {
        "out_root": str(tmp_path), "train.iters": 2, "train.val_every": 2,
        "train.ckpt_every": 2, "train.log_every": 1,
        "model": {**base["model"], "channels": 4, "blocks": 1, **model},
        "data.train.folders": None, "data.train.patch_size": 8 * base["scale"],
        "data.train.batch_size": 2, "data.train.repeat": 1, "data.train.cache_dir": None,
        "data.val.folder": None, "data.val.split": 1})


@pytest.mark.parametrize("recipe", [p for p in RECIPES if p.stem.endswith("_cpu")],
                         ids=lambda p: p.stem)
def test_cpu_recipe_trains_a_few_iterations(recipe, tmp_path):
    summary = train(tiny(recipe, tmp_path))
    assert summary["iters"] == 2 and summary["best_psnr"] > 0


@pytest.mark.parametrize("method", DEPLOYABLE)
def test_deployable_mode_of_each_recipe_trains(method, tmp_path):
    recipe = REPO_ROOT / "configs" / f"{method}_x2_cpu.yaml"
    summary = train(tiny(recipe, tmp_path, mode="deployable"))
    assert summary["iters"] == 2


def test_methods_benchmark_covers_every_recipe_and_formats_its_table():
    assert set(METHODS) == set(METHODS_WITH_RECIPES)
    assert all(recipe_path(m, s).is_file() for m in METHODS for s in PUBLISHED)
    assert all(set(p) <= set(METHODS) for p in PUBLISHED.values())
    means = {"bicubic_psnr": 30.0, "bicubic_ssim": 0.9, "model_psnr": 31.0, "model_ssim": 0.91}
    run = {"method": "bbcu_m", "mode": "paper", "minutes": 1.5, "Set5": means, "Set14": means}
    info = {"date": "d", "cpu": "c", "cores": 2, "torch_threads": 1, "load_average_1min": 0.5,
            "torch": "t", "brevitas": "b"}
    text = markdown([run], 2, 10, info)
    assert "| BBCU-M | paper | 31.00 / 0.9100 | 31.00 / 0.9100 | 37.44 / 33.04 | 1.5 |" in text
