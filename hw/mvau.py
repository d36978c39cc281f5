"""Generator of FINN MVAU layers (binary XNOR and integer) on the ``hw/rtl/mvau.sv`` core.

Weights are FINN's (MW, MH) layout, thresholds (MH, T) or (1, T); the semantics are
the golden model's ``xnor_mvau`` / ``int_mvau``.
"""
from pathlib import Path

import numpy as np

from hw.codegen import (
    Bits, GeneratedLayer, header, int_range, output_bits, search_stages,
    signed_bits, threshold_steps, write_memh, write_search_memories, write_wrapper,
)
from hw import credit_queue, mul_pair, xnor_popcount
from hw.folding import RTL_DIR, check_divides
from hw.stream import StreamFormat

CORE = "mvau"
CORE_SOURCES = (RTL_DIR / "multithreshold.sv", *xnor_popcount.SOURCES, RTL_DIR / "adder_tree.sv",
                *mul_pair.SOURCES, *credit_queue.SOURCES, RTL_DIR / "mvau.sv")
# Adder levels between pipeline registers of an integer MVAU's dot product
# (``adder_tree.sv``): one LUT level and a carry chain each.
ADDER_LEVELS_PER_REG = 2


# FINN's resType of an integer MVAU -> the RTL's RES_TYPE; "lut" on weights that never
# change (one weight word, SF*NF == 1) is the constant style: shift-adds of each weight's
# canonical signed digits, no multiplier and no weight operand
RES_TYPES = {"dsp": 0, "lut": 1, "constant": 2}
# layer kind (the area report's, the cost model's) of an integer MVAU per product style
INT_KINDS = {"dsp": "integer MVAU", "lut": "integer MVAU (LUT)",
             "constant": "integer MVAU (constant)"}
# mvau.sv's constant-term fields: {used, negative, shift (6 bits), input (16 bits)}
CONST_SHIFT_BITS, CONST_INPUT_BITS = 6, 16
CONST_TERM_BITS = 2 + CONST_SHIFT_BITS + CONST_INPUT_BITS


def packs_pairs(pe: int, in_bits: int, in_signed: bool, weight_bits: int) -> bool:
    """Whether an integer MVAU multiplies its lanes in pairs (``mul_pair``, the RTL's
    PACK_PAIRS): an even PE, and the pair fits one DSP48E1; otherwise a DSP per product."""
    return pe % 2 == 0 and mul_pair.fits_one_dsp(in_bits, in_signed, weight_bits)


def int_weight_bits(weights: np.ndarray) -> int:
    """Signed bits an integer MVAU stores its weights in unless told: the fewest that hold
    them (what ``packs_pairs`` sees of a graph's layer)."""
    return signed_bits(weights.min(), weights.max())


def pipeline_latency(n_thresholds: int, dot_latency: int = 0) -> int:
    """Cycles from the first input transfer to the last output transfer beyond one per
    fold step: issue, read, the dot product's ``dot_latency`` registers, accumulate
    (search stage 0), the other search stages, into the output queue."""
    return 3 + dot_latency + max(search_stages(n_thresholds) - 1, 0)


def _adder_tree_latency(values: int) -> int:
    """Registers of ``adder_tree.sv`` over ``values`` inputs: one per ADDER_LEVELS_PER_REG
    of its ceil(log2(values)) levels."""
    return (values - 1).bit_length() // ADDER_LEVELS_PER_REG


def int_dot_latency(simd: int, style: str = "dsp", weight_bits: int = 1,
                    const_terms: int = 0) -> int:
    """Registers of an integer MVAU's dot product (``mvau.sv`` int_dot): the product
    register (after the weight bits' shift-add tree for "lut") and the SIMD-input adder
    tree; "constant": the tree over the lane's signed digits and its offset only."""
    if style == "constant":
        return _adder_tree_latency(const_terms + 1)
    product = 1 + (_adder_tree_latency(weight_bits) if style == "lut" else 0)
    return product + _adder_tree_latency(simd)


