"""ElementwiseAdd / AddStreams, hw/rtl/elementwise_add.sv: folding rule, sum width, cycle model,
RTL parameters."""
from hw.folding import RTL_DIR, check_divides, check_positive

LAYER = "ElementwiseAdd"
MODULE = "elementwise_add"
SOURCES = (RTL_DIR / "elementwise_add.sv",)


def check_folding(channels: int, pe: int) -> None:
    check_divides(LAYER, "PE", pe, channels, "channels")


def value_range(bits: int, signed: bool) -> tuple[int, int]:
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def sum_type(a_bits: int, a_signed: bool, b_bits: int, b_signed: bool) -> tuple[int, bool]:
    """(bits, signed) of the narrowest integer type holding every sum of the two inputs."""
    check_positive(LAYER, a_bits=a_bits, b_bits=b_bits)
    (a_lo, a_hi), (b_lo, b_hi) = value_range(a_bits, a_signed), value_range(b_bits, b_signed)
    lo, hi = a_lo + b_lo, a_hi + b_hi
    if lo >= 0:
        return hi.bit_length(), False
    # two's complement: n bits hold [-2**(n-1), 2**(n-1) - 1]
    return max((-lo - 1).bit_length(), hi.bit_length()) + 1, True


def expected_cycles(in_h: int, in_w: int, channels: int, pe: int) -> int:
    """Cycles of one frame, first input word to last output word, inclusive: one word
    per cycle plus the output register."""
    return in_h * in_w * channels // pe + 1


def rtl_parameters(channels: int, pe: int, a_bits: int, a_signed: bool, b_bits: int,
                   b_signed: bool) -> dict[str, int]:
    check_folding(channels, pe)
    out_bits, _ = sum_type(a_bits, a_signed, b_bits, b_signed)
    return {"PE": pe, "A_BITS": a_bits, "A_SIGNED": int(a_signed), "B_BITS": b_bits,
            "B_SIGNED": int(b_signed), "OUT_BITS": out_bits}
