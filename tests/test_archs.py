"""Deployable binary SR architectures: shapes, integer semantics, and the torch twin."""
import numpy as np
import pytest
import torch

from train.archs import build_model
from train.archs.binary_sr import (BinaryResBlock, ChannelAffine, MonotonePReLU,
                                   bicubic_phase_weights)
from train.data.matlab_bicubic import cubic
from train.quant import IntConv2d, pow2_weight_scale
from train.registry import ConfigError

SMALL = dict(channels=8, blocks=2)


def twin_models(arch, scale, in_channels, **kwargs):
    torch.manual_seed(0)
    opt = {"type": arch, **SMALL, **kwargs}
    ref = build_model({**opt, "backend": "brevitas"}, scale, in_channels)
    twin = build_model({**opt, "backend": "torch"}, scale, in_channels)
    twin.load_state_dict(ref.state_dict())
    return ref, twin


def pixels(n, c, h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, c, h, w), generator=g).float()


@pytest.mark.parametrize("arch", ["BinarySRResNet", "BinaryEDSR"])
@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("in_channels", [1, 3])
def test_output_is_uint8_valued_pixels_of_the_upscaled_shape(arch, scale, in_channels):
    model, _ = twin_models(arch, scale, in_channels)
    model.eval()
    with torch.no_grad():
        y = model(pixels(2, in_channels, 7, 5))
    assert y.shape == (2, in_channels, 7 * scale, 5 * scale)
    assert torch.equal(y, y.round()) and y.min() >= 0 and y.max() <= 255


@pytest.mark.parametrize("arch,kwargs", [
    ("BinarySRResNet", {}),
    ("BinaryEDSR", {}),
    ("BinarySRResNet", dict(convs_per_block=1, out_act="rprelu", affine="learned")),
    ("BinaryEDSR", dict(weight_grad="approx_sign", act_grad="ste", branch_bits=4)),
])
def test_brevitas_model_and_torch_twin_agree_exactly(arch, kwargs):
    ref, twin = twin_models(arch, 2, 1, **kwargs)
    x = pixels(2, 1, 12, 12)
    for train_mode in (True, False):
        ref.train(train_mode)
        twin.train(train_mode)
        out_ref, out_twin = ref(x), twin(x)
        assert torch.equal(out_ref, out_twin)
    (out_ref - x.repeat_interleave(2, 2).repeat_interleave(2, 3)).abs().mean().backward()
    (out_twin - x.repeat_interleave(2, 2).repeat_interleave(2, 3)).abs().mean().backward()
    for (name, p_ref), p_twin in zip(ref.named_parameters(), twin.parameters()):
        assert (p_ref.grad is None) == (p_twin.grad is None), name
        if p_ref.grad is not None:
            assert torch.equal(p_ref.grad, p_twin.grad), (
                f"{name}: gradients differ by up to {(p_ref.grad - p_twin.grad).abs().max()}")


def test_every_parameter_learns():
    model, _ = twin_models("BinarySRResNet", 2, 1)
    x = pixels(4, 1, 16, 16)
    model(x).sub(x.repeat_interleave(2, 2).repeat_interleave(2, 3)).abs().mean().backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert [n for n, p in model.named_parameters() if not p.requires_grad] == [
        "global_skip.conv.conv.weight", "global_skip.conv.conv.bias"]
    assert [n for n, p in trainable if p.grad is None or not p.grad.any()] == []


def test_residual_stream_holds_integers_on_its_grid():
    model, _ = twin_models("BinarySRResNet", 2, 1, res_bits=6, res_scale_log2=-5)
    model.eval()
    seen = []
    for block in model.modules():
        if isinstance(block, BinaryResBlock):
            block.register_forward_hook(lambda m, i, o: seen.append(o * 2 ** 5))
    with torch.no_grad():
        model(pixels(1, 1, 9, 9))
    assert len(seen) == 2
    for ints in seen:
        assert torch.equal(ints, ints.round()) and ints.min() >= -32 and ints.max() <= 31


