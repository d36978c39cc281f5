"""Network architectures, built from YAML options through ``ARCH_REGISTRY``."""
from train.archs import bam, bbcu, binary_sr, binsr, btm, frb, frbt  # noqa: F401  (registers them)
from train.registry import ARCH_REGISTRY, ConfigError


def build_model(model_opt, scale, in_channels):
    """Build ``model_opt['type']`` with its kwargs plus the run's scale and channel count."""
    for key in ("scale", "in_channels"):
        if key in model_opt:
            raise ConfigError(f"model.{key}: set by the run (top-level scale/color), not the model")
    return ARCH_REGISTRY.build({**model_opt, "scale": scale, "in_channels": in_channels},
                               where="model")
