"""ConvolutionInputGenerator: folding rules, cycle models and RTL parameters of its two
implementations, chosen by the node's FINN attribute ``parallel_window``.

- 0: hw/rtl/sliding_window.sv, square KERNEL x KERNEL windows, each leaving as
  KERNEL*KERNEL*channels/SIMD words in FINN order (ky, kx, fold);
- 1: hw/rtl/sliding_window_parallel.sv, KH x KW windows (also 1x5, 5x1), one pixel (all
  channels: SIMD = channels) per input word and one whole window, KH*KW*channels
  elements in FINN order (ky, kx, channel), per output word, for one pixel per cycle.
Both: stride 1, dilation 1, on an already padded image; built for padded inputs up to
``max_width`` pixels wide (their line buffers), the image size set at run time (ports
in_w, in_h).
"""
from types import SimpleNamespace

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


def expected_cycles(in_h: int, in_w: int, channels: int, simd: int, kernel,
                    parallel_window: bool = False) -> int:
    """Cycles of one frame, first input word to last output word, inclusive, without stalls;
    ``kernel`` is K (folded) or (KH, KW) (parallel window, whose cycles do not depend on it).

    Folded (``sliding_window``): the first window waits for its last word, (kernel-1)
    rows + kernel pixels into the frame at one input word per cycle; after it every
    window word leaves in its own cycle.
    Parallel window (``sliding_window_parallel``, whole pixels in, whole windows out): one
    input pixel per cycle; every window leaves with the pixel completing it,
    PARALLEL_LATENCY cycles after that pixel, and the frame's last pixel completes its
    last window.
    """
    if parallel_window:
        return in_h * in_w + PARALLEL_LATENCY
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


PARALLEL_MODULE = "sliding_window_parallel"
PARALLEL_SOURCES = (RTL_DIR / "sliding_window_parallel.sv",)
# the parallel implementation as a layer module of its own (MODULE, SOURCES)
PARALLEL = SimpleNamespace(MODULE=PARALLEL_MODULE, SOURCES=PARALLEL_SOURCES)
# input pixel -> registered line-buffer read -> window register (the output register)
PARALLEL_LATENCY = 2


def check_parallel(in_h: int, in_w: int, max_w: int, channels: int, simd: int,
                   kernel: tuple[int, int]) -> None:
    """ValueError naming the rule unless the parallel window takes this configuration."""
    kh, kw = kernel
    check_positive(LAYER, in_h=in_h, in_w=in_w, channels=channels, kernel_h=kh, kernel_w=kw)
    if simd != channels:
        raise ValueError(f"{LAYER}: a parallel window takes whole pixels: SIMD {simd} must "
                         f"equal the {channels} channels")
    if kh > in_h or kw > in_w:
        raise ValueError(f"{LAYER}: kernel {kh}x{kw} is larger than the {in_h}x{in_w} image")
    if in_w > max_w:
        raise ValueError(f"{LAYER}: image width {in_w} exceeds the maximum width {max_w}")


def window_elems(channels: int, kernel: tuple[int, int]) -> int:
    """Elements of one parallel-window output word: the whole KH x KW x channels window."""
    kh, kw = kernel
    return kh * kw * channels


def parallel_rtl_parameters(max_w: int, channels: int, elem_bits: int,
                            kernel: tuple[int, int]) -> dict[str, int]:
    check_positive(LAYER, max_w=max_w, channels=channels, elem_bits=elem_bits,
                   kernel_h=kernel[0], kernel_w=kernel[1])
    return {"MAX_W": max_w, "CHANNELS": channels, "ELEM_BITS": elem_bits, "KH": kernel[0],
            "KW": kernel[1]}
