"""Generator of FINN MVAU layers (binary XNOR and integer) on the ``hw/rtl/mvau.sv`` core.

Weights are FINN's (MW, MH) layout, thresholds (MH, T) or (1, T); the semantics are
the golden model's ``xnor_mvau`` / ``int_mvau``.
"""
from pathlib import Path

import numpy as np

from hw.codegen import (
    GeneratedLayer, header, int_range, output_bits, search_stages,
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


def packs_pairs(pe: int, in_bits: int, in_signed: bool, weight_bits: int) -> bool:
    """Whether an integer MVAU multiplies its lanes in pairs (``mul_pair``, the RTL's
    PACK_PAIRS): an even PE, and the pair fits one DSP48E1; otherwise a DSP per product."""
    return pe % 2 == 0 and mul_pair.fits_one_dsp(in_bits, in_signed, weight_bits)


def pipeline_latency(n_thresholds: int, dot_latency: int = 0) -> int:
    """Cycles from the first input transfer to the last output transfer beyond one per
    fold step: issue, read, the dot product's ``dot_latency`` registers, accumulate
    (search stage 0), the other search stages, into the output queue."""
    return 3 + dot_latency + max(search_stages(n_thresholds) - 1, 0)


def layer_latency(mw: int, mh: int, simd: int, pe: int, n_thresholds: int, *,
                  binary: bool = False) -> int:
    """``pipeline_latency`` of a layer: T thresholds per channel (0: no activation) and
    the SIMD-lane dot product: ``binary``, the XNOR-popcount tree; else the product
    register and the adder tree."""
    if binary:
        rom_bits = xnor_popcount.rom_in_tree_bits((mw // simd) * (mh // pe))
        dot_latency = xnor_popcount.latency(simd, xnor_popcount.LEVELS_PER_REG,
                                            xnor_popcount.first_group(rom_bits))
    else:
        dot_latency = 1 + (simd - 1).bit_length() // ADDER_LEVELS_PER_REG
    return pipeline_latency(n_thresholds, dot_latency)


def expected_cycles(mw: int, mh: int, simd: int, pe: int, n_thresholds: int,
                    n_vectors: int = 1, *, binary: bool = False) -> int:
    """Cycles from the first input to the last output transfer of ``n_vectors``, no stalls.

    FINN's model, (MW/SIMD) * (MH/PE) per vector, plus the ``layer_latency``.
    """
    return (n_vectors * (mw // simd) * (mh // pe)
            + layer_latency(mw, mh, simd, pe, n_thresholds, binary=binary))


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
) -> GeneratedLayer:
    """Integer MVAU ``name``: exact multiply-accumulate, then optional thresholds.

    weights: (MW, MH) integers, stored signed in ``weight_elem_bits`` (default: the
    smallest width holding them); inputs are ``in_bits``-wide, ``in_signed``.
    Output elements: accumulators, or threshold counts + act_val, of ``out_bits``.
    """
    weights = np.asarray(weights, dtype=np.int64)
    wb = signed_bits(weights.min(), weights.max())
    if weight_elem_bits is not None and weight_elem_bits < wb:
        raise ValueError(f"int_mvau {name}: weights need {wb} signed bits, got {weight_elem_bits}")
    return _generate(
        name, weights, thresholds, simd=simd, pe=pe, out_dir=out_dir, act_val=act_val,
        out_bits=out_bits, binary=False, in_stream=StreamFormat(in_bits, simd, signed=in_signed),
        weight_elem_bits=weight_elem_bits or wb,
        acc_range=_accumulator_range(weights, int_range(in_bits, in_signed)),
        generator="hw/mvau.py generate_int_mvau",
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
    weight_elem_bits: int, acc_range: tuple[int, int], generator: str,
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
    if not binary:
        parameters["PACK_PAIRS"] = int(packs_pairs(pe, in_stream.elem_bits, in_stream.signed,
                                                   weight_elem_bits))
    parameters["OUT_QUEUE_DEPTH"] = credit_queue.depth(
        layer_latency(mw, mh, simd, pe, parameters["T"], binary=binary))
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
