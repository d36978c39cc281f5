"""Building blocks of the seed methods (binsr, BTM, BBCU) against their formulas."""
import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from train.archs import build_model
from train.archs.bbcu import BBCUPaper
from train.archs.binary_sr import MonotonePReLU
from train.archs.binsr import BinSRBlock
from train.archs.blocks import (BBCUnit, InputNormalization, PaperBinaryConv2d, RPReLU,
                                bbcu_alignment_k, nearest_power_of_two_log2,
                                xavier_uniform_init, xnor_activation_scale)
from train.archs.btm import MRB
from train.data.image_io import write_png
from train.evaluate import evaluate_model
from train.quant import BinaryConv2d
from train.registry import ConfigError


def sign(x):
    return torch.where(x >= 0, 1.0, -1.0)


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("kernel", [1, 3, (1, 5), (5, 1)])
def test_binary_conv_any_odd_kernel_pads_with_minus_one_and_twins_agree(kernel):
    torch.manual_seed(0)
    ref = BinaryConv2d(4, 3, kernel, "clipped_ste", "brevitas")
    twin = BinaryConv2d(4, 3, kernel, "clipped_ste", "torch")
    twin.load_state_dict(ref.state_dict())
    a = sign(randn(2, 4, 7, 6))
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    padded = F.pad(a, (kw // 2, kw // 2, kh // 2, kh // 2), value=-1.0)
    expected = F.conv2d(padded, sign(ref.weight.detach()))
    assert expected.shape[-2:] == (7, 6)
    assert torch.equal(ref(a), expected) and torch.equal(twin(a), expected)


@pytest.mark.parametrize("kernel", [2, (1, 4), 0])
def test_even_or_empty_kernels_are_refused(kernel):
    with pytest.raises(ConfigError, match="kernel size"):
        BinaryConv2d(2, 2, kernel, "ste", "torch")


def test_xnor_activation_scale_is_the_window_mean_of_the_channel_mean_of_abs_x():
    x = randn(1, 3, 5, 6)
    k = xnor_activation_scale(x, (1, 5))
    a = x.abs().mean(dim=1)[0]
    for i, j in [(0, 0), (2, 3), (4, 5)]:
        window = [a[i, jj] if 0 <= jj < 6 else 0.0 for jj in range(j - 2, j + 3)]
        assert k[0, 0, i, j] == pytest.approx(float(sum(window)) / 5, rel=1e-6)


def test_paper_binary_conv_forward_and_gradients_follow_their_formulas():
    torch.manual_seed(0)
    conv = PaperBinaryConv2d(3, 2, (5, 1), "approx_sign", "clipped_ste", act_scale="xnor")
    x = (randn(1, 3, 6, 4) * 1.5).requires_grad_()
    w = conv.weight
    alpha = w.detach().abs().mean(dim=(1, 2, 3)).view(-1, 1, 1, 1)
    expected = F.conv2d(sign(x.detach()), sign(w.detach()) * alpha, padding=(2, 0))
    expected = expected * xnor_activation_scale(x.detach(), (5, 1))
    y = conv(x)
    torch.testing.assert_close(y, expected)
    g = randn(*y.shape, seed=1)
    y.backward(g)
    # weight: ApproxSign surrogate (2 - 2|w|)+ times the output gradient's correlation
    k = xnor_activation_scale(x.detach(), (5, 1))
    w_grad = torch.nn.grad.conv2d_weight(sign(x.detach()), w.shape, g * k, padding=(2, 0))
    torch.testing.assert_close(w.grad, w_grad * alpha * (2 - 2 * w.detach().abs()).clamp(min=0))


def test_tanh_sits_between_the_two_binary_convs_of_a_binsr_block():
    torch.manual_seed(0)
    block = BinSRBlock(4, "approx_sign", "clipped_ste", batchnorm=False, res_scale=0.5)
    x = randn(1, 4, 5, 5)
    conv1, conv2 = block.body[0], block.body[3]
    expected = x + 0.5 * conv2(torch.tanh(conv1(x)))
    torch.testing.assert_close(block(x), expected)


def test_input_normalization_subtracts_mean_divides_std_and_adds_the_mean_back():
    norm = InputNormalization([100.0, 50.0], [20.0, 10.0], pixel_range=1.0)
    x = torch.tensor([140.0, 40.0]).view(1, 2, 1, 1) / 255
    torch.testing.assert_close(norm.normalize(x).flatten(), torch.tensor([2.0, -1.0]))
    torch.testing.assert_close(norm.add_mean(torch.zeros(1, 2, 1, 1)).flatten(),
                               torch.tensor([100.0, 50.0]) / 255)
    with pytest.raises(ConfigError, match="norm_std"):
        InputNormalization([1.0], [0.0], 255)


def test_xavier_uniform_init_bounds_every_conv_and_zeroes_biases():
    model = build_model({"type": "BTM", "channels": 8, "blocks": 1}, 2, 1)
    xavier_uniform_init(model)
    convs = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, PaperBinaryConv2d))]
    assert len(convs) == 1 + 3 + 1 + 1  # head, one MRB, upsampler conv, output conv
    for m in convs:
        fan_in, fan_out = m.weight[0].numel(), m.weight.shape[0] * m.weight[0, 0].numel()
        assert m.weight.abs().max() <= math.sqrt(6 / (fan_in + fan_out))
        assert getattr(m, "bias", None) is None or not m.bias.any()


