"""FRB: SRB weight binarization against its formula, RSign, and the FRBC network."""
import pytest
import torch
from torch.nn import functional as F

from train.archs import build_model
from train.archs.frb import RSign, SRBConv2d, srb_terms
from train.quant import IntegerSRBConv2d, binary_sign, srb_integer_weight
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


def test_srb_integer_weight_by_hand():
    w = torch.tensor([0.6, -0.2, 0.2, -0.6]).view(1, 1, 2, 2)
    # a1 = 0.4, w - a1 sign(w) = (0.2, 0.2, -0.2, -0.2), a2 = 0.2: ratio 1/2 = 2 / 2**2
    assert srb_integer_weight(w, 2).flatten().tolist() == [4 + 2, -4 + 2, 4 - 2, -4 - 2]
    # a ratio of 1 or more is clamped to (2**m - 1) / 2**m: m + 2 signed bits
    # w = (1, 0, 0, 0): sign(0) = +1, a1 = 0.25, residual (0.75, -0.25, -0.25, -0.25),
    # a2 = 0.375: ratio 1.5 -> k = 3
    w = torch.tensor([1.0, 0.0, 0.0, 0.0]).view(1, 1, 2, 2)
    assert srb_integer_weight(w, 2).flatten().tolist() == [4 + 3, 4 - 3, 4 - 3, 4 - 3]


def quantized_ratio(w, m):
    """(a1, a2, k) per output channel, as SRB computes them, k = round(2**m a2 / a1)."""
    b1, b2 = srb_terms(w)
    a1, a2 = b1.abs().amax(dim=(1, 2, 3)), b2.abs().amax(dim=(1, 2, 3))
    return a1, a2, (a2 / a1 * 2 ** m).round().clamp(0, 2 ** m - 1)


@pytest.mark.parametrize("m", [0, 2, 4])
def test_integer_srb_conv_is_the_two_binary_convs_with_the_quantized_ratio(m):
    torch.manual_seed(m)
    conv = IntegerSRBConv2d(4, 6, 3, m, "torch")
    a = torch.where(torch.randn(2, 4, 6, 6) >= 0, 1.0, -1.0)
    w = conv.weight.detach()
    a1, a2, k = quantized_ratio(w, m)
    s1, s2 = binary_sign(w), binary_sign(w - a1.view(-1, 1, 1, 1) * binary_sign(w))
    pad = lambda x: F.pad(x, (1, 1, 1, 1), value=-1.0)  # noqa: E731
    # exact: one integer plane = 2**m * (conv with s1) + k * (conv with s2), integers
    plane = F.conv2d(pad(a), srb_integer_weight(w, m))
    two_convs = 2 ** m * F.conv2d(pad(a), s1) + k.view(1, -1, 1, 1) * F.conv2d(pad(a), s2)
    assert torch.equal(plane, two_convs)
    assert torch.equal(conv(a), plane * 2.0 ** -m)  # in units of a1
    # SRB with a2 replaced by a1 k / 2**m (float sums: equal to rounding)
    srb = F.conv2d(pad(a), a1.view(-1, 1, 1, 1) * (s1 + (k / 2 ** m).view(-1, 1, 1, 1) * s2))
    torch.testing.assert_close(conv(a) * a1.view(1, -1, 1, 1), srb)
    # rounding the ratio moves a2 by at most half a step of a1 / 2**m (where not clamped)
    inside = a2 / a1 < 1 - 2.0 ** -(m + 1)
    assert torch.all((a1 * k / 2 ** m - a2).abs()[inside] <= a1[inside] * 2.0 ** -(m + 1) * 1.0001)


def test_integer_srb_weight_gets_gradients_through_both_signs_and_the_ratio():
    torch.manual_seed(0)
    conv = IntegerSRBConv2d(2, 3, 3, 2, "torch")
    conv(torch.ones(1, 2, 4, 4)).sum().backward()
    assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0


def test_integer_srb_conv_backends_agree_in_values_and_gradients():
    torch.manual_seed(0)
    ref = IntegerSRBConv2d(3, 4, 3, 2, "brevitas")
    twin = IntegerSRBConv2d(3, 4, 3, 2, "torch")
    twin.load_state_dict(ref.state_dict())
    a = torch.where(torch.randn(2, 3, 5, 5) >= 0, 1.0, -1.0)
    out_ref, out_twin = ref(a), twin(a)
    assert torch.equal(out_ref, out_twin)
    (out_ref ** 2).sum().backward()
    (out_twin ** 2).sum().backward()
    assert torch.equal(ref.weight.grad, twin.weight.grad)


def test_deployable_frbc_has_the_float_twins_blocks_for_distillation():
    deployable = build_model({"type": "FRBC", "mode": "deployable", "channels": 4,
                              "blocks": 3}, 2, 1)
    twin = build_model({"type": "FRBC", "binarize": "none", "channels": 4, "blocks": 3}, 2, 1)
    assert len(deployable.body) == len(twin.body) == 3
    assert isinstance(deployable.body[0][0].units[0].conv, IntegerSRBConv2d)
    plain = build_model({"type": "FRBC", "mode": "deployable", "binarize": "plain",
                         "channels": 4, "blocks": 1}, 2, 1)
    assert not isinstance(plain.body_end.units[0].conv, IntegerSRBConv2d)


@pytest.mark.parametrize("config,message", [
    ({"mode": "deployable", "binarize": "none"}, "model.binarize: none .* no deployable mode"),
    ({"srb_ratio_log2": 2}, "model.srb_ratio_log2: not an option of FRBC in paper mode"),
    ({"mode": "deployable", "srb_ratio_log2": 9}, "srb_ratio_log2: 9 must be an integer"),
])
def test_frbc_refuses_what_does_not_build_naming_the_key(config, message):
    with pytest.raises(ConfigError, match=message):
        build_model({"type": "FRBC", "channels": 4, "blocks": 1, **config}, 2, 1)


def test_with_a_bicubic_skip_the_untrained_network_is_bicubic():
    model = build_model({"type": "FRBC", "channels": 4, "blocks": 1, "global_skip": "bicubic"},
                        2, 1)
    x = torch.rand(1, 1, 6, 6) * 255
    expected = F.interpolate(x / 255, scale_factor=2, mode="bicubic", align_corners=False) * 255
    torch.testing.assert_close(model(x), expected)
