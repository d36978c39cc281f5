"""Cocotb testbench of hw/rtl/mul_pair.sv: one (a, w0, w1) per cycle, both products one
cycle later against the case's exact a*w0 and a*w1."""
import cocotb
from cocotb.triggers import FallingEdge

from sim.tb.axis import load_case, start_clock


def bit_pattern(value: int, bits: int) -> int:
    """Two's complement bits of ``value`` (already in range) as an unsigned port value."""
    return int(value) & ((1 << bits) - 1)


@cocotb.test()
async def mul_pair(dut):
    case = load_case()
    a, w0, w1 = case["a"], case["w0"], case["w1"]
    ib, wb = case["in_bits"], case["weight_bits"]
    start_clock(dut)
    await FallingEdge(dut.ap_clk)
    for i in range(len(a) + 1):
        if i > 0:  # the previous cycle's inputs are in the register now
            got = (dut.p0.value.to_signed(), dut.p1.value.to_signed())
            expected = (int(a[i - 1]) * int(w0[i - 1]), int(a[i - 1]) * int(w1[i - 1]))
            assert got == expected, (
                f"a={a[i - 1]} w0={w0[i - 1]} w1={w1[i - 1]}: products {got}, expected {expected}")
        if i < len(a):
            dut.a.value = bit_pattern(a[i], ib)
            dut.w0.value = bit_pattern(w0[i], wb)
            dut.w1.value = bit_pattern(w1[i], wb)
        await FallingEdge(dut.ap_clk)
