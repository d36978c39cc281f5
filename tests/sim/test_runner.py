"""sim/runner.py is strict: a failed test, a module without tests and a simulator that exits
non-zero all raise, inside pytest as outside (tiny cocotb modules on a one-register design)."""
import subprocess
import sys
import textwrap

import pytest

from sim.runner import check_results, run_cocotb, simulator_mark

# Icarus builds a one-register design in well under a second; Verilator would take ~20 s each
pytestmark = simulator_mark("icarus")

DESIGN = """\
module tiny (input logic clk, input logic d, output logic q);
  always_ff @(posedge clk) q <= d;
endmodule
"""
MODULES = {
    "passing": """
        import cocotb
        @cocotb.test()
        async def passes(dut):
            pass
    """,
    "failing": """
        import cocotb
        @cocotb.test()
        async def passes(dut):
            pass
        @cocotb.test()
        async def fails(dut):
            assert False, "deliberately"
    """,
    "empty": """
        import cocotb  # collects no test
    """,
    # every test passes, then the simulator process exits with 3
    "bad_exit": """
        import atexit, os
        import cocotb
        atexit.register(os._exit, 3)
        @cocotb.test()
        async def passes(dut):
            pass
    """,
}


@pytest.fixture
def run_module(tmp_path, monkeypatch):
    """Run one of MODULES on the tiny design; returns what run_cocotb returns."""
    (tmp_path / "tiny.sv").write_text(DESIGN)
    monkeypatch.syspath_prepend(str(tmp_path))

    def run(name: str, **extra_env: str):
        module = f"runner_case_{name}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(MODULES[name]))
        return run_cocotb("tiny", [tmp_path / "tiny.sv"], module, simulator="icarus",
                          build_dir=tmp_path / name, extra_env=extra_env)

    return run


def test_passing_module_returns_its_results(run_module):
    assert run_module("passing").is_file()


def test_failed_test_is_named(run_module):
    with pytest.raises(AssertionError, match=r"cocotb tests failed: fails \("):
        run_module("failing")


def test_module_without_tests_fails(run_module):
    # cocotb refuses to start a regression without tests, so no results file is written
    with pytest.raises(RuntimeError, match="without writing"):
        run_module("empty")


def test_results_without_test_cases_fail(run_module):
    with pytest.raises(RuntimeError, match="no cocotb test ran"):
        run_module("passing", COCOTB_TEST_FILTER="no_such_test")


def test_nonzero_simulator_exit_fails_although_tests_passed(run_module):
    with pytest.raises(RuntimeError, match="the simulator exited with 3"):
        run_module("bad_exit")


def test_failures_raise_outside_pytest_too(tmp_path):
    """The same checks in a plain Python process (cocotb's runner behaves differently there)."""
    (tmp_path / "tiny.sv").write_text(DESIGN)
    (tmp_path / "runner_case_failing.py").write_text(textwrap.dedent(MODULES["failing"]))
    script = (f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
              "from sim.runner import run_cocotb\n"
              f"run_cocotb('tiny', [{str(tmp_path / 'tiny.sv')!r}], 'runner_case_failing', "
              f"simulator='icarus', build_dir={str(tmp_path / 'build')!r})\n")
    env_free = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert env_free.returncode == 1
    assert "AssertionError" in env_free.stderr and "cocotb tests failed: fails" in env_free.stderr


def test_missing_results_file_fails(tmp_path):
    with pytest.raises(RuntimeError, match=r"died \(exit 139\) without writing"):
        check_results(tmp_path / "results.xml", 139, "tiny")
