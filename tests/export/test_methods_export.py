"""Deployable variants of the seed methods (binsr, BTM, BBCU-L, FRBC) are exact through the
chain."""
import pytest

from sr_models import trained_like
from test_build import assert_exact, export_and_check

DEPLOYABLE = [
    dict(arch="BinSR", variant="edsr"),
    dict(arch="BinSR", variant="srresnet"),
    dict(arch="BTM"),
    dict(arch="BBCUL"),  # k: nearest power of two of 130 * n / 64 -> input gain 2**2 for n = 6
    dict(arch="BBCUL", act_position="after_add", k=1),
    dict(arch="FRBC"),  # SRB: integer MVAUs on bits, weights of 4 bits (ratio k / 4)
    dict(arch="FRBC", srb_ratio_log2=3),
]


@pytest.mark.parametrize("config", DEPLOYABLE, ids=lambda c: "-".join(map(str, c.values())))
def test_deployable_methods_are_exact_through_the_whole_chain(tmp_path, config):
    config = dict(config)
    model = trained_like(config.pop("arch"), 2, 1, seed=1, mode="deployable", **config)
    assert_exact(export_and_check(model, tmp_path / "export"))
