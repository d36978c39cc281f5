"""Generator of FINN Thresholding layers on the ``hw/rtl/thresholding.sv`` core.

Semantics are the golden model's ``multi_threshold``: per channel, the number of
thresholds <= the input, plus ActVal.
"""
from pathlib import Path

import numpy as np

from hw.codegen import (
    GeneratedLayer, header, int_range, output_bits, search_stages, signed_bits,
    threshold_steps, write_search_memories, write_wrapper,
)
from hw import credit_queue
from hw.folding import RTL_DIR, check_divides
from hw.stream import StreamFormat

CORE = "thresholding"
CORE_SOURCES = (RTL_DIR / "multithreshold.sv", *credit_queue.SOURCES, RTL_DIR / "thresholding.sv")


def pipeline_latency(n_thresholds: int) -> int:
    """Cycles from the first input transfer to the last output transfer beyond one per
    word: input register (search stage 0), the other search stages, into the output queue."""
    return search_stages(n_thresholds) + 1


def expected_cycles(channels: int, pe: int, n_thresholds: int, n_pixels: int = 1) -> int:
    """Cycles from the first input to the last output transfer of ``n_pixels``, no stalls.

    FINN's model, C/PE words per pixel, plus the pipeline latency of T thresholds.
    """
    return n_pixels * (channels // pe) + pipeline_latency(n_thresholds)


def generate_thresholding(
    name: str, thresholds: np.ndarray, *, channels: int, pe: int, in_bits: int,
    in_signed: bool, out_dir: Path, act_val: int = 0, out_bits: int | None = None,
) -> GeneratedLayer:
    """Thresholding layer ``name``: ``channels`` inputs of ``in_bits`` (``in_signed``),
    PE per word, thresholds (C, T) or (1, T).

    Output elements: threshold counts + act_val, of ``out_bits`` (default: the
    smallest width holding them).
    """
    layer = f"thresholding {name}"
    check_divides(layer, "PE", pe, channels, "channels")
    in_lo, in_hi = int_range(in_bits, in_signed)
    steps = threshold_steps(layer, thresholds, channels, in_lo, in_hi)
    n_steps = steps.shape[1]
    value_bits = signed_bits(in_lo, in_hi + 1)  # clipped thresholds reach in_hi + 1
    in_stream = StreamFormat(in_bits, pe, signed=in_signed)
    out_stream = StreamFormat(output_bits(layer, act_val, act_val + n_steps, out_bits), pe,
                          signed=act_val < 0)
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)

    threshold_prefix = out_dir / f"{name}_thresholds"
    parameters = {
        "C": channels, "PE": pe, "IB": in_bits, "IN_SIGNED": int(in_signed),
        "VALUE_BITS": value_bits, "T": n_steps, "OB": out_stream.elem_bits, "ACT_VAL": act_val,
        "THRESHOLD_PREFIX": threshold_prefix,
        "OUT_QUEUE_DEPTH": credit_queue.depth(pipeline_latency(n_steps)),
    }
    header_text = header("hw/thresholding.py generate_thresholding", name, parameters)
    mem_files = write_search_memories(threshold_prefix, steps, pe, value_bits, in_hi + 1,
                                      header_text)
    wrapper = write_wrapper(out_dir / f"{name}.sv", name, CORE, parameters, in_stream, out_stream,
                            header_text)
    return GeneratedLayer(
        name=name, sources=(*CORE_SOURCES, wrapper), mem_files=mem_files,
        parameters=parameters, in_stream=in_stream, out_stream=out_stream,
        in_words_per_vector=channels // pe, out_words_per_vector=channels // pe,
    )
