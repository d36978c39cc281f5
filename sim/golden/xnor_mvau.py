"""Binary matrix-vector unit: XNOR-popcount of bit vectors, optional thresholds.

Bits follow the golden convention: 1 means +1, 0 means -1 (see ``encoding``).
"""
import numpy as np

from sim.golden.thresholding import multi_threshold

WORD_BITS = 64


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack bits {0, 1} along the last axis into uint64 words, little-endian, zero padded.

    (..., K) -> (..., ceil(K / 64)); bit k lands in word k // 64 at position k % 64.
    """
    bits = np.asarray(bits)
    if bits.size and (bits.min() < 0 or bits.max() > 1):
        raise ValueError("pack_bits needs bits in {0, 1}; convert bipolar values first")
    packed = np.packbits(bits.astype(np.uint8), axis=-1, bitorder="little")
    n_words = -(-bits.shape[-1] // WORD_BITS)
    pad_bytes = n_words * WORD_BITS // 8 - packed.shape[-1]
    packed = np.pad(packed, [(0, 0)] * (packed.ndim - 1) + [(0, pad_bytes)])
    return np.ascontiguousarray(packed).view("<u8")


def xnor_popcount_matmul(x_bits: np.ndarray, w_bits: np.ndarray) -> np.ndarray:
    """Number of matching bits between each input vector and each weight column.

    x_bits: (..., MW) bits; w_bits: (MW, MH) bits, FINN's weight layout.
    Returns int64 (..., MH) in [0, MW], FINN's XnorPopcount result ((dot + MW) / 2
    of the bipolar vectors).
    """
    mw, mh = w_bits.shape
    if x_bits.shape[-1] != mw:
        raise ValueError(f"input vectors have {x_bits.shape[-1]} bits, weights expect {mw}")
    w_words = pack_bits(np.transpose(w_bits))  # (MH, words)
    x_words = pack_bits(x_bits).reshape(-1, w_words.shape[-1])  # (vectors, words)
    mismatches = np.zeros((x_words.shape[0], mh), dtype=np.int64)
    # one word position at a time keeps every temporary (vectors, MH) and contiguous
    for word in range(w_words.shape[-1]):
        mismatches += np.bitwise_count(np.bitwise_xor.outer(x_words[:, word], w_words[:, word]))
    # matches = MW - mismatches: padding bits are 0 on both sides and never mismatch
    return (mw - mismatches).reshape(x_bits.shape[:-1] + (mh,))


def xnor_mvau(
    x_bits: np.ndarray, w_bits: np.ndarray, thresholds: np.ndarray | None = None, act_val: int = 0
) -> np.ndarray:
    """Binary MVAU: XNOR-popcount, then multi-threshold when ``thresholds`` is given.

    x_bits: (..., MW); w_bits: (MW, MH); thresholds: (MH, T) or (1, T).
    Returns int64 (..., MH): popcounts, or threshold counts plus ``act_val``.
    """
    popcount = xnor_popcount_matmul(x_bits, w_bits)
    return popcount if thresholds is None else multi_threshold(popcount, thresholds, act_val)
