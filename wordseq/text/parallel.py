"""Tokenize many lines on several cores, output in input order, memory bounded.

With N workers, blocks of lines go to N tokenizers: N-1 child processes and the parent
(which also reads and writes, so it tokenizes a block only when the children are busy);
N processes keep N cores busy. Results are yielded in input order. Tokenizing is cached
per distinct chunk (see Preprocessor); every tokenizer hands the cache entries it
computed to the others, so a rare word is tokenized, lemmatized and stemmed about once
overall rather than once per process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from wordseq.text.preprocess import CacheEntries, PreprocessConfig, Preprocessor
from wordseq.text.reader import CorpusReader, decode_block


def _tokenize_block(pre: Preprocessor, lines: list[str]) -> tuple[str, int]:
    """The block's output as one string (a line per sequence, each ending in a newline):
    one object to pickle instead of thousands."""
    out, n = [], 0
    for line in lines:
        for seq in pre.sequences(line):
            n += len(seq)
            out.append(" ".join(seq))
    return ("\n".join(out) + "\n") if out else "", n


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
    ``tokenize`` never leaves a worker behind; the caller also polls as a fallback."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _next_task(inbox: Any, parent: int) -> Any:
    while not inbox.poll(1.0):
        if os.getppid() != parent:
            os._exit(1)
    try:
        return inbox.recv()
    except EOFError:  # the parent closed its end: it is gone
        os._exit(1)


def _child(config: PreprocessConfig, encoding_errors: str, inbox: Any, outbox: Any, parent: int,
           inherited: list[Any]) -> None:
    _die_with_parent(parent)
    for end in inherited:  # the parent's ends of the task pipes: EOF must mean "parent gone"
        end.close()
    pre = Preprocessor(config)
    pre.record_new_entries()
    while True:
        task = _next_task(inbox, parent)
        if task is None:
            return
        block, shared = task
        try:
            pre.add_entries(shared)
            lines, replaced = _lines_of(block, encoding_errors)
            out, n = _tokenize_block(pre, lines)
            outbox.put((out, n, len(lines), replaced, pre.take_new_entries(), None))
        except Exception as exc:  # handed to the parent, which raises it
            outbox.put(("", 0, 0, 0, [], exc))


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
    ``replaced`` count is kept up to date. At most two blocks per child process are in
    flight, so memory does not grow with the input.
    """
    reader = lines if isinstance(lines, CorpusReader) else None
    errors = reader.encoding_errors if reader is not None else "strict"
    pre = Preprocessor(config)
    if workers <= 1:
        for block in _blocks(lines, block_lines):
            text_lines, replaced = _lines_of(block, errors)
            if reader is not None:
                reader.replaced += replaced
            out, n = _tokenize_block(pre, text_lines)
            yield out, n, len(text_lines)
        return

    # loaded before the fork, the lemma tables are shared with the children's pages
    pre.warm_up()
    pre.record_new_entries()
    children = workers - 1
    ctx = multiprocessing.get_context()
    # Tasks go down a pipe, sent by this thread at once: a Queue would hand them to a
    # feeder thread that waits for the GIL while the parent tokenizes, starving the
    # child. Results come back on a Queue, so a child never blocks on sending (and the
    # two can never wait on each other).
    pipes = [ctx.Pipe(duplex=False) for _ in range(children)]
    inboxes = [send_end for _, send_end in pipes]
    outboxes = [ctx.Queue() for _ in range(children)]
    parent = os.getpid()
    procs = [ctx.Process(target=_child, args=(config, errors, pipes[c][0], outboxes[c], parent, inboxes), daemon=True)
             for c in range(children)]
    for p in procs:
        p.start()
    shared: CacheEntries = []  # entries computed anywhere, in arrival order
    sent = [0] * children  # how much of ``shared`` each child has been given
    in_flight = [0] * children
    # input order: (child index, or -1 for the parent with its result)
    pending: deque[tuple[int, Any]] = deque()

    def collect() -> tuple[str, int, int]:
        c, result = pending.popleft()
        if c < 0:
            out, n, size, replaced, exc = result
            if exc is not None:
                raise exc
        else:
            out, n, size, replaced, new, exc = outboxes[c].get()
            in_flight[c] -= 1
            if exc is not None:
                raise exc
            pre.add_entries(new)
            shared.extend(new)
        if reader is not None:
            reader.replaced += replaced
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
                inboxes[c].send((block, shared[sent[c]:]))
                sent[c] = len(shared)
                in_flight[c] += 1
                pending.append((c, None))
            else:
                # a fault here waits its turn: a block still at a child comes first in
                # the input, and its own fault (an earlier line) is the one to report
                try:
                    text_lines, replaced = _lines_of(block, errors)
                    out, n = _tokenize_block(pre, text_lines)
                    shared.extend(pre.take_new_entries())
                    pending.append((-1, (out, n, len(text_lines), replaced, None)))
                except Exception as exc:
                    pending.append((-1, ("", 0, 0, 0, exc)))
            while pending and ready():
                yield collect()
        while pending:
            yield collect()
        for box in inboxes:
            box.send(None)
        for p in procs:
            p.join()
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
