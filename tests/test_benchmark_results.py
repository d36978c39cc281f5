"""Committed benchmark results are portable: no absolute paths of the measuring machine."""
import json
import re

from benchmarks.common import REPO_ROOT, RESULTS_DIR, repo_relative
from benchmarks.dsp_pack import markdown as dsp_pack_markdown
from benchmarks.srb_cost import markdown as srb_cost_markdown

ABSOLUTE_PATH = re.compile(r'"/(work|tmp|root|home)/')


def test_repo_relative_rewrites_paths_under_the_repo_parent_and_hides_others():
    data = {"folders": [str(REPO_ROOT / ".." / "shared" / "data" / "T91"), "/usr/lib"],
            "run": REPO_ROOT / "runs" / "x", "n": 3}
    assert repo_relative(data) == {"folders": ["../shared/data/T91", "<outside>/lib"],
                                   "run": "runs/x", "n": 3}


def test_committed_results_hold_no_absolute_paths():
    files = sorted(RESULTS_DIR.rglob("*.json")) + sorted(RESULTS_DIR.rglob("*.md"))
    offending = [str(p.relative_to(REPO_ROOT)) for p in files if ABSOLUTE_PATH.search(p.read_text())]
    assert not offending


def test_srb_cost_table_renders_from_its_committed_json():
    data = json.loads((RESULTS_DIR / "srb_cost.json").read_text())
    assert srb_cost_markdown(data) == (RESULTS_DIR / "srb_cost.md").read_text()


def test_dsp_pack_table_renders_from_its_committed_json():
    data = json.loads((RESULTS_DIR / "dsp_pack.json").read_text())
    assert dsp_pack_markdown(data) == (RESULTS_DIR / "dsp_pack.md").read_text()
