"""ConvolutionInputGenerator, hw/rtl/sliding_window.sv: folding rule, cycle model, RTL parameters.

Square KERNEL x KERNEL windows, stride 1, dilation 1, on an already padded image;
each window leaves as KERNEL*KERNEL*channels/SIMD words in FINN order (ky, kx, fold).
The RTL is built for padded inputs up to ``max_width`` pixels wide (its line buffer);
the image size is set at run time (ports in_w, in_h).
"""
from hw.folding import RTL_DIR, check_divides, check_positive

LAYER = "ConvolutionInputGenerator"
MODULE = "sliding_window"
SOURCES = (RTL_DIR / "sliding_window.sv", RTL_DIR / "stream_fifo.sv")
# input word -> buffer write, registered read, output queue
LATENCY = 3


def check_folding(max_width: int, channels: int, simd: int, kernel: int) -> None:
    check_positive(LAYER, max_width=max_width, channels=channels, kernel=kernel)
    check_divides(LAYER, "SIMD", simd, channels, "channels")
    if kernel > max_width:
        raise ValueError(f"{LAYER}: kernel {kernel} is wider than the largest image "
                         f"({max_width} pixels)")


def out_shape(in_h: int, in_w: int, kernel: int) -> tuple[int, int]:
    return in_h - kernel + 1, in_w - kernel + 1


def expected_cycles(in_h: int, in_w: int, channels: int, simd: int, kernel: int) -> int:
    """Cycles of one frame, first input word to last output word, inclusive.

    The first window waits for its last word, (kernel-1) rows + kernel pixels into
    the frame at one input word per cycle; after it every window word leaves in
    its own cycle.
    """
    fold = channels // simd
    out_h, out_w = out_shape(in_h, in_w, kernel)
    fill = ((kernel - 1) * in_w + kernel) * fold
    return fill + (out_h * out_w - 1) * kernel * kernel * fold + LATENCY


def rtl_parameters(max_width: int, channels: int, simd: int, elem_bits: int,
                   kernel: int) -> dict[str, int]:
    check_folding(max_width, channels, simd, kernel)
    check_positive(LAYER, elem_bits=elem_bits)
    return {"MAX_W": max_width, "CHANNELS": channels, "SIMD": simd, "ELEM_BITS": elem_bits,
            "KERNEL": kernel}
