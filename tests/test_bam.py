"""BAM: bit accumulation of weights and activations against the formulas, the network."""
import pytest
import torch

from train.archs import build_model
from train.archs.bam import HPB, AccumulatedSign, BitAccumulationConv2d
from train.registry import ConfigError


def test_weight_of_the_first_conv_is_its_scale_times_sign_of_its_standardized_weight():
    conv = BitAccumulationConv2d(3, 2, 1)
    conv.weight.data = torch.tensor([[1.0, -2.0, 4.0], [0.3, 0.6, -0.3]]).view(2, 3, 1, 1)
    # filter means 1 and 0.2: centred [0, -3, 3] and [0.1, 0.4, -0.5]; sign(0) = +1
    expected = torch.tensor([[7 / 3, -7 / 3, 7 / 3], [0.4, 0.4, -0.4]])
    torch.testing.assert_close(conv.binary_weight().view(2, 3), expected)


def test_accumulated_weight_by_hand():
    first = BitAccumulationConv2d(2, 1, 1)
    second = BitAccumulationConv2d(2, 1, 1, earlier=[first])
    first.weight.data = torch.tensor([4.0, -2.0]).view(1, 2, 1, 1)   # E|W_1| = 3
    second.weight.data = torch.tensor([-0.1, -0.3]).view(1, 2, 1, 1)  # E|W_2| = 0.2
    # S_2 = W_1 / 3 + W_2 / 0.2 = [4/3 - 0.5, -2/3 - 1.5] = [0.833, -2.167]
    # standardized per filter: [+, -]; scale E|W_2| = 0.2
    torch.testing.assert_close(second.binary_weight().flatten(), torch.tensor([0.2, -0.2]))
    # alone, W_2 = [-0.1, -0.3] standardizes to [+, -] as well; flip W_1 and the sum follows it
    first.weight.data = torch.tensor([-4.0, 2.0]).view(1, 2, 1, 1)
    # S_2 = [-4/3 - 0.5, 2/3 - 1.5] = [-1.833, -0.833]: standardized [-, +]
    torch.testing.assert_close(second.binary_weight().flatten(), torch.tensor([-0.2, 0.2]))


def test_solved_alpha_makes_the_binarization_invariant_to_rescaling_an_earlier_layer():
    torch.manual_seed(0)
    first = BitAccumulationConv2d(4, 4, 3)
    second = BitAccumulationConv2d(4, 4, 3, earlier=[first])
    before = second.binary_weight().clone()
    first.weight.data.mul_(16.0)
    assert torch.equal(second.binary_weight(), before)


def test_alpha_is_not_trained_but_every_accumulated_weight_learns():
    torch.manual_seed(0)
    first = BitAccumulationConv2d(2, 2, 3)
    second = BitAccumulationConv2d(2, 2, 3, earlier=[first])
    second(torch.ones(1, 2, 4, 4)).sum().backward()
    assert first.weight.grad.abs().sum() > 0 and second.weight.grad.abs().sum() > 0
    assert [n for n, _ in second.named_parameters()] == ["weight"]


def test_accumulated_sign_by_hand():
    sign = AccumulatedSign(1)
    sign.beta.data.fill_(0.5)
    history = []
    a1 = torch.tensor([2.0, -2.0, 2.0, 2.0]).view(1, 1, 2, 2)     # E|A_1| = 2
    a2 = torch.tensor([-0.1, 0.3, -0.5, 0.1]).view(1, 1, 2, 2)   # E|A_2| = 0.25
    torch.testing.assert_close(sign(a1, history).flatten(), torch.tensor([.5, -.5, .5, .5]))
    # A_1/2 + A_2/0.25 = [1 - 0.4, -1 + 1.2, 1 - 2, 1 + 0.4] -> signs [+, +, -, +]
    torch.testing.assert_close(sign(a2, history).flatten(), torch.tensor([.5, .5, -.5, .5]))
    assert len(history) == 2
    # eval mode: alpha from the running average of E|A| (1 -> 0.9 + 0.1 * 2 -> ...)
    torch.testing.assert_close(sign.running_mean_abs, torch.tensor(0.9 * 1.1 + 0.1 * 0.25))
    sign.eval()
    history = []
    sign(a2, history)
    torch.testing.assert_close(history[0], a2 / (0.9 * 1.1 + 0.1 * 0.25))


def test_trained_bam_on_a_tile_equals_the_whole_image_inside_the_receptive_field():
    torch.manual_seed(0)
    model = build_model({"type": "BAM", "channels": 4, "blocks": 1, "lbs": 1}, 2, 1)
    model(torch.rand(2, 1, 8, 8) * 255)  # one training step's statistics
    model.eval()
    image = torch.rand(1, 1, 24, 24) * 255
    with torch.no_grad():
        whole, tile = model(image), model(image[..., :16, :16])
    # 3x3 head, one 3x3 binary conv, 3x3 upsampler conv, 3x3 tail: 4 LR pixels of context
    torch.testing.assert_close(tile[..., :24, :24], whole[..., :24, :24])


def test_hpb_accumulates_same_shape_convs_across_its_lbs():
    hpb = HPB(4, lbs=2)
    first, second = hpb.lbs
    assert [len(c._earlier) for c in first.convs] == [0, 0, 1]   # 3x3, 1x1, 1x1
    assert [len(c._earlier) for c in second.convs] == [1, 2, 3]
    # parameters belong to their own conv only (accumulated weights are not duplicated)
    assert len([n for n, _ in hpb.named_parameters() if n.endswith("conv.weight")]) == 6


@pytest.mark.parametrize("scale", [2, 4])
def test_bam_shapes_and_training_step(scale):
    model = build_model({"type": "BAM", "channels": 4, "blocks": 2, "lbs": 2}, scale, 3)
    y = model(torch.rand(2, 3, 6, 6) * 255)
    assert y.shape == (2, 3, 6 * scale, 6 * scale)
    y.abs().mean().backward()
    silent = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert silent == []
    assert len(model.body) == 2


def test_bam_deployable_mode_is_refused():
    with pytest.raises(ConfigError, match="BAM has no deployable mode"):
        build_model({"type": "BAM", "mode": "deployable"}, 2, 1)
