import os
from pathlib import Path

import pytest

from sim.runner import SEED_ENV, stimulus_seed

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_addoption(parser):
    parser.addoption("--seed", type=int, default=None,
                     help="seed of the cocotb testbenches' random stimulus (idles, "
                          "backpressure, resets); default $SEED, else a fresh one")


def pytest_configure(config):
    """One stimulus seed for the session, exported as $SEED for every testbench run."""
    seed = config.getoption("--seed")
    os.environ[SEED_ENV] = str(stimulus_seed() if seed is None else seed)


def pytest_report_header(config):
    seed = os.environ[SEED_ENV]
    return f"stimulus seed: {seed} (replay with --seed {seed} or SEED={seed})"


@pytest.fixture
def shared_data():
    """The shared SR data folder; tests using it skip only when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent")
    return SHARED_DATA