def layer_latency(mw: int, mh: int, simd: int, pe: int, n_thresholds: int, *,
                  binary: bool = False, int_dot: int | None = None) -> int:
    """``pipeline_latency`` of a layer: T thresholds per channel (0: no activation) and
    the SIMD-lane dot product: ``binary``, the XNOR-popcount tree; else ``int_dot``
    registers (default: DSP products, ``int_dot_latency``)."""
    if binary:
        rom_bits = xnor_popcount.rom_in_tree_bits((mw // simd) * (mh // pe))
        dot_latency = xnor_popcount.latency(simd, xnor_popcount.LEVELS_PER_REG,
                                            xnor_popcount.first_group(rom_bits))
    else:
        dot_latency = int_dot_latency(simd) if int_dot is None else int_dot
    return pipeline_latency(n_thresholds, dot_latency)


def expected_cycles(mw: int, mh: int, simd: int, pe: int, n_thresholds: int,
                    n_vectors: int = 1, *, binary: bool = False,
                    int_dot: int | None = None) -> int:
    """Cycles from the first input to the last output transfer of ``n_vectors``, no stalls.

    FINN's model, (MW/SIMD) * (MH/PE) per vector, plus the ``layer_latency``.
    """
    return (n_vectors * (mw // simd) * (mh // pe)
            + layer_latency(mw, mh, simd, pe, n_thresholds, binary=binary, int_dot=int_dot))


def layer_expected_cycles(layer: GeneratedLayer, n_vectors: int = 1) -> int:
    """``expected_cycles`` of a generated MVAU, from its parameters."""
    p = layer.parameters
    return expected_cycles(p["MW"], p["MH"], p["SIMD"], p["PE"], p["T"], n_vectors,
                           binary=bool(p["BINARY"]),
                           int_dot=None if p["BINARY"] else _int_dot_of(p))


def _int_dot_of(parameters: dict) -> int:
    style = next(k for k, v in RES_TYPES.items() if v == parameters["RES_TYPE"])
    return int_dot_latency(parameters["SIMD"], style, parameters["WB"],
                           parameters["CONST_TERMS"])


def product_style(res_type: str, simd: int, pe: int, mw: int, mh: int) -> str:
    """The RTL's product style of an integer MVAU of FINN resType ``res_type`` ("dsp" or
    "lut"; "auto" is resolved by ``hw.res_type.SetResType`` and means "dsp" when left):
    "lut" of a layer with one weight word (SF*NF == 1) is "constant"."""
    if res_type not in ("auto", "dsp", "lut"):
        raise ValueError(f"resType {res_type!r} is not auto, lut or dsp")
    if res_type != "lut":
        return "dsp"
    return "constant" if (mw // simd) * (mh // pe) == 1 else "lut"


def csd_digits(value: int) -> list[tuple[int, int]]:
    """Canonical signed digits of ``value``: (shift, +1 or -1) with value = sum d*2**shift,
    no two adjacent: the fewest nonzero digits, about a third of the bits."""
    digits, shift, value = [], 0, int(value)
    while value:
        if value & 1:
            digit = 2 - (value & 3)  # +1 when value = 1 mod 4, -1 when 3 mod 4
            digits.append((shift, digit))
            value -= digit
        value >>= 1
        shift += 1
    return digits


def constant_terms(weights: np.ndarray, pe: int, acc_bits: int) -> tuple[int, int, int]:
    """(CONST_TERMS, CONST_TERM_TABLE, CONST_OFFSET) of ``mvau.sv``'s constant style for
    (MW, MH) ``weights`` fully unfolded (SIMD = MW, PE = MH): lane p's terms are the
    signed digits of column p; a negative digit adds ~x << shift and 2**shift to the
    lane's offset (-(x << k) = (~x << k) + 2**k in two's complement)."""
    lanes = [[(s, shift, sign < 0) for s in range(weights.shape[0])
              for shift, sign in csd_digits(weights[s, p])] for p in range(pe)]
    count = max(1, max(map(len, lanes)))
    table = offset = 0
    for p, terms in enumerate(lanes):
        for j, (s, shift, negative) in enumerate(terms):
            field = (1 << (CONST_TERM_BITS - 1)) | (int(negative) << (CONST_TERM_BITS - 2)) \
                | (shift << CONST_INPUT_BITS) | s
            table |= field << ((p * count + j) * CONST_TERM_BITS)
        lane_offset = sum(1 << shift for _, shift, negative in terms if negative)
        offset |= (lane_offset % (1 << acc_bits)) << (p * acc_bits)
    return count, table, offset


def generate_xnor_mvau(
    name: str, weight_bits: np.ndarray, thresholds: np.ndarray | None, *,
    simd: int, pe: int, out_dir: Path, act_val: int = 0, out_bits: int | None = None,
) -> GeneratedLayer:
    """Binary MVAU ``name``: XNOR-popcount of bit vectors, then optional thresholds.

    weight_bits: (MW, MH) bits, 1 meaning +1; input words carry SIMD bits.
    Output elements: popcounts in [0, MW], or threshold counts + act_val, of
    ``out_bits`` (default: the smallest width holding them).
    """
    weight_bits = np.asarray(weight_bits)
    if weight_bits.size and (weight_bits.min() < 0 or weight_bits.max() > 1):
        raise ValueError(f"xnor_mvau {name}: weights must be bits {{0, 1}}")
    mw = weight_bits.shape[0]
    return _generate(
        name, weight_bits, thresholds, simd=simd, pe=pe, out_dir=out_dir, act_val=act_val,
        out_bits=out_bits, binary=True, in_stream=StreamFormat(1, simd, signed=False),
        weight_elem_bits=1, acc_range=(0, mw), generator="hw/mvau.py generate_xnor_mvau",
    )


def generate_int_mvau(
    name: str, weights: np.ndarray, thresholds: np.ndarray | None, *,
    simd: int, pe: int, in_bits: int, in_signed: bool, out_dir: Path,
    act_val: int = 0, out_bits: int | None = None, weight_elem_bits: int | None = None,
    res_type: str = "dsp",
) -> GeneratedLayer:
    """Integer MVAU ``name``: exact multiply-accumulate, then optional thresholds.

    weights: (MW, MH) integers, stored signed in ``weight_elem_bits`` (default: the
    smallest width holding them); inputs are ``in_bits``-wide, ``in_signed``.
    Output elements: accumulators, or threshold counts + act_val, of ``out_bits``.
    res_type: FINN's resType, how products are built (``product_style``).
    """
    weights = np.asarray(weights, dtype=np.int64)
    wb = int_weight_bits(weights)
    if weight_elem_bits is not None and weight_elem_bits < wb:
        raise ValueError(f"int_mvau {name}: weights need {wb} signed bits, got {weight_elem_bits}")
    return _generate(
        name, weights, thresholds, simd=simd, pe=pe, out_dir=out_dir, act_val=act_val,
        out_bits=out_bits, binary=False, in_stream=StreamFormat(in_bits, simd, signed=in_signed),
        weight_elem_bits=weight_elem_bits or wb,
        acc_range=_accumulator_range(weights, int_range(in_bits, in_signed)),
        generator="hw/mvau.py generate_int_mvau",
        style=product_style(res_type, simd, pe, *weights.shape),
    )


def _accumulator_range(weights: np.ndarray, input_range: tuple[int, int]) -> tuple[int, int]:
    """Smallest and largest dot product of any input vector with any weight column.

    Every integer input range holds 0, so each partial sum stays in this range too.
    """
    lo, hi = input_range
    return (int(np.minimum(weights * lo, weights * hi).sum(axis=0).min()),
            int(np.maximum(weights * lo, weights * hi).sum(axis=0).max()))


def _weight_words(weights: np.ndarray, simd: int, pe: int, elem_bits: int) -> list[int]:
    """Weight memory: word nf*SF + sf holds weights[sf*SIMD + s, nf*PE + p], lane p major."""
    mw, mh = weights.shape
    folded = weights.reshape(mw // simd, simd, mh // pe, pe).transpose(2, 0, 3, 1)
    return StreamFormat(elem_bits, pe * simd).pack_words(folded)


def _generate(
    name: str, weights: np.ndarray, thresholds, *, simd: int, pe: int, out_dir: Path,
    act_val: int, out_bits: int | None, binary: bool, in_stream: StreamFormat,
    weight_elem_bits: int, acc_range: tuple[int, int], generator: str, style: str = "dsp",
) -> GeneratedLayer:
    layer = f"{'xnor' if binary else 'int'}_mvau {name}"
    if weights.ndim != 2:
        raise ValueError(f"{layer}: weights must be (MW, MH), got shape {weights.shape}")
    mw, mh = weights.shape
    check_divides(layer, "SIMD", simd, mw, "inputs (MW)")
    check_divides(layer, "PE", pe, mh, "outputs (MH)")
    acc_lo, acc_hi = acc_range
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)

    if thresholds is None:
        steps = None
        acc_bits = signed_bits(acc_lo, acc_hi)
        out_lo, out_hi = acc_lo, acc_hi
    else:
        steps = threshold_steps(layer, thresholds, mh, acc_lo, acc_hi)
        acc_bits = signed_bits(acc_lo, acc_hi + 1)  # clipped thresholds reach acc_hi + 1
        out_lo, out_hi = act_val, act_val + steps.shape[1]
    out_stream = StreamFormat(output_bits(layer, out_lo, out_hi, out_bits), pe, signed=out_lo < 0)

    weight_file = out_dir / f"{name}_weights.memh"
    threshold_prefix = out_dir / f"{name}_thresholds"
    parameters = {
        "MW": mw, "MH": mh, "SIMD": simd, "PE": pe, "BINARY": int(binary),
        "IB": in_stream.elem_bits, "IN_SIGNED": int(in_stream.signed), "WB": weight_elem_bits,
        "ACC_BITS": acc_bits, "T": 0 if steps is None else steps.shape[1],
        "OB": out_stream.elem_bits, "ACT_VAL": act_val,
        "WEIGHT_FILE": weight_file, "THRESHOLD_PREFIX": "" if steps is None else threshold_prefix,
    }
    parameters["DOT_LEVELS_PER_REG"] = (xnor_popcount.LEVELS_PER_REG if binary
                                        else ADDER_LEVELS_PER_REG)
    int_dot = None
    if not binary:
        terms = (constant_terms(weights, pe, acc_bits) if style == "constant" else (1, 0, 0))
        parameters.update(RES_TYPE=RES_TYPES[style], CONST_TERMS=terms[0],
                          CONST_TERM_TABLE=Bits(terms[1], pe * terms[0] * CONST_TERM_BITS),
                          CONST_OFFSET=Bits(terms[2], pe * acc_bits))
        parameters["PACK_PAIRS"] = int(style == "dsp" and packs_pairs(
            pe, in_stream.elem_bits, in_stream.signed, weight_elem_bits))
        int_dot = _int_dot_of(parameters)
    parameters["OUT_QUEUE_DEPTH"] = credit_queue.depth(
        layer_latency(mw, mh, simd, pe, parameters["T"], binary=binary, int_dot=int_dot))
    header_text = header(generator, name, parameters)
    mem_files = [write_memh(weight_file, _weight_words(weights, simd, pe, weight_elem_bits),
                            pe * simd * weight_elem_bits, header_text)]
    if steps is not None:
        mem_files += write_search_memories(threshold_prefix, steps, pe, acc_bits, acc_hi + 1,
                                           header_text)
    wrapper = write_wrapper(out_dir / f"{name}.sv", name, CORE, parameters, in_stream, out_stream,
                            header_text)
    return GeneratedLayer(
        name=name, sources=(*CORE_SOURCES, wrapper), mem_files=tuple(mem_files),
        parameters=parameters, in_stream=in_stream, out_stream=out_stream,
        in_words_per_vector=mw // simd, out_words_per_vector=mh // pe,
    )