def test_paper_prelu_keeps_negative_slopes_and_deployable_prelu_clamps_them():
    mrb = MRB(2, "ste", "ste", "none")
    with torch.no_grad():
        mrb.square.act.weight.fill_(-0.5)
    x = torch.tensor([-2.0, 3.0]).view(1, 2, 1, 1)
    assert mrb.square.act(x).flatten().tolist() == [1.0, 3.0]
    assert MonotonePReLU(2, init=-0.5)(x).flatten().tolist() == [0.0, 3.0]


def test_mrb_is_a_square_residual_then_parallel_wide_and_tall_residuals():
    torch.manual_seed(0)
    mrb = MRB(3, "clipped_ste", "clipped_ste", "xnor")
    x = randn(1, 3, 6, 6)
    u = x + mrb.square(x)
    torch.testing.assert_close(mrb(x), u + mrb.wide(u) + mrb.tall(u))
    assert mrb.wide.conv.weight.shape[-2:] == (1, 5) and mrb.tall.conv.weight.shape[-2:] == (5, 1)


def test_deployable_mrb_is_a_square_residual_then_a_parallel_wide_and_tall_residual():
    torch.manual_seed(0)
    model = build_model({"type": "BTM", "mode": "deployable", "channels": 3, "blocks": 2}, 2, 1)
    kernels = [[tuple(u.conv.weight.shape[-2:]) for u in block.units] for block in model.body]
    assert kernels == [[(3, 3)], [(1, 5), (5, 1)]] * 2
    block = model.body[1]
    r = torch.randint(-64, 64, (1, 3, 6, 6)).float() * 2.0 ** -6
    expected = block.res_quant(r + block.branch_quants[0](block.units[0](r))
                               + block.branch_quants[1](block.units[1](r)))
    assert torch.equal(block(r), expected)


def test_bbcu_alignment_k_and_its_nearest_power_of_two():
    assert bbcu_alignment_k(64) == 130 and bbcu_alignment_k(32) == 65
    assert nearest_power_of_two_log2(130) == 7 and nearest_power_of_two_log2(65) == 6
    assert BBCUPaper(2, 1, False, channels=8, blocks=1).k == 130 * 8 / 64


@pytest.mark.parametrize("position", ["branch", "after_add"])
def test_bbcu_unit_places_rprelu_in_the_branch_or_after_the_add(position):
    torch.manual_seed(0)
    unit = BBCUnit(3, "clipped_ste", "approx_sign", position)
    with torch.no_grad():
        unit.act.prelu.weight.fill_(-0.3)
        unit.act.shift_in.uniform_(-1, 1)
        unit.act.shift_out.uniform_(-1, 1)
    x = randn(1, 3, 5, 5)
    y = unit.conv(x)
    expected = unit.act(y + x) if position == "after_add" else unit.act(y) + x
    torch.testing.assert_close(unit(x), expected)


