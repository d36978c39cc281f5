"""DuplicateStreams, hw/rtl/duplicate_streams.sv plus a rendered port wrapper.

The core has vector outputs; ``write_wrapper`` renders hw/templates/duplicate_streams.sv.j2
into a module with FINN's out0_V, out1_V, ... ports, the one a graph instantiates.
"""
from pathlib import Path

import jinja2

from hw.folding import RTL_DIR, check_divides, check_positive

LAYER = "DuplicateStreams"
CORE_SOURCE = RTL_DIR / "duplicate_streams.sv"
TEMPLATE = "duplicate_streams.sv.j2"
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def check_folding(channels: int, pe: int, n_outputs: int) -> None:
    check_divides(LAYER, "PE", pe, channels, "channels")
    if n_outputs < 2:
        raise ValueError(f"{LAYER}: needs at least 2 outputs, got {n_outputs}")


def wrapper_module(n_outputs: int) -> str:
    """Name of the wrapper module with ``n_outputs`` outputs."""
    return f"duplicate_streams_x{n_outputs}"


def render_wrapper(n_outputs: int) -> str:
    return _TEMPLATES.get_template(TEMPLATE).render(
        module=wrapper_module(n_outputs), n_outputs=n_outputs)


def write_wrapper(n_outputs: int, out_dir: Path) -> list[Path]:
    """Write the wrapper into ``out_dir``; returns all sources (core, wrapper) to compile."""
    path = Path(out_dir) / f"{wrapper_module(n_outputs)}.sv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_wrapper(n_outputs))
    return [CORE_SOURCE, path]


def expected_cycles(in_h: int, in_w: int, channels: int, pe: int) -> int:
    """Cycles of one frame, first input word to last output word, inclusive: one word
    per cycle plus the output register."""
    return in_h * in_w * channels // pe + 1


def rtl_parameters(channels: int, pe: int, elem_bits: int, n_outputs: int) -> dict[str, int]:
    """Parameters of the wrapper ``wrapper_module(n_outputs)``."""
    check_folding(channels, pe, n_outputs)
    check_positive(LAYER, elem_bits=elem_bits)
    return {"WIDTH": pe * elem_bits}
