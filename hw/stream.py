"""The one description of an AXI stream and the one packing of values into its words.

FINN's packing: ``per_word`` elements of ``elem_bits`` per word, element 0 at the
least significant bits, negative elements in two's complement, the bits above the
data zero up to TDATA. Bytes of a word are little-endian, as the DMA moves them.
The generators' memory files, the cocotb testbenches, the Verilator harness and the
board driver all pack through here, and the generators and the golden model turn
thresholds into integers through ``integer_thresholds``. Imports only numpy: the board
driver uses it.
"""
from dataclasses import dataclass

import numpy as np

# Stands in for infinite thresholds; integer accumulators stay far below it.
_THRESHOLD_LIMIT = 2**62


def integer_thresholds(thresholds: np.ndarray) -> np.ndarray:
    """Thresholds (C, T) as int64, each row sorted, comparing like the originals on integers.

    For an integer ``a``, ``a >= t`` holds exactly when ``a >= ceil(t)``, so float
    thresholds (integral or not, even infinite) become integers without changing any
    comparison. Sorting is harmless because only the count of thresholds passed matters.
    """
    thr = np.asarray(thresholds)
    if thr.ndim != 2:
        raise ValueError(f"thresholds must be (channels, steps), got shape {thr.shape}")
    if not np.issubdtype(thr.dtype, np.integer):
        thr = np.clip(np.ceil(thr), -_THRESHOLD_LIMIT, _THRESHOLD_LIMIT)
    return np.sort(thr.astype(np.int64), axis=1)


def byte_padded(bits: int) -> int:
    """``bits`` rounded up to whole bytes: FINN's TDATA width for that much data."""
    return -(-bits // 8) * 8


@dataclass(frozen=True)
class StreamFormat:
    """Words of ``per_word`` elements of ``elem_bits`` each in ``tdata_bits`` of TDATA.

    ``tdata_bits`` defaults to the data rounded up to whole bytes (FINN's wrappers and
    the DMA); a hand-written core's port is exactly ``data_bits`` wide (``unpadded``).
    """

    elem_bits: int
    per_word: int
    signed: bool = False
    tdata_bits: int | None = None

    def __post_init__(self):
        if self.tdata_bits is None:
            object.__setattr__(self, "tdata_bits", byte_padded(self.data_bits))
        if self.tdata_bits < self.data_bits:
            raise ValueError(f"{self.tdata_bits} TDATA bits cannot hold {self.per_word} "
                             f"elements of {self.elem_bits} bits")

    @property
    def data_bits(self) -> int:
        return self.elem_bits * self.per_word

    @property
    def word_bytes(self) -> int:
        return -(-self.tdata_bits // 8)

    def unpadded(self) -> "StreamFormat":
        """The same stream on a port exactly ``data_bits`` wide."""
        return StreamFormat(self.elem_bits, self.per_word, self.signed, self.data_bits)

    def words(self, n_values: int) -> int:
        """Words that carry ``n_values`` elements; ValueError if they do not fill words."""
        if n_values % self.per_word:
            raise ValueError(f"{n_values} elements do not fill words of {self.per_word}")
        return n_values // self.per_word

    def pack(self, values) -> np.ndarray:
        """Row-major flattening of integer ``values`` -> the uint8 bytes of its words.

        ValueError if the values do not fill whole words or one does not fit
        ``elem_bits`` bits (as a signed or an unsigned number: memories hold both).
        """
        flat = np.asarray(values).reshape(-1)
        words = self.words(flat.size)
        if flat.size and (flat.min() < -(1 << (self.elem_bits - 1))
                          or flat.max() >= 1 << self.elem_bits):
            raise ValueError(f"values in [{flat.min()}, {flat.max()}] do not fit "
                             f"{self.elem_bits} bits")
        fields = flat.astype(np.int64).reshape(words, self.per_word) & ((1 << self.elem_bits) - 1)
        bits = ((fields[..., None] >> np.arange(self.elem_bits)) & 1).reshape(words, self.data_bits)
        bits = np.pad(bits, ((0, 0), (0, 8 * self.word_bytes - self.data_bits)))
        return np.packbits(bits.astype(np.uint8), axis=1, bitorder="little").reshape(-1)

    def unpack(self, data) -> np.ndarray:
        """uint8 bytes of words -> their elements, flat int64 (padding bits ignored)."""
        rows = np.asarray(data, dtype=np.uint8).reshape(-1, self.word_bytes)
        bits = np.unpackbits(rows, axis=1, bitorder="little")[:, :self.data_bits]
        values = (bits.reshape(-1, self.elem_bits).astype(np.int64)
                  << np.arange(self.elem_bits)).sum(axis=1)
        if self.signed:
            values = np.where(values >> (self.elem_bits - 1), values - (1 << self.elem_bits),
                              values)
        return values

    def pack_words(self, values) -> list[int]:
        """``pack`` as one Python int per word (memory files, cocotb signals)."""
        rows = self.pack(values).reshape(-1, self.word_bytes)
        return [int.from_bytes(row.tobytes(), "little") for row in rows]

    def unpack_words(self, words) -> np.ndarray:
        """Inverse of ``pack_words``."""
        return self.unpack(np.frombuffer(
            b"".join(int(word).to_bytes(self.word_bytes, "little") for word in words),
            dtype=np.uint8))
