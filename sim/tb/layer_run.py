"""Where the RTL tests of the generated layers keep their files and builds."""
from pathlib import Path

from sim.runner import REPO_ROOT

SIM_BUILD = REPO_ROOT / "sim_build"


def layer_dir(test_name: str) -> Path:
    """Stable per-test directory for generated files and builds (kept warm between runs)."""
    return SIM_BUILD / test_name
