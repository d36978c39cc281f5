"""Small SR models that look trained: BN statistics gathered, random affine parameters
(negative scales included) and PReLU slopes, so every export path is exercised."""
import torch

from train.archs import build_model


def trained_like(arch, scale, in_channels, seed, channels=6, blocks=1, **kwargs):
    torch.manual_seed(seed)
    model = build_model({"type": arch, "channels": channels, "blocks": blocks, **kwargs},
                        scale, in_channels)
    model.train()
    for _ in range(2):
        model(torch.randint(0, 256, (2, in_channels, 10, 10)).float())
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(("gamma", "beta", "bias", "slope", "shift_in", "shift_out")) \
                    and p.requires_grad:
                p.uniform_(-1.5, 1.5) if not name.endswith("slope") else p.uniform_(0, 0.5)
    return model.eval()


def small_y_x2_dataflow(out, frame: int):
    """The default architecture, small (Y channel, x2, 4 channels, one block), exported
    for a frame x frame verification frame into ``out``; its dataflow graph."""
    from qonnx.core.modelwrapper import ModelWrapper

    from export.build import ExportConfig, export_model
    from hw.artifacts import DATAFLOW_FILE

    model = trained_like("BinarySRResNet", 2, 1, seed=4, channels=4)
    export_model(model, ExportConfig(out, frame, frame, target_fps=1e8 / 2000),
                 log=lambda *_: None)
    return ModelWrapper(str(out / DATAFLOW_FILE))
