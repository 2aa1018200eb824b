"""Tokenize many lines in worker processes, output in input order, memory bounded."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator

from wordseq.text.preprocess import PreprocessConfig, Preprocessor

_worker: Preprocessor | None = None


def _init(config: PreprocessConfig) -> None:
    global _worker
    _worker = Preprocessor(config)


def _tokenize_block(lines: list[str]) -> tuple[list[str], int]:
    assert _worker is not None
    out, n = [], 0
    for line in lines:
        for seq in _worker.sequences(line):
            n += len(seq)
            out.append(" ".join(seq))
    return out, n


def _blocks(lines: Iterable[str], block_lines: int) -> Iterator[list[str]]:
    block: list[str] = []
    for line in lines:
        block.append(line)
        if len(block) >= block_lines:
            yield block
            block = []
    if block:
        yield block


def tokenize_lines(
    lines: Iterable[str], config: PreprocessConfig, workers: int = 1, block_lines: int = 2000
) -> Iterator[tuple[list[str], int, int]]:
    """Yield (output lines, token count, input lines) per block, in input order.

    With ``workers > 1`` at most ``2 * workers`` blocks are in flight, so memory does not
    grow with the input (``Pool.imap`` would read the whole input ahead).
    """
    if workers <= 1:
        _init(config)
        for block in _blocks(lines, block_lines):
            out, n = _tokenize_block(block)
            yield out, n, len(block)
        return
    Preprocessor(config).warm_up()
    with multiprocessing.get_context().Pool(workers, initializer=_init, initargs=(config,)) as pool:
        pending: deque = deque()
        for block in _blocks(lines, block_lines):
            pending.append((pool.apply_async(_tokenize_block, (block,)), len(block)))
            if len(pending) >= 2 * workers:
                result, size = pending.popleft()
                out, n = result.get()
                yield out, n, size
        while pending:
            result, size = pending.popleft()
            out, n = result.get()
            yield out, n, size
