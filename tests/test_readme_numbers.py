"""Every measured figure the README quotes stands in the committed result file it cites.

The README's "Measured" section is a list of bullets (and tables); each cites the files
under ``benchmarks/results/`` it quotes. A figure is any number with at least two
significant characters outside code spans; it must occur in one of the cited files
(thousands separators ignored). Nothing is re-measured here: this only checks that the
README copies what a benchmark script wrote.
"""
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
CITATION = re.compile(r"benchmarks/results/[\w./-]+\.(?:md|json)")
CODE_SPAN = re.compile(r"`[^`]*`")
# sizes (32x32, 960x540) and ratios like 1.03x are checked as numbers without their "x"
NUMBER = re.compile(r"(?<![\w.])[+-]?\d[\d,]*(?:\.\d+)?")


def measured_blocks(text: str) -> list[str]:
    """Bullets and table rows of the section headed '## Measured', each with its
    continuation lines; a table is one block, as is the paragraph before it."""
    section = text.split("\n## Measured", 1)[1].split("\n## ", 1)[0]
    blocks, current = [], []
    for line in section.splitlines()[1:]:
        starts_block = line.startswith("- ") or not line.strip()
        if starts_block and current:
            blocks.append("\n".join(current))
            current = []
        if line.strip():
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    # a table belongs to the paragraph that introduces it (and cites its files)
    merged = []
    for block in blocks:
        if block.startswith("|") and merged:
            merged[-1] += "\n" + block
        else:
            merged.append(block)
    return merged


def figures(block: str) -> list[str]:
    plain = CITATION.sub(" ", CODE_SPAN.sub(" ", block))
    plain = re.sub(r"\]\([^)]*\)", "]", plain)  # link targets
    return [n for n in NUMBER.findall(plain) if len(n.lstrip("+-").replace(",", "")) >= 2]


def normalized(text: str) -> str:
    return text.replace(",", "")


def number_in(number: str, text: str) -> bool:
    bare = normalized(number).lstrip("+-")
    return re.search(rf"(?<![\d.]){re.escape(bare)}(?![\d])", text) is not None


BLOCKS = measured_blocks(README.read_text())


def test_measured_section_has_blocks():
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("block", BLOCKS, ids=[b.splitlines()[0][:40] for b in BLOCKS])
def test_block_figures_are_in_cited_results(block):
    numbers = figures(block)
    if not numbers:
        return
    cited = sorted(set(CITATION.findall(block)))
    assert cited, f"README figures {numbers} cite no benchmarks/results file:\n{block}"
    missing_files = [c for c in cited if not (REPO / c).is_file()]
    assert not missing_files, f"cited result files do not exist: {missing_files}"
    results = normalized("\n".join((REPO / c).read_text() for c in cited))
    absent = [n for n in numbers if not number_in(n, results)]
    assert not absent, f"README figures {absent} are not in {cited}:\n{block}"


def test_number_matching_is_whole_number():
    assert number_in("36.11", "Set5 36.11 / 0.9495")
    assert not number_in("6.11", "Set5 36.11")
    assert not number_in("36.1", "Set5 36.11")
    assert number_in("1,315", "1315 frames/s")
