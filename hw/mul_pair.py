"""Two signed products of one input in one DSP48E1 (``hw/rtl/mul_pair.sv``): where the
packing fits, which the integer MVAU uses to pair its PE lanes."""
from hw.folding import RTL_DIR

MODULE = "mul_pair"
SOURCES = (RTL_DIR / "mul_pair.sv",)
# DSP48E1: the pre-adder (packed weights) is 25 bits, the multiplier's B port 18 bits
PREADDER_BITS = 25
B_PORT_BITS = 18


def fits_one_dsp(in_bits: int, in_signed: bool, weight_bits: int) -> bool:
    """Whether ``mul_pair``'s two products fit one DSP48E1: both weights, a product width
    apart, in the pre-adder (IB + 2*WB + 1 bits: w1 = -2^(WB-1) with w0 < 0 takes the
    extra one) and the input with its sign in B."""
    return (in_bits + 2 * weight_bits + 1 <= PREADDER_BITS
            and in_bits + (not in_signed) <= B_PORT_BITS)
