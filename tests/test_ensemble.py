"""Self-ensemble: 8 flips/rotations, transformed back, averaged; evaluate --ensemble."""
import csv

import numpy as np

import pytest
import torch

from train import evaluate
from train.ensemble import (SelfEnsemble, dihedral, self_ensemble, self_ensemble_image,
                            undo_dihedral)
from tests.test_evaluate import NearestSR, hr_folder, patch_loader  # noqa: F401 (fixtures)


def test_identity_model_returns_its_input():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).view(2, 3, 4, 5)
    assert torch.equal(self_ensemble(lambda t: t, x), x)


def test_the_eight_transforms_are_distinct_and_undone():
    x = torch.arange(12.0).view(1, 1, 3, 4)
    seen = set()
    for k in range(4):
        for flip in (False, True):
            t = dihedral(x, k, flip)
            seen.add(tuple(t.flatten().tolist()) + tuple(t.shape))
            assert torch.equal(undo_dihedral(t, k, flip), x)
    assert len(seen) == 8


def test_a_model_that_is_not_equivariant_is_averaged_over_the_transforms():
    # adds the column index: the 8 un-transformed ramps average to a constant
    def ramp(t):
        return t + torch.arange(t.shape[-1], dtype=t.dtype)
    x = torch.zeros(1, 1, 4, 4)
    # every transform's ramp is 0..3 along some axis and direction: mean 1.5 everywhere
    assert torch.equal(self_ensemble(ramp, x), torch.full_like(x, 1.5))


def test_wrapper_keeps_scale_and_channels_and_matches_an_equivariant_model():
    model = NearestSR(scale=3, in_channels=3)
    wrapped = SelfEnsemble(model)
    assert (wrapped.scale, wrapped.in_channels) == (3, 3)
    x = torch.randint(0, 256, (1, 3, 5, 7)).float()  # integer sums: exact mean
    assert torch.equal(wrapped(x), model(x))


def test_evaluate_ensemble_adds_two_columns(hr_folder, tmp_path, patch_loader,  # noqa: F811
                                            capsys):
    patch_loader(NearestSR())
    out = tmp_path / "out"
    assert evaluate.main(["--ckpt", "m.pt", "--data", str(hr_folder), "--out", str(out),
                          "--no-crops", "--ensemble"]) == 0
    assert "model+ PSNR | model+ SSIM |" in capsys.readouterr().out
    with open(out / "Tiny.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[-2:] == ["ensemble_psnr", "ensemble_ssim"]
    # nearest upscaling commutes with flips and rotations: the ensemble changes nothing
    for row in rows:
        assert row["ensemble_psnr"] == row["model_psnr"], row["image"]


@pytest.mark.parametrize("channels", [None, 3])
def test_image_ensemble_of_an_equivariant_upscaler_is_that_upscaler(channels):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (5, 7) if channels is None else (5, 7, channels), dtype=np.uint8)
    nearest = lambda i: i.repeat(2, axis=0).repeat(2, axis=1)  # noqa: E731
    assert np.array_equal(self_ensemble_image(nearest, img), nearest(img))


def test_image_ensemble_rounds_the_mean_half_to_even():
    # +1 on the first row of whatever orientation the upscaler sees: 2 of the 8 transforms
    # put it back on the image's first row -> mean 0.25 there (rounds to 0)
    def first_row_plus_one(i):
        out = i.copy()
        out[0] += 1
        return out
    img = np.full((4, 4), 10, dtype=np.uint8)
    sr = self_ensemble_image(first_row_plus_one, img)
    assert sr.dtype == np.uint8 and np.array_equal(sr, img)
