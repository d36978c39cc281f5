"""StreamingDataWidthConverter, hw/rtl/stream_width_converter.sv: folding rule, cycle model,
RTL parameters.

Words of ``in_elems`` elements become words of ``out_elems`` elements, the row-major
element order unchanged (golden ``sim.golden.streams.pass_through``). One of the two
word sizes must divide the other.
"""
from hw.folding import RTL_DIR, check_positive

LAYER = "StreamingDataWidthConverter"
MODULE = "stream_width_converter"
SOURCES = (RTL_DIR / "stream_width_converter.sv",)


def check_folding(in_elems: int, out_elems: int) -> None:
    check_positive(LAYER, in_elems=in_elems, out_elems=out_elems)
    if in_elems % out_elems and out_elems % in_elems:
        raise ValueError(f"{LAYER}: one of in_elems {in_elems} and out_elems {out_elems} "
                         "must divide the other")


def expected_cycles(total_elems: int, in_elems: int, out_elems: int) -> int:
    """Cycles of ``total_elems`` elements (one frame), first input word to last output
    word, inclusive.

    The narrow side moves one word per cycle (up-conversion takes an input word, down-
    conversion emits an output word, every cycle); the output register adds one cycle.
    """
    check_folding(in_elems, out_elems)
    wide = max(in_elems, out_elems)
    if total_elems < 1 or total_elems % wide:
        raise ValueError(f"{LAYER}: {total_elems} elements do not fill whole words of {wide}")
    return total_elems // min(in_elems, out_elems) + 1


def rtl_parameters(in_elems: int, out_elems: int, elem_bits: int) -> dict[str, int]:
    check_folding(in_elems, out_elems)
    check_positive(LAYER, elem_bits=elem_bits)
    return {"IN_ELEMS": in_elems, "OUT_ELEMS": out_elems, "ELEM_BITS": elem_bits}
