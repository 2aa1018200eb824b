"""Tokenize many lines on several cores, output in input order, memory bounded.

With N workers, blocks of lines go to a pool of N processes while this one reads and
writes; results are yielded in input order, at most two blocks per worker in flight.
The workers are forked from a tokenizer that has loaded its tables (shared pages), and
each keeps its own cache per distinct chunk (see Preprocessor).
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.text.reader import CorpusReader, decode_block

# A block is either raw bytes of whole lines from a CorpusReader (label, first line number,
# bytes), decoded by whichever process tokenizes it, or text lines joined by newlines (a
# read line never holds one): either way one object to pickle, not thousands.
Block = tuple[str, int, bytes] | str


def _lines_of(block: Block, encoding_errors: str) -> tuple[list[str], int]:
    """The block's lines and how many invalid bytes were replaced in them."""
    if isinstance(block, str):
        return block.split("\n"), 0
    return decode_block(*block, encoding_errors)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to end this worker when the parent dies (PR_SET_PDEATHSIG), so a killed
    ``tokenize`` never leaves a worker behind."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


# A worker process's tokenizer and the reader's encoding errors, set by _start_worker.
_worker: tuple[Preprocessor, str] | None = None


def _start_worker(pre: Preprocessor, encoding_errors: str, parent: int) -> None:
    global _worker
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _worker = (pre, encoding_errors)


def _tokenize(block: Block, pre: Preprocessor | None = None, encoding_errors: str = "strict") -> tuple[str, int, int, int]:
    """(output text, tokens, lines, invalid bytes replaced) of one block; in a worker
    process, with that worker's tokenizer. The text is one string (a line per sequence,
    each ending in a newline): one object to pickle instead of thousands."""
    if pre is None:
        assert _worker is not None
        pre, encoding_errors = _worker
    lines, replaced = _lines_of(block, encoding_errors)
    out, n = [], 0
    for line in lines:
        for seq in pre.sequences(line):
            n += len(seq)
            out.append(" ".join(seq))
    return ("\n".join(out) + "\n") if out else "", n, len(lines), replaced


def _blocks(lines: Iterable[str], block_lines: int) -> Iterator[Block]:
    if isinstance(lines, CorpusReader):
        yield from lines.byte_blocks()
        return
    block: list[str] = []
    for line in lines:
        block.append(line)
        if len(block) >= block_lines:
            yield "\n".join(block)
            block = []
    if block:
        yield "\n".join(block)


def tokenize_lines(
    lines: Iterable[str], config: PreprocessConfig, workers: int = 1, block_lines: int = 2000
) -> Iterator[tuple[str, int, int]]:
    """Yield (output text, token count, input lines) per block, in input order.

    The output text holds one line per sequence, each ending in a newline (tokens never
    contain line breaks, so ``text.splitlines()`` gives the sequences back). Given a
    CorpusReader, blocks are read as bytes and decoded where they are tokenized; its
    ``replaced`` count is kept up to date. Memory does not grow with the input.
    """
    reader = lines if isinstance(lines, CorpusReader) else None
    errors = reader.encoding_errors if reader is not None else "strict"
    pre = Preprocessor(config)
    if workers <= 1:
        results: Iterator[tuple[str, int, int, int]] = (_tokenize(b, pre, errors) for b in _blocks(lines, block_lines))
    else:
        pre.warm_up()  # loaded before the fork, the lemma tables are shared with the workers' pages
        results = _in_pool(_blocks(lines, block_lines), workers, (pre, errors, os.getpid()))
    for out, n, size, replaced in results:
        if reader is not None:
            reader.replaced += replaced
        yield out, n, size


def _in_pool(blocks: Iterator[Block], workers: int, init: tuple[Preprocessor, str, int]) -> Iterator[tuple[str, int, int, int]]:
    """Blocks tokenized by ``workers`` processes, results in input order (so the first
    fault in the input is the one raised), at most two blocks per worker in flight."""
    pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=init)
    try:
        pending: deque[Future[tuple[str, int, int, int]]] = deque()
        for block in blocks:
            pending.append(pool.submit(_tokenize, block))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(cancel_futures=True)
