"""Cocotb testbench of hw/rtl/xnor_popcount.sv: every count and tag against the golden
``xnor_popcount`` through a model of the pipeline (``latency`` registers that advance on
``enable``), checked every cycle under random ``enable`` stalls, from reset on."""
import random

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, ReadOnly

from sim.tb.axis import load_case, reset, start_clock


def bits_to_int(bits: np.ndarray) -> int:
    """Bit i of the word is bits[i]."""
    return int("".join(str(int(b)) for b in bits[::-1]) or "0", 2)


@cocotb.test()
async def xnor_popcount(dut):
    case = load_case()
    x_bits, w_bits, counts = case["x_bits"], case["w_bits"], case["counts"]
    n_tags = 1 << case["tag_bits"]
    rng = random.Random(case["seed"])
    start_clock(dut)
    dut.enable.value = 0
    dut.x.value = 0
    dut.w.value = 0
    dut.in_tag.value = 0
    await reset(dut)
    # the registers' (count, tag); a reset clears the tags, the counts are don't-cares
    stages = [(None, 0)] * case["latency"]
    vector = 0
    while vector < len(counts):
        enable = rng.random() >= case["stall_prob"]
        tag = (vector + 1) % n_tags
        dut.x.value = bits_to_int(x_bits[vector])
        dut.w.value = bits_to_int(w_bits[vector])
        dut.in_tag.value = tag
        dut.enable.value = int(enable)
        current = (int(counts[vector]), tag)
        await ReadOnly()
        expected_count, expected_tag = stages[-1] if stages else current
        assert int(dut.out_tag.value) == expected_tag, (
            f"vector {vector}: tag {int(dut.out_tag.value)}, expected {expected_tag}")
        if expected_count is not None:
            assert int(dut.count.value) == expected_count, (
                f"vector {vector}: count {int(dut.count.value)}, expected {expected_count}")
        if enable:
            stages = [current, *stages][:len(stages)]
            vector += 1
        await FallingEdge(dut.ap_clk)
