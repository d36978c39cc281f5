"""The fuzz campaign (benchmarks/fuzz.py) on a few configurations drawn from the session's
stimulus seed: every layer kind's builder draws legal configurations that pass."""
import dataclasses
import os

import numpy as np
import pytest

from benchmarks import fuzz
from sim.runner import SEED_ENV, simulator_mark

pytestmark = simulator_mark("icarus")


def session_seed() -> int:
    return int(os.environ[SEED_ENV])


def test_two_random_configurations_pass():
    start = session_seed() % 1000
    campaign = fuzz.run_campaign(2, session_seed(), start=start, simulator="icarus",
                                 log=lambda *_: None)
    assert campaign.total == 2 and campaign.failures == []


@pytest.mark.slow
def test_every_kind_passes_in_both_simulators():
    campaign = fuzz.run_campaign(2 * len(fuzz.KINDS), session_seed(), verilator_every=2,
                                 log=lambda *_: None)
    assert campaign.failures == []
    assert set(campaign.ran) == {(kind, sim) for kind in fuzz.KINDS
                                 for sim in ("verilator", "icarus")}


def test_a_golden_that_differs_from_finn_is_reported(monkeypatch):
    def off_by_one_bit(rng, out_dir, name):
        case = fuzz.draw_fmpadding(rng, out_dir, name)
        out = case.outputs["out0"]
        case.outputs["out0"] = dataclasses.replace(out, values=np.asarray(out.values) ^ 1)
        return case

    monkeypatch.setattr(fuzz, "KINDS", {"fmpadding": off_by_one_bit})
    campaign = fuzz.run_campaign(1, 5, simulator="icarus", log=lambda *_: None)
    assert campaign.passed == {} and campaign.failures[0]["kind"] == "fmpadding"
    assert campaign.failures[0]["error"] == "golden != FINN execution on out0"
