"""Tokenize many lines on several cores, output in input order, memory bounded.

With N workers, blocks of lines go to N tokenizers: N-1 child processes and the parent
(which also reads and writes, so it tokenizes a block only when the children are
busy); N processes keep N cores busy. Results are yielded in input order. Tokenizing is cached per
distinct chunk (see Preprocessor); every tokenizer hands the cache entries it computed to
the others, so a rare word is tokenized, lemmatized and stemmed about once overall rather
than once per process.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from wordseq.text.preprocess import PreprocessConfig, Preprocessor

Entries = list[tuple[tuple[str, bool], list[str]]]


def _tokenize_block(pre: Preprocessor, lines: list[str]) -> tuple[list[str], int]:
    out, n = [], 0
    for line in lines:
        for seq in pre.sequences(line):
            n += len(seq)
            out.append(" ".join(seq))
    return out, n


def _child(config: PreprocessConfig, inbox: Any, outbox: Any) -> None:
    pre = Preprocessor(config)
    pre.record_new_entries()
    while True:
        task = inbox.get()
        if task is None:
            return
        lines, shared = task
        try:
            pre.add_entries(shared)
            out, n = _tokenize_block(pre, lines)
            outbox.put((out, n, pre.take_new_entries(), None))
        except Exception as exc:  # handed to the parent, which raises it
            outbox.put(([], 0, [], exc))


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

    At most two blocks per child process are in flight, so memory does not grow with
    the input.
    """
    pre = Preprocessor(config)
    if workers <= 1:
        for block in _blocks(lines, block_lines):
            out, n = _tokenize_block(pre, block)
            yield out, n, len(block)
        return

    # loaded before the fork, the lemma tables are shared with the children's pages
    pre.warm_up()
    pre.record_new_entries()
    children = workers - 1
    ctx = multiprocessing.get_context()
    inboxes = [ctx.Queue() for _ in range(children)]
    outboxes = [ctx.Queue() for _ in range(children)]
    procs = [ctx.Process(target=_child, args=(config, inboxes[c], outboxes[c]), daemon=True) for c in range(children)]
    for p in procs:
        p.start()
    shared: Entries = []  # entries computed anywhere, in arrival order
    sent = [0] * children  # how much of ``shared`` each child has been given
    in_flight = [0] * children
    # input order: (child index or -1 for the parent, block size, parent's result)
    pending: deque[tuple[int, int, Any]] = deque()

    def collect() -> tuple[list[str], int, int]:
        c, size, result = pending.popleft()
        if c < 0:
            out, n = result
            return out, n, size
        out, n, new, exc = outboxes[c].get()
        in_flight[c] -= 1
        if exc is not None:
            raise exc
        pre.add_entries(new)
        shared.extend(new)
        return out, n, size

    def ready() -> bool:
        c = pending[0][0]
        return c < 0 or not outboxes[c].empty() or len(pending) > 4 * workers

    try:
        for block in _blocks(lines, block_lines):
            # children first; the parent (which also reads and writes) takes a block
            # only when every child already has two waiting
            c = min(range(children), key=in_flight.__getitem__)
            if in_flight[c] < 2:
                inboxes[c].put((block, shared[sent[c]:]))
                sent[c] = len(shared)
                in_flight[c] += 1
                pending.append((c, len(block), None))
            else:
                result = _tokenize_block(pre, block)
                shared.extend(pre.take_new_entries())
                pending.append((-1, len(block), result))
            while pending and ready():
                yield collect()
        while pending:
            yield collect()
        for box in inboxes:
            box.put(None)
        for p in procs:
            p.join()
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
