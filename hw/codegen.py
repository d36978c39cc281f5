"""Code generation shared by the RTL layer generators.

Every layer is a hand-written core in ``hw/rtl`` behind a generated wrapper with
FINN's AXI-Stream ports (``hw/templates/stream_layer.sv.j2``), its constants in
``$readmemh`` files. This module holds what all layer kinds need: width
arithmetic, threshold clipping, headers, and file writing.
"""
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np

from hw.stream import StreamFormat, integer_thresholds

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class GeneratedLayer:
    """What a generator wrote, and how to drive the wrapper module ``name``."""

    name: str
    sources: tuple[Path, ...]  # every file to compile, core files first, wrapper last
    mem_files: tuple[Path, ...]
    parameters: dict  # the core's parameters, as in the wrapper
    in_stream: StreamFormat
    out_stream: StreamFormat
    in_words_per_vector: int
    out_words_per_vector: int

    @property
    def wrapper(self) -> Path:
        return self.sources[-1]


def int_range(bits: int, signed: bool) -> tuple[int, int]:
    """Smallest and largest value of a ``bits``-wide integer."""
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def signed_bits(lo: int, hi: int) -> int:
    """Width of the smallest two's complement type holding [lo, hi]."""
    return max(int(lo).bit_length() if lo >= 0 else int(~lo).bit_length(),
               int(hi).bit_length() if hi >= 0 else int(~hi).bit_length()) + 1


def range_bits(lo: int, hi: int) -> int:
    """Width of the smallest integer type holding [lo, hi]: unsigned unless lo < 0."""
    return signed_bits(lo, hi) if lo < 0 else max(int(hi).bit_length(), 1)


def output_bits(layer: str, lo: int, hi: int, requested: int | None) -> int:
    """Output element width: ``requested`` (checked to hold [lo, hi]) or the smallest."""
    needed = range_bits(lo, hi)
    if requested is not None and requested < needed:
        raise ValueError(f"{layer}: outputs in [{lo}, {hi}] need {needed} bits, got {requested}")
    return needed if requested is None else requested


def threshold_steps(layer: str, thresholds, channels: int, lo: int, hi: int) -> np.ndarray:
    """Thresholds as sorted int64 (channels, T), clipped to [lo, hi + 1].

    Values compared are in [lo, hi]: a threshold <= lo always passes and one > hi
    never does, so clipping keeps every comparison and bounds the threshold width.
    (1, T) thresholds are shared by all channels.
    """
    steps = integer_thresholds(thresholds)
    if steps.shape[0] not in (1, channels) or steps.shape[1] == 0:
        raise ValueError(
            f"{layer}: thresholds of shape {steps.shape} do not fit {channels} channels "
            f"(expected ({channels}, T) or (1, T), T >= 1)"
        )
    return np.clip(np.broadcast_to(steps, (channels, steps.shape[1])), lo, hi + 1)


def search_stages(n_thresholds: int) -> int:
    """Stages of the pipelined binary threshold search (``hw/rtl/multithreshold.sv``):
    ceil(log2(T + 1)), the bits of a count of T thresholds; 0 without thresholds."""
    return int(n_thresholds).bit_length()


def search_stage_file(prefix: Path, stage: int) -> Path:
    """Memory file of one search stage; multithreshold.sv builds the same name."""
    return Path(f"{prefix}_stage{stage:02d}.memh")


def write_search_memories(prefix: Path, steps: np.ndarray, pe: int, value_bits: int,
                          never_passed: int, header_text: str) -> tuple[Path, ...]:
    """Write the stage memories of the threshold search of ``steps`` (C, T), sorted.

    Rows are padded to 2**S - 1 thresholds (S stages) with ``never_passed``, a value
    above every input, so the search tree is complete. Stage s asks, when the top s
    bits of the count are r, whether threshold ((2r + 1) << (S - 1 - s)) - 1 passes:
    its file holds that threshold of channel f*PE + p at word f*2**s + r, lane p.
    """
    channels, n_steps = steps.shape
    stages = search_stages(n_steps)
    padded = np.pad(steps, ((0, 0), (0, 2**stages - 1 - n_steps)), constant_values=never_passed)
    files = []
    words = StreamFormat(value_bits, pe)
    for stage in range(stages):
        asked = ((2 * np.arange(2**stage) + 1) << (stages - 1 - stage)) - 1
        # (C, 2**s) -> (fold, r, lane): word f*2**s + r, lane p
        table = padded[:, asked].reshape(channels // pe, pe, 2**stage).transpose(0, 2, 1)
        files.append(write_memh(search_stage_file(prefix, stage), words.pack_words(table),
                                words.data_bits, header_text))
    return tuple(files)


def header(generator: str, name: str, parameters: dict, comment: str = "//") -> str:
    """Header comment of a generated file: generator, module/node name, parameters."""
    lines = [f"Generated by {generator}; do not edit.", f"module/node: {name}", "parameters:"]
    lines += [f"  {key} = {value}" for key, value in parameters.items()]
    return "".join(f"{comment} {line}\n" for line in lines)


def write_memh(path: Path, words: list[int], word_bits: int, header_text: str) -> Path:
    """Write a ``$readmemh`` file: the header, then one zero-padded hex word per line."""
    digits = -(-word_bits // 4)
    path.write_text(header_text + "".join(f"{word:0{digits}x}\n" for word in words))
    return path


@dataclass(frozen=True)
class Bits:
    """A parameter that is a bit vector wider than an int: ``width``'h``value``."""

    value: int
    width: int

    def __str__(self) -> str:
        return f"{self.width}'h{self.value:x}"


def sv_literal(value) -> str:
    """A Python parameter value as a SystemVerilog literal."""
    if isinstance(value, Bits):
        return str(value)
    if isinstance(value, (str, Path)):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(int(value))


_TEMPLATES.filters["sv_literal"] = sv_literal


def write_wrapper(
    path: Path, name: str, core: str, parameters: dict,
    in_stream: StreamFormat, out_stream: StreamFormat, header_text: str,
) -> Path:
    """Write the FINN-port wrapper module ``name`` around ``core`` (stream_layer.sv.j2)."""
    text = _TEMPLATES.get_template("stream_layer.sv.j2").render(
        header=header_text, name=name, core=core, parameters=parameters,
        input=in_stream, output=out_stream,
    )
    path.write_text(text)
    return path
