"""Multi-threshold activation, shared by both MVAUs and the standalone Thresholding layer."""
import numpy as np

from hw.stream import integer_thresholds


def _count_passed(steps: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """Per channel c, how many of the sorted ``steps[c]`` are <= ``acc[..., c]``."""
    counts = np.empty(acc.shape, dtype=np.int64)
    for channel, row in enumerate(steps):
        # side="right" counts a threshold equal to acc as passed (FINN compares acc >= t)
        counts[..., channel] = np.searchsorted(row, acc[..., channel], side="right")
    return counts


def multi_threshold(acc: np.ndarray, thresholds: np.ndarray, act_val: int = 0) -> np.ndarray:
    """FINN MultiThreshold on integers: per channel, the number of thresholds <= acc, + act_val.

    acc: integer array (..., C), channels last.
    thresholds: (C, T) per-channel or (1, T) shared by all channels; int or float.
    act_val: FINN's ``ActVal``, the output of an input below every threshold.
    Returns an int64 array shaped like ``acc``.
    """
    acc = np.asarray(acc)
    if not np.issubdtype(acc.dtype, np.integer):
        raise TypeError(f"multi_threshold needs integer inputs, got {acc.dtype}")
    steps = integer_thresholds(thresholds)
    channels = acc.shape[-1]
    if steps.shape[0] not in (1, channels):
        raise ValueError(f"{steps.shape[0]} threshold rows for {channels} channels")
    steps = np.broadcast_to(steps, (channels, steps.shape[1]))
    lo, hi = int(acc.min()), int(acc.max())
    if (hi - lo + 1) * channels <= acc.size:
        # fewer possible inputs than inputs: search each possible value once, then look up
        every_value = np.broadcast_to(np.arange(lo, hi + 1)[:, np.newaxis], (hi - lo + 1, channels))
        # flat index (value - lo) * channels + c, built in place: whole frames are large
        table = _count_passed(steps, every_value) + act_val
        index = acc.astype(np.int64)
        index -= lo
        index *= channels
        index += np.arange(channels)
        return np.take(table.ravel(), index, out=index)
    return _count_passed(steps, acc) + act_val
