"""make demo's narrator: tool output in logs, one line per stage, a summary table, stop at
the first failure naming its log."""
from pathlib import Path

import pytest

from flow import demo


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder whose Makefile has a noisy passing stage and a failing one."""
    (tmp_path / "Makefile").write_text(
        "loud:\n\t@echo compiler chatter; mkdir -p out; echo 42 > out/answer\n"
        "broken:\n\t@echo traceback text; exit 3\n"
        "never:\n\t@touch never_ran\n")
    monkeypatch.chdir(tmp_path)
    answer = lambda paths: f"answer {Path('out/answer').read_text().strip()}"  # noqa: E731
    monkeypatch.setattr(demo, "STAGES", (demo.Stage("loud", "out/", answer),
                                         demo.Stage("broken", "-", answer),
                                         demo.Stage("never", "-", answer)))
    return tmp_path


def test_stages_log_tool_output_print_numbers_and_stop_at_the_first_failure(project, capsys):
    code = demo.main(["--run", "r", "--export", "e", "--eval", "v"])
    out = capsys.readouterr().out
    logs = project / "results" / "demo" / "r"
    assert code == 1
    assert "compiler chatter" not in out and "traceback text" not in out
    assert "compiler chatter" in (logs / "loud.log").read_text()
    assert "answer 42" in out
    assert f"make broken failed (exit code 2); see {Path('results/demo/r/broken.log')}" in out
    assert not (project / "never_ran").exists()
    table = (logs / "summary.md").read_text().splitlines()
    assert [row.split("|")[2].strip() for row in table[2:]] == ["PASS", "FAIL"]
