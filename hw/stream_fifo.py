"""StreamingFIFO, hw/rtl/stream_fifo.sv: sizing rule, cycle model, RTL parameters."""
from hw.folding import RTL_DIR, check_positive

LAYER = "StreamingFIFO"
MODULE = "stream_fifo"
SOURCES = (RTL_DIR / "stream_fifo.sv",)


def check_folding(depth: int, width: int) -> None:
    check_positive(LAYER, depth=depth, width=width)


def expected_cycles(words: int, depth: int) -> int:
    """Cycles of ``words`` words, first input to last output, inclusive.

    A word pushed in one cycle can leave in the next. A full FIFO refuses a push
    even while it pops (the ready path stays cut), so depth 1 moves a word every
    other cycle; deeper FIFOs one per cycle.
    """
    return 2 * words if depth == 1 else words + 1


def rtl_parameters(depth: int, width: int) -> dict[str, int]:
    check_folding(depth, width)
    return {"DEPTH": depth, "WIDTH": width}
