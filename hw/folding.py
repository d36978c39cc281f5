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


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def smallest_fold(total_work: int, candidates, target_cycles: int) -> int:
    """The smallest parallelism among ``candidates`` (ascending) that brings
    ``total_work`` (cycles at parallelism 1) within ``target_cycles``; else the largest."""
    for p in candidates:
        if total_work // p <= target_cycles:
            return p
    return candidates[-1]
