"""Integer matrix-vector unit: exact int64 matmul, optional thresholds."""
import numpy as np

from sim.golden.thresholding import multi_threshold


# input vectors per int64 product: bounds the widened copy of narrow inputs on whole frames
MATMUL_BLOCK = 1 << 15


def int_matmul(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Exact integer product: x (..., MW) @ weights (MW, MH) -> int64 (..., MH)."""
    if x.shape[-1] != weights.shape[0]:
        raise ValueError(
            f"input vectors have {x.shape[-1]} elements, weights expect {weights.shape[0]}"
        )
    weights = weights.astype(np.int64, copy=False)
    vectors = x.reshape(-1, x.shape[-1])
    out = np.empty((len(vectors), weights.shape[1]), dtype=np.int64)
    for start in range(0, len(vectors), MATMUL_BLOCK):
        block = vectors[start:start + MATMUL_BLOCK]
        out[start:start + MATMUL_BLOCK] = block.astype(np.int64, copy=False) @ weights
    return out.reshape(x.shape[:-1] + (weights.shape[1],))


def int_mvau(
    x: np.ndarray, weights: np.ndarray, thresholds: np.ndarray | None = None, act_val: int = 0
) -> np.ndarray:
    """Integer MVAU: matmul, then multi-threshold when ``thresholds`` is given.

    x: (..., MW) integers; weights: (MW, MH) integers, FINN's layout;
    thresholds: (MH, T) or (1, T). Returns int64 (..., MH): accumulators, or
    threshold counts plus ``act_val``.
    """
    acc = int_matmul(x, weights)
    return acc if thresholds is None else multi_threshold(acc, thresholds, act_val)
