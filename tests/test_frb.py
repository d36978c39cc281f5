"""FRB: SRB weight binarization against its formula, RSign, and the FRBC network."""
import pytest
import torch
from torch.nn import functional as F

from train.archs import build_model
from train.archs.frb import RSign, SRBConv2d, srb_terms
from train.registry import ConfigError


def test_srb_terms_by_hand():
    # one output filter of n = 4 elements
    w = torch.tensor([0.5, -0.1, 0.2, -0.8]).view(1, 1, 2, 2)
    b1, b2 = srb_terms(w)
    a1 = (0.5 + 0.1 + 0.2 + 0.8) / 4  # 0.4
    assert torch.allclose(b1.flatten(), torch.tensor([a1, -a1, a1, -a1]))
    residual = [0.5 - a1, -0.1 + a1, 0.2 - a1, -0.8 + a1]  # 0.1, 0.3, -0.2, -0.4
    a2 = sum(abs(r) for r in residual) / 4  # 0.25
    assert torch.allclose(b2.flatten(), torch.tensor([a2, a2, -a2, -a2]))


def test_srb_scales_are_per_output_channel():
    w = torch.randn(3, 2, 3, 3)
    b1, b2 = srb_terms(w)
    for c in range(3):
        a1 = w[c].abs().sum() / w[c].numel()
        assert torch.allclose(b1[c].abs(), a1.expand(2, 3, 3))
        a2 = (w[c] - b1[c]).abs().sum() / w[c].numel()
        assert torch.allclose(b2[c].abs(), a2.expand(2, 3, 3))


def test_srb_conv_is_the_sum_of_two_binary_convs():
    torch.manual_seed(0)
    conv = SRBConv2d(4, 5, 3, "srb")
    a = torch.where(torch.randn(2, 4, 6, 6) >= 0, 1.0, -1.0)
    b1, b2 = srb_terms(conv.weight)
    two_convs = F.conv2d(a, b1, padding=1) + F.conv2d(a, b2, padding=1)
    torch.testing.assert_close(conv(a), two_convs)
    # each term is a +-1 XNOR-popcount conv times a per-channel scale
    s1 = b1.abs().amax(dim=(1, 2, 3)).view(1, -1, 1, 1)
    popcount = F.conv2d(a, torch.sign(conv.weight), padding=1)
    torch.testing.assert_close(F.conv2d(a, b1, padding=1), popcount * s1)


def test_srb_is_closer_to_the_weight_than_plain_binarization():
    w = torch.randn(8, 8, 3, 3)
    b1, b2 = srb_terms(w)
    assert (w - b1 - b2).abs().sum() < (w - b1).abs().sum()


def test_srb_weight_gets_gradients_through_both_terms():
    conv = SRBConv2d(2, 2, 3, "srb")
    conv(torch.ones(1, 2, 4, 4)).sum().backward()
    assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0


def test_plain_and_float_binarizations():
    torch.manual_seed(0)
    w = torch.randn(2, 2, 3, 3)
    for binarize, expected in (("plain", srb_terms(w)[0]), ("none", w)):
        conv = SRBConv2d(2, 2, 3, binarize)
        conv.weight.data.copy_(w)
        assert torch.equal(conv.binary_weight(), expected)


def test_rsign_shifts_then_signs_with_approx_sign_gradient():
    sign = RSign(2)
    sign.shift.data = torch.tensor([0.5, -0.5]).view(1, 2, 1, 1)
    x = torch.tensor([0.25, 0.5]).view(1, 1, 1, 2).repeat(1, 2, 1, 1).requires_grad_()
    y = sign(x)
    assert y[0, 0].flatten().tolist() == [-1.0, 1.0]  # 0.25 - 0.5 < 0, 0.5 - 0.5 = 0 -> +1
    assert y[0, 1].flatten().tolist() == [1.0, 1.0]
    y.sum().backward()
    # ApproxSign: 2 - 2|x - shift| on |x - shift| < 1
    expected = 2 - 2 * (x.detach() - sign.shift.detach()).abs()
    torch.testing.assert_close(x.grad, expected)
    assert sign.shift.grad is not None


@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("binarize", ["srb", "plain", "none"])
def test_frbc_shapes_and_float_twin_has_the_same_parameters(scale, binarize):
    model = build_model({"type": "FRBC", "channels": 8, "blocks": 2, "binarize": binarize},
                        scale, 1)
    y = model(torch.rand(2, 1, 6, 5) * 255)
    assert y.shape == (2, 1, 6 * scale, 5 * scale)
    binary = build_model({"type": "FRBC", "channels": 8, "blocks": 2}, scale, 1)
    twin_names = {n for n, _ in model.named_parameters()} - {n for n, _ in
                                                              binary.named_parameters()}
    assert twin_names == set()  # the float twin lacks only the RSign shifts
    assert len(model.body) == 2


def test_frbc_deployable_mode_is_refused_naming_what_blocks_it():
    with pytest.raises(ConfigError, match="model.mode: FRBC has no deployable mode"):
        build_model({"type": "FRBC", "mode": "deployable"}, 2, 1)


def test_with_a_bicubic_skip_the_untrained_network_is_bicubic():
    model = build_model({"type": "FRBC", "channels": 4, "blocks": 1, "global_skip": "bicubic"},
                        2, 1)
    x = torch.rand(1, 1, 6, 6) * 255
    expected = F.interpolate(x / 255, scale_factor=2, mode="bicubic", align_corners=False) * 255
    torch.testing.assert_close(model(x), expected)