def test_prelu_slope_is_clamped_to_stay_monotone():
    act = MonotonePReLU(2, init=-0.5)
    x = torch.linspace(-2, 2, 41).view(1, 1, -1, 1).repeat(1, 2, 1, 1)
    y = act(x)
    assert torch.all(y[:, :, 1:] >= y[:, :, :-1])


def test_batchnorm_affine_folds_to_one_mul_and_add():
    torch.manual_seed(0)
    affine = ChannelAffine(3, "batchnorm")
    y = torch.randint(-9, 10, (8, 3, 4, 4)).float()
    for _ in range(20):
        affine(y, None)
    affine.eval()
    with torch.no_grad():
        affine.gamma.uniform_(-2, 2)
        affine.beta.uniform_(-1, 1)
        folded = affine(y, None)
        reference = torch.nn.functional.batch_norm(
            y, affine.running_mean, affine.running_var, affine.gamma, affine.beta, False, 0, 1e-5)
    torch.testing.assert_close(folded, reference)


def test_unknown_model_key_names_it():
    with pytest.raises(ConfigError, match=r"model: unknown key\(s\) \['chanels'\]"):
        build_model({"type": "BinarySRResNet", "chanels": 8}, 2, 1)


def test_unknown_arch_lists_known_ones():
    with pytest.raises(ConfigError, match="unknown arch type 'SRGAN'.*BinaryEDSR"):
        build_model({"type": "SRGAN"}, 2, 1)


def test_scale_belongs_to_the_run_not_the_model():
    with pytest.raises(ConfigError, match="model.scale"):
        build_model({"type": "BinaryEDSR", "scale": 3}, 2, 1)


def test_accumulator_that_float32_cannot_sum_exactly_is_refused():
    with pytest.raises(ConfigError, match=r"tail \(2304 terms"):
        build_model({"type": "BinaryEDSR", "channels": 256}, 2, 1)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bicubic_skip_is_integer_bicubic_rounded_half_up(scale):
    weights = bicubic_phase_weights(scale)
    assert (weights.sum(axis=(1, 2)) == 2 ** 12).all()
    offsets = np.arange(5) - 2
    for k, (i, j) in enumerate(np.ndindex(scale, scale)):
        wy, wx = (cubic(offsets - ((p + 0.5) / scale - 0.5)) for p in (i, j))
        assert np.abs(weights[k] - np.outer(wy, wx) * 2 ** 12).max() <= 3
    model = build_model({"type": "BinaryEDSR", **SMALL, "tail_init_gain": 0.0}, scale, 1).eval()
    lr = pixels(1, 1, 12, 12).numpy()[0, 0].astype(np.int64)
    with torch.no_grad():
        sr = model(torch.from_numpy(lr).float()[None, None])[0, 0].numpy()
    padded = np.pad(lr, 2)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (5, 5))
    acc = np.einsum("hwyx,kyx->khw", windows, weights)
    expected = np.clip((acc + 2 ** 11) >> 12, 0, 255)  # floor(acc / 4096 + 1/2)
    phases = expected.reshape(scale, scale, 12, 12).transpose(2, 0, 3, 1)
    assert np.array_equal(sr, phases.reshape(12 * scale, 12 * scale))


def test_twin_weight_scale_is_brevitas_scale_next_to_powers_of_two():
    """A channel max in (2**k * 127/128, 2**k] is where 2**ceil(log2(max/127)) (the twin's old
    formula) and Brevitas' 2**ceil(log2 max) / 128 part: one power of two apart."""
    conv = IntConv2d(1, 4, 1, 8, 8, 0, False, "brevitas")
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([0.999, 1.0, 0.5, 0.3]).view(4, 1, 1, 1))
    assert torch.equal(pow2_weight_scale(conv.weight, 8), conv.conv.quant_weight().scale)
