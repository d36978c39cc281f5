"""DepthToSpace (CRD / pixel_shuffle), hw/rtl/depth_to_space.sv: folding rule, cycle model,
RTL parameters.

channels is the output's channel count C; the input has C*block*block channels. The RTL
is built for LR rows up to ``max_width`` pixels (its ping-pong row buffer); the image size
is set at run time (ports in_w, in_h).
"""
from hw.folding import RTL_DIR, check_divides, check_positive

LAYER = "DepthToSpace"
MODULE = "depth_to_space"
SOURCES = (RTL_DIR / "depth_to_space.sv", RTL_DIR / "stream_fifo.sv")
# registered bank read, output queue
LATENCY = 2


def check_folding(max_width: int, channels: int, block: int, simd: int) -> None:
    check_positive(LAYER, max_width=max_width, channels=channels, block=block)
    check_divides(LAYER, "SIMD", simd, channels, "output channels")


def row_words(in_w: int, channels: int, block: int, simd: int) -> int:
    """Words of one LR row, in or out; the ping-pong buffer holds two."""
    return in_w * channels * block * block // simd


def expected_cycles(in_h: int, in_w: int, channels: int, block: int, simd: int) -> int:
    """Cycles of one frame, first input word to last output word, inclusive.

    LR row r is written while the S HR rows of row r-1 are read, one word per
    cycle each: in_h + 1 row times, the last one draining the buffer.
    """
    return (in_h + 1) * row_words(in_w, channels, block, simd) + LATENCY


def rtl_parameters(max_width: int, channels: int, block: int, simd: int,
                   elem_bits: int) -> dict[str, int]:
    check_folding(max_width, channels, block, simd)
    check_positive(LAYER, elem_bits=elem_bits)
    return {"MAX_W": max_width, "CHANNELS": channels, "BLOCK": block, "SIMD": simd,
            "ELEM_BITS": elem_bits}
