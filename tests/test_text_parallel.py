"""Tokenizing in several processes: results and faults come in input order."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from wordseq.errors import InputError
from wordseq.text import parallel
from wordseq.text.preprocess import PreprocessConfig


def test_blocks_come_back_in_input_order() -> None:
    lines = [f"line {i} of the text" for i in range(50)]
    out = "".join(text for text, _, _ in parallel.tokenize_lines(lines, PreprocessConfig(), workers=2, block_lines=3))
    assert out.splitlines() == lines


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the workers must inherit the patch")
def test_a_fault_in_a_later_block_waits_for_an_earlier_one(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Reported (a flaky test): `tokenize --workers 2` on a file with bad bytes on lines
    25679 and 28001 sometimes named line 28001: a later block failed first while the
    block with the earlier fault was still being tokenized."""
    lines_of = parallel._lines_of

    def faulty_blocks_the_first_slow(block, errors):  # type: ignore[no-untyped-def]
        if block == "BAD first":
            time.sleep(0.5)  # the later fault happens first
        if isinstance(block, str) and block.startswith("BAD"):
            raise InputError(f"fault in {block}")
        return lines_of(block, errors)

    monkeypatch.setattr(parallel, "_lines_of", faulty_blocks_the_first_slow)
    lines = ["BAD first", "fine", "BAD third", "fine", "fine"]
    with pytest.raises(InputError, match="fault in BAD first"):
        list(parallel.tokenize_lines(lines, PreprocessConfig(), workers=2, block_lines=1))
