"""Value conventions of the golden model: integer tensors, bits for binary kernels.

Graph-level tensors hold the values of their FINN DataType (BIPOLAR as {-1, +1}),
stored in the narrowest numpy integer type that holds the DataType (``storage_dtype``:
int8 for binary and 8-bit tensors, so whole frames fit in memory); kernels compute
in int64.
Binary kernels take bits {0, 1}; for BIPOLAR, bit 1 is +1 and bit 0 is -1, which is
the hardware stream encoding. Integer types are stored as their values, so their
bit pattern and value coincide here.
"""
import numpy as np
from qonnx.core.datatype import DataType

BIPOLAR = DataType["BIPOLAR"]


def to_int64(x, what: str) -> np.ndarray:
    """``x`` as an int64 array; ValueError naming ``what`` if an element is not an integer.

    FINN keeps every tensor in float32, so integral floats are accepted.
    """
    arr = np.asarray(x)
    if arr.dtype == bool or np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64, copy=False)
    if not np.all(np.isfinite(arr) & (arr == np.floor(arr))):
        raise ValueError(f"{what} holds non-integer values; the golden model is integer only")
    return arr.astype(np.int64)


_STORAGE_TYPES = (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32)


def storage_dtype(dtype: DataType) -> type:
    """The narrowest numpy integer type holding every value of ``dtype`` (int64 for a
    non-integer DataType: an unannotated tensor)."""
    if not dtype.is_integer():
        return np.int64
    fits = lambda candidate: np.iinfo(candidate).min <= dtype.min() \
        and dtype.max() <= np.iinfo(candidate).max  # noqa: E731
    return next((candidate for candidate in _STORAGE_TYPES if fits(candidate)), np.int64)


def values_to_bits(x: np.ndarray, dtype: DataType) -> np.ndarray:
    """Bits {0, 1} of a 1-bit ``dtype`` tensor (BIPOLAR -1 -> 0, +1 -> 1; BINARY unchanged)."""
    if dtype.bitwidth() != 1:
        raise ValueError(f"binary data needs a 1-bit DataType, got {dtype.name}")
    return (x + 1) // 2 if dtype == BIPOLAR else x


def bits_to_values(bits: np.ndarray, dtype: DataType) -> np.ndarray:
    """Values of ``dtype`` encoded by ``bits``: only BIPOLAR differs (bit 0 is -1)."""
    return 2 * bits - 1 if dtype == BIPOLAR else bits


def check_values(x: np.ndarray, dtype: DataType, what: str) -> None:
    """ValueError naming ``what`` if ``x`` holds a value ``dtype`` cannot represent.

    Hardware would silently wrap such a value, so catching it here keeps the golden
    model honest. Non-integer DataTypes (unannotated tensors) are not checked.
    """
    if not dtype.is_integer() or x.size == 0:
        return
    lo, hi = x.min(), x.max()
    if lo < dtype.min() or hi > dtype.max() or (dtype == BIPOLAR and np.any(x == 0)):
        raise ValueError(f"{what}: values in [{lo}, {hi}] are not all {dtype.name}")
