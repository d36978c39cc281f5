"""DepthToSpace (CRD / pixel_shuffle), hw/rtl/depth_to_space.sv: folding rule, cycle model,
RTL parameters.

channels is the output's channel count C; the input has C*block*block channels. An input
word carries ``simd`` channels of one LR pixel (simd divides C*block*block), an output word
``out_simd`` elements of one HR row within one LR pixel in NHWC order (out_simd divides
C*block): out_simd = P*C is P whole HR pixels. An LR pixel so takes C*block*block/simd
cycles in and C*block*block/out_simd out, at least ``block`` (out_simd = C*block). The RTL
is built for LR rows up to ``max_width`` pixels (its ping-pong row buffer); the image size
is set at run time (ports in_w, in_h).
"""
from hw.folding import RTL_DIR, check_divides, check_positive

LAYER = "DepthToSpace"
MODULE = "depth_to_space"
SOURCES = (RTL_DIR / "depth_to_space.sv", RTL_DIR / "stream_fifo.sv")
# registered entry read, output queue
LATENCY = 2


def check_folding(max_width: int, channels: int, block: int, simd: int, out_simd: int) -> None:
    check_positive(LAYER, max_width=max_width, channels=channels, block=block)
    check_divides(LAYER, "SIMD", simd, channels * block * block, "input channels")
    check_divides(LAYER, "OutSIMD", out_simd, channels * block,
                  "elements of an LR pixel's HR row (channels * block)")


def row_words(in_w: int, channels: int, block: int, per_word: int) -> int:
    """Words of one LR row at ``per_word`` elements per word (simd in, out_simd out)."""
    return in_w * channels * block * block // per_word


def expected_cycles(in_h: int, in_w: int, channels: int, block: int, simd: int,
                    out_simd: int, frames: int = 1) -> int:
    """Cycles of ``frames`` frames streamed back to back, first input word to last output
    word, inclusive.

    LR row r is written (``I`` cycles) while the S HR rows of row r-1 are read (``O``
    cycles) from the other half of the ping-pong buffer: the first row is written alone,
    the last read alone, and the row times between take the slower side. A frame's first
    row is written while the previous frame's last row is read, so each further frame adds
    in_h row times: the frame interval is ``expected_cycles(frames=2) - expected_cycles()``.
    """
    written = row_words(in_w, channels, block, simd)
    read = row_words(in_w, channels, block, out_simd)
    return written + (frames * in_h - 1) * max(written, read) + read + LATENCY


def rtl_parameters(max_width: int, channels: int, block: int, simd: int, out_simd: int,
                   elem_bits: int) -> dict[str, int]:
    check_folding(max_width, channels, block, simd, out_simd)
    check_positive(LAYER, elem_bits=elem_bits)
    return {"MAX_W": max_width, "CHANNELS": channels, "BLOCK": block, "SIMD": simd,
            "OUT_SIMD": out_simd, "ELEM_BITS": elem_bits}