def test_rprelu_formula():
    act = RPReLU(1)
    with torch.no_grad():
        act.shift_in.fill_(1.0)
        act.shift_out.fill_(0.5)
        act.prelu.weight.fill_(-0.25)
    x = torch.tensor([3.0, -1.0]).view(1, 1, 2, 1)
    assert act(x).flatten().tolist() == [2.5, 1.0]


def test_bbcu_residual_alignment_scales_the_input_and_divides_the_output():
    torch.manual_seed(0)
    model = build_model({"type": "BBCUL", "channels": 4, "blocks": 1, "k": 4.0}, 2, 1)
    seen = []
    model.head.register_forward_hook(lambda m, i, o: seen.append(i[0]))
    pixels = torch.full((1, 1, 3, 3), 51.0)
    model(pixels)
    torch.testing.assert_close(seen[0], pixels / 255 * 4.0)


@pytest.mark.parametrize("model,match", [
    ({"type": "BBCUL", "mode": "deployable", "k": 130}, r"model\.k: 130 .*nearest: k: 128"),
    ({"type": "BBCUM", "mode": "deployable"}, r"model\.mode: BBCUM does not deploy"),
    ({"type": "BTM", "mode": "deployable", "act_scale": "xnor"},
     r"model\.act_scale: not an option of BTM in deployable mode \(a paper-mode option\)"),
    ({"type": "BinSR", "res_bits": 6}, r"model\.res_bits: .*paper mode \(a deployable-mode"),
    ({"type": "BinSR", "mode": "float"}, r"unknown BinSR mode 'float'"),
    ({"type": "BBCUL", "mode": "deployable", "act_position": "before"}, "act_position"),
])
def test_unsupported_options_are_refused_by_name(model, match):
    with pytest.raises(ConfigError, match=match):
        build_model({"channels": 4, "blocks": 1, **model}, 2, 1)


@pytest.mark.parametrize("opt", [
    {"type": "BinSR", "variant": "edsr"},
    {"type": "BinSR", "variant": "srresnet"},
    {"type": "BTM"},
    {"type": "BBCUL", "k": 2},
    {"type": "BBCUL", "act_position": "after_add"},
    {"type": "FRBC"},
])
def test_deployable_brevitas_model_and_torch_twin_agree_exactly(opt):
    torch.manual_seed(0)
    opt = {**opt, "mode": "deployable", "channels": 4, "blocks": 1}
    ref = build_model({**opt, "backend": "brevitas"}, 2, 1)
    twin = build_model({**opt, "backend": "torch"}, 2, 1)
    twin.load_state_dict(ref.state_dict())
    x = torch.randint(0, 256, (1, 1, 8, 8)).float()
    for mode in (True, False):
        ref.train(mode)
        twin.train(mode)
        assert torch.equal(ref(x), twin(x))


@pytest.mark.parametrize("arch,in_channels", [("BinSR", 1), ("BTM", 3), ("BBCUM", 1)])
def test_paper_models_evaluate_like_deployable_ones(arch, in_channels, tmp_path):
    folder = tmp_path / "Tiny" / "HR"
    rng = np.random.default_rng(0)
    write_png(folder / "a.png", rng.integers(0, 256, (16, 20, 3), dtype=np.uint8))
    model = build_model({"type": arch, "channels": 4, "blocks": 1}, 2, in_channels).eval()
    [row] = evaluate_model(model, {"Tiny": folder}, tmp_path / "out", crops=False)
    assert row["model_psnr"] > 0 and (tmp_path / "out" / "Tiny.md").is_file()


def test_srresnet_variant_initializes_convs_with_its_normal_std():
    torch.manual_seed(0)
    model = build_model({"type": "BinSR", "variant": "srresnet", "channels": 16, "blocks": 1}, 2, 1)
    head = model.head[0].weight
    assert head.std().item() == pytest.approx(math.sqrt(2 / (9 * 9 * 16)), rel=0.1)
