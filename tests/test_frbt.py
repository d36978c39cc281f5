"""FRBT: binary SwinIR-S (window attention, SRB linears and convs)."""
import pytest
import torch

from train.archs import build_model
from train.archs.frb import srb_terms
from train.archs.frbt import SRBLinear, shift_mask, window_partition, window_reverse

SMALL = {"type": "FRBT", "channels": 8, "blocks": 2, "depth": 2, "heads": 2, "window": 4}


def test_windows_round_trip():
    x = torch.arange(2 * 8 * 12 * 3, dtype=torch.float32).view(2, 8, 12, 3)
    windows = window_partition(x, 4)
    assert windows.shape == (2 * 6, 16, 3)
    assert torch.equal(windows[1], x[0, 0:4, 4:8].reshape(16, 3))
    assert torch.equal(window_reverse(windows, 4, 2, 8, 12), x)


def test_shift_mask_separates_regions_brought_together_by_the_roll():
    mask = shift_mask(8, 8, 4, 2, "cpu")
    assert mask.shape == (4, 16, 16)
    assert not mask[0].any()  # the top-left window holds one region
    assert mask[3].ne(0).any() and torch.equal(mask[3], mask[3].T)


def test_srb_linear_is_srb_weights_on_signed_shifted_inputs():
    torch.manual_seed(0)
    linear = SRBLinear(5, 3, "srb")
    linear.shift.data = torch.randn(5) * 0.1
    x = torch.randn(4, 5)
    b1, b2 = srb_terms(linear.weight)
    signs = torch.where(x - linear.shift >= 0, 1.0, -1.0)
    torch.testing.assert_close(linear(x), signs @ (b1 + b2).T + linear.bias)


@pytest.mark.parametrize("binarize", ["srb", "none"])
def test_frbt_shapes_any_size_and_every_parameter_learns(binarize):
    torch.manual_seed(0)
    model = build_model({**SMALL, "binarize": binarize}, 2, 1)
    y = model(torch.rand(2, 1, 7, 10) * 255)  # not a multiple of the window
    assert y.shape == (2, 1, 14, 20)
    y.abs().mean().backward()
    silent = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert silent == []
