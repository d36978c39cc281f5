"""``python -m hw.bitstream --export exports/x --board Pynq-Z2 --out build/bitstream_Pynq-Z2``:
the Vivado project of a PYNQ overlay for an exported model, then its bitstream when
Vivado is on PATH (exit code 3 when it is not)."""
import shutil
import subprocess
import sys
from pathlib import Path

from hw.artifacts import DATAFLOW_FILE, read_export
from hw.bitstream.boards import BOARDS, board
from hw.bitstream.project import (BITSTREAM, VIVADO_VERSION, write_project,
                                  write_through_staging)
from train.cli import ArgumentParser, command, positive_float

BUILD_SCRIPT = "build_bitstream.tcl"
EXIT_NO_VIVADO = 3


def parse_args(argv=None):
    parser = ArgumentParser(prog="python -m hw.bitstream", description=__doc__.splitlines()[0])
    parser.add_argument("--export", required=True, type=Path,
                        help=f"export folder holding {DATAFLOW_FILE}")
    parser.add_argument("--board", required=True, help=f"one of {', '.join(BOARDS)}")
    parser.add_argument("--out", required=True, type=Path,
                        help="output folder (replaced once everything is written)")
    parser.add_argument("--clock-mhz", type=positive_float,
                        help="PL clock (default: the board's, 100 MHz)")
    return parser.parse_args(argv)


def no_vivado_message(out: Path) -> str:
    files = "\n".join(f"  {p.relative_to(out)}" for p in sorted(out.iterdir()))
    return (f"vivado not found on PATH: AMD Vivado {VIVADO_VERSION} is needed to build the "
            f"bitstream (FINN+ supports 2022.2 and 2024.2).\n"
            f"The project is ready in {out}:\n{files}\n"
            f"With Vivado: cd {out} && vivado -mode batch -source {BUILD_SCRIPT}")


def run_vivado(vivado: str, out: Path) -> int:
    result = subprocess.run([vivado, "-mode", "batch", "-source", BUILD_SCRIPT], cwd=out)
    if result.returncode == 0 and (out / f"{BITSTREAM}.bit").is_file():
        print(f"bitstream written to {out / BITSTREAM}.bit")
        return 0
    print(f"error: the Vivado build failed (exit code {result.returncode}); "
          f"see {out}/vivado.log", file=sys.stderr)
    return result.returncode or 1


@command
def main(argv=None):
    args = parse_args(argv)
    target = board(args.board)
    read_export(args.export)  # a missing or bad export is refused before anything is written
    clock_mhz = args.clock_mhz if args.clock_mhz is not None else target.default_clock_mhz
    out = write_through_staging(args.out, lambda staging, final: write_project(
        args.export, target, clock_mhz, staging, final))
    vivado = shutil.which("vivado")
    if vivado is None:
        print(no_vivado_message(out), file=sys.stderr)
        return EXIT_NO_VIVADO
    return run_vivado(vivado, out)


if __name__ == "__main__":
    sys.exit(main())
