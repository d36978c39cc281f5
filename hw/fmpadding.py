"""FMPadding layer, hw/rtl/fmpadding.sv: folding rule, cycle model, RTL parameters.

padding is FINN's [top, left, bottom, right]; the RTL inserts all-zero elements. The
RTL is built for inputs up to ``max_width`` pixels wide; the image size is set at run
time (ports in_w, in_h).
"""
from hw.folding import RTL_DIR, check_divides, check_positive

LAYER = "FMPadding"
MODULE = "fmpadding"
SOURCES = (RTL_DIR / "fmpadding.sv",)


def check_folding(max_width: int, channels: int, simd: int, padding) -> None:
    check_positive(LAYER, max_width=max_width, channels=channels)
    check_divides(LAYER, "SIMD", simd, channels, "channels")
    if len(padding) != 4 or min(padding) < 0:
        raise ValueError(f"{LAYER}: padding {list(padding)} is not 4 non-negative "
                         "[top, left, bottom, right]")


def out_shape(in_h: int, in_w: int, padding) -> tuple[int, int]:
    top, left, bottom, right = padding
    return top + in_h + bottom, left + in_w + right


def expected_cycles(in_h: int, in_w: int, channels: int, simd: int, padding) -> int:
    """Cycles of one frame, first transfer on any stream to last output word, inclusive.

    One output word per cycle; a frame that starts with an input word (no top or
    left padding) adds the cycle of the output register.
    """
    out_h, out_w = out_shape(in_h, in_w, padding)
    top, left = padding[0], padding[1]
    return out_h * out_w * channels // simd + int(top == 0 and left == 0)


def rtl_parameters(max_width: int, channels: int, simd: int, elem_bits: int,
                   padding) -> dict[str, int]:
    check_folding(max_width, channels, simd, padding)
    check_positive(LAYER, elem_bits=elem_bits)
    top, left, bottom, right = padding
    return {
        "MAX_W": max_width, "CHANNELS": channels, "SIMD": simd, "ELEM_BITS": elem_bits,
        "PAD_TOP": top, "PAD_LEFT": left, "PAD_BOTTOM": bottom, "PAD_RIGHT": right,
    }
