"""Folding rules shared by the streaming layers; each ValueError names the layer and the rule."""
from pathlib import Path

RTL_DIR = Path(__file__).resolve().parent / "rtl"


def check_positive(layer: str, **sizes: int) -> None:
    """ValueError unless every size is a positive integer."""
    for name, size in sizes.items():
        if size < 1:
            raise ValueError(f"{layer}: {name} must be >= 1, got {size}")


def check_divides(layer: str, parallel_name: str, parallel: int, total: int, what: str) -> None:
    """ValueError unless ``parallel`` (SIMD or PE) divides ``total`` (e.g. channels)."""
    check_positive(layer, **{parallel_name: parallel})
    if total % parallel:
        raise ValueError(f"{layer}: {parallel_name} {parallel} does not divide {total} {what}")
