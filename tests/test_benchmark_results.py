"""Committed benchmark results are portable: no absolute paths of the measuring machine."""
import re

from benchmarks.common import REPO_ROOT, RESULTS_DIR, repo_relative

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
