"""The README says what wordseq is for and where to start before the Tour, keeps the
everyday commands before distributed training and benchmarks, and describes the store
as it is (issue 20, item 17)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
HEADINGS = re.findall(r"^(#{2,3}) (.+)$", README.split("<!-- tour:end -->")[1], flags=re.M)


def _at(title: str) -> int:
    titles = [t for _, t in HEADINGS]
    assert title in titles, titles
    return titles.index(title)


def test_the_store_is_described_as_it_is() -> None:
    assert "vectors.kv" not in README
    assert "`vectors.npy`" in README and "`words.txt`" in README


def test_what_it_is_for_and_where_to_start_come_before_the_tour() -> None:
    start = README.index("## What it is for")
    assert start < README.index("## Quick start") < README.index("## Tour")
    section = README[start:README.index("## Quick start")]
    assert "start here" in section.lower() and "make demo" in section


def test_everyday_commands_come_before_distributed_training_and_benchmarks() -> None:
    everyday = ["Tokenization", "Word embeddings", "N-gram language models", "Neural language models",
                "Classify text", "Sequence to sequence", "Models"]
    last_everyday = max(_at(t) for t in everyday)
    assert _at("Past one GPU") > last_everyday
    assert _at("From Python") < _at("Benchmarks") and _at("In pipelines") < _at("Benchmarks")


def test_the_tour_markers_stay_whole() -> None:
    assert README.count("<!-- tour:begin") == 1 and README.count("<!-- tour:end -->") == 1
    assert README.index("## Tour") < README.index("<!-- tour:begin") < README.index("<!-- tour:end -->")
