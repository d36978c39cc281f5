"""StreamingFIFO, hw/rtl/stream_fifo.sv: sizing rule, cycle model, RTL parameters."""
from hw.folding import RTL_DIR, check_positive

LAYER = "StreamingFIFO"
MODULE = "stream_fifo"
SOURCES = (RTL_DIR / "stream_fifo.sv",)
# stream_fifo.sv's deepest FIFO in LUTs; deeper ones are block RAM with a registered read
LUTRAM_MAX_DEPTH = 64


def check_folding(depth: int, width: int) -> None:
    check_positive(LAYER, depth=depth, width=width)


def latency(depth: int) -> int:
    """Cycles from a word's push to the first cycle it can leave: 1 from LUTs, 2 from
    block RAM (registered read)."""
    return 1 if depth <= LUTRAM_MAX_DEPTH else 2


def expected_cycles(words: int, depth: int) -> int:
    """Cycles of ``words`` words, first input to last output, inclusive.

    A word leaves ``latency`` cycles after its push at the earliest. A full FIFO
    refuses a push even while it pops (the ready path stays cut), so depth 1 moves a
    word every other cycle; deeper FIFOs one per cycle.
    """
    return 2 * words if depth == 1 else words + latency(depth)


def rtl_parameters(depth: int, width: int) -> dict[str, int]:
    check_folding(depth, width)
    return {"DEPTH": depth, "WIDTH": width}
