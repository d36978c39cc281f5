"""Binarizer forward values and surrogate gradients, in both backends."""
import pytest
import torch

from train.quant import BINARIZER_GRADS, BinaryAct, BinaryConv2d, binary_sign, fake_quant_int
from train.registry import ConfigError

POINTS = torch.tensor([-2.0, -1.0, -0.5, -0.0, 0.0, 0.25, 1.0, 1.5])
EXPECTED_GRAD = {
    "ste": [1, 1, 1, 1, 1, 1, 1, 1],
    "clipped_ste": [0, 1, 1, 1, 1, 1, 1, 0],
    "approx_sign": [0, 0, 1, 2, 2, 1.5, 0, 0],
}


@pytest.mark.parametrize("grad", BINARIZER_GRADS)
def test_sign_forward_is_plus_minus_one_with_sign_zero_positive(grad):
    y = binary_sign(POINTS, grad)
    assert y.tolist() == [-1, -1, -1, 1, 1, 1, 1, 1]


@pytest.mark.parametrize("grad", BINARIZER_GRADS)
def test_sign_surrogate_gradient(grad):
    x = POINTS.clone().requires_grad_(True)
    binary_sign(x, grad).sum().backward()
    assert x.grad.tolist() == EXPECTED_GRAD[grad]


def test_unknown_binarizer_is_a_config_error():
    with pytest.raises(ConfigError, match="binarizer grad 'tanh'"):
        binary_sign(POINTS, "tanh")


@pytest.mark.parametrize("grad", BINARIZER_GRADS)
def test_brevitas_binary_act_matches_torch_twin(grad):
    torch.manual_seed(0)
    acts = {b: BinaryAct(4, grad, b) for b in ("brevitas", "torch")}
    acts["torch"].load_state_dict(acts["brevitas"].state_dict())
    x = torch.randn(2, 4, 5, 5)
    x[0, 0, 0, 0] = 0.0
    outs, grads = {}, {}
    for b, act in acts.items():
        xi = x.clone().requires_grad_(True)
        outs[b] = act(xi)
        outs[b].sum().backward()
        grads[b] = xi.grad
    assert torch.equal(outs["brevitas"], outs["torch"])
    assert torch.equal(grads["brevitas"], grads["torch"])
    assert outs["torch"][0, 0, 0, 0] == 1


@pytest.mark.parametrize("grad", BINARIZER_GRADS)
def test_binary_conv_sum_is_exact_integer_and_pads_with_minus_one(grad):
    torch.manual_seed(1)
    convs = {b: BinaryConv2d(3, 2, 3, grad, b) for b in ("brevitas", "torch")}
    convs["torch"].load_state_dict(convs["brevitas"].state_dict())
    a = binary_sign(torch.randn(1, 3, 6, 6))
    y = convs["brevitas"](a)
    assert torch.equal(y, convs["torch"](a))
    w = binary_sign(convs["torch"].weight)
    padded = torch.nn.functional.pad(a, (1, 1, 1, 1), value=-1.0)
    assert torch.equal(y, torch.nn.functional.conv2d(padded, w))
    assert torch.equal(y, y.round()) and y.abs().max() <= 27


def test_fake_quant_int_rounds_half_to_even_and_clamps():
    x = torch.tensor([-3.0, -0.5, 0.5, 1.5, 2.5, 200.0]) * 0.25
    q = fake_quant_int(x, 0.25, bits=3, signed=True)
    assert (q / 0.25).tolist() == [-3, -0, 0, 2, 2, 3]
    assert (fake_quant_int(x, 0.25, 3, signed=True, narrow=True) / 0.25).tolist()[0] == -3
    assert (fake_quant_int(x, 0.25, 2, signed=False) / 0.25).tolist() == [0, 0, 0, 2, 2, 3]
