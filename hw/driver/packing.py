"""Frames <-> the bytes of an AXI stream, vectorized for whole images.

FINN's packing: ``per_word`` elements of ``elem_bits`` per word, element 0 at the
least significant bits, two's complement; a word occupies ``tdata_bits / 8`` bytes,
little-endian, as the DMA moves it.
"""
import numpy as np


def _word_bits(values: np.ndarray, elem_bits: int, per_word: int, tdata_bits: int) -> np.ndarray:
    """(words, tdata_bits) bit matrix, bit 0 first."""
    fields = (values.reshape(-1, per_word).astype(np.int64) & ((1 << elem_bits) - 1))
    bits = (fields[..., None] >> np.arange(elem_bits)) & 1  # (words, per_word, elem_bits)
    bits = bits.reshape(len(fields), per_word * elem_bits)
    return np.pad(bits, ((0, 0), (0, tdata_bits - bits.shape[1]))).astype(np.uint8)


def pack_stream(values: np.ndarray, elem_bits: int, per_word: int, tdata_bits: int) -> np.ndarray:
    """Row-major ``values`` -> uint8 bytes of the stream words."""
    if values.size % per_word:
        raise ValueError(f"{values.size} elements do not fill words of {per_word}")
    return np.packbits(_word_bits(values, elem_bits, per_word, tdata_bits), axis=1,
                       bitorder="little").reshape(-1)


def unpack_stream(data: np.ndarray, elem_bits: int, per_word: int, tdata_bits: int,
                  signed: bool) -> np.ndarray:
    """uint8 bytes of stream words -> flat int64 element values."""
    words = np.unpackbits(np.asarray(data, dtype=np.uint8).reshape(-1, tdata_bits // 8),
                          axis=1, bitorder="little")
    bits = words[:, :per_word * elem_bits].reshape(-1, elem_bits).astype(np.int64)
    values = (bits << np.arange(elem_bits)).sum(axis=1)
    if signed:
        values = np.where(values >= 1 << (elem_bits - 1), values - (1 << elem_bits), values)
    return values
