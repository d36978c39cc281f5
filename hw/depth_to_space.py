"""DepthToSpace (CRD / pixel_shuffle), hw/rtl/depth_to_space.sv: folding rule, cycle model,
RTL parameters.

channels is the output's channel count C; the input has C*block*block channels.
"""
from hw.folding import RTL_DIR, check_divides, check_positive

LAYER = "DepthToSpace"
MODULE = "depth_to_space"
SOURCES = (RTL_DIR / "depth_to_space.sv", RTL_DIR / "stream_fifo.sv")
# registered bank read, output queue
LATENCY = 2


def check_folding(in_h: int, in_w: int, channels: int, block: int, simd: int) -> None:
    check_positive(LAYER, in_h=in_h, in_w=in_w, channels=channels, block=block)
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


def rtl_parameters(in_h: int, in_w: int, channels: int, block: int, simd: int,
                   elem_bits: int) -> dict[str, int]:
    """The RTL needs no height: LR rows are independent, so frames are just more rows."""
    check_folding(in_h, in_w, channels, block, simd)
    check_positive(LAYER, elem_bits=elem_bits)
    return {"IN_W": in_w, "CHANNELS": channels, "BLOCK": block, "SIMD": simd,
            "ELEM_BITS": elem_bits}
