"""Text → token ids in blocks: the front end of n-gram training and scoring.

Turning tokens into ids one at a time in Python was half of counting. Here a block of
input (about a megabyte of whole lines) becomes one flat list of tokens in which
``LINE_END`` closes every sequence, and one ``map`` over a dictionary turns the whole list
into ids in C. Pre-tokenized input skips the per-line Python work entirely: the block is
decoded, lowercased and split in one call each.

A block comes out as ``<s> w1 .. wk </s>`` for each sequence, concatenated, with each
token's place in its sentence, the number of the input line each sequence came from, and
how many literal ``<s>`` / ``</s>`` / ``<pad>`` tokens were dropped (sentence markers are
implied by the lines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.text.reader import CorpusReader, decode_block
from wordseq.vocab import BOS, EOS, PAD, UNK, Vocabulary

# Files (a path, a list of Paths, a CorpusReader; None for stdin), lines of text, or token lists.
Corpus = None | str | Path | CorpusReader | Iterable[Path] | Iterable[str] | Iterable[Sequence[str]]
LINE_END = "\x00"  # the reader refuses NUL in text, so no token can be this
_SEPARATOR = -1
_DROPPED = -2
BLOCK_BYTES = 1 << 20


@dataclass
class TokenChunk:
    """Tokens of some whole input lines: every sequence ends with ``LINE_END``.

    ``sequence_lines[i]`` is the (0-based, across all inputs) number of the line that
    sequence ``i`` came from; a line may give no sequence, or several (``--sentences``).
    ``lines`` counts the input lines the chunk covers; ``first_line`` is the first one.
    """

    tokens: list[str]
    sequence_lines: np.ndarray
    first_line: int
    lines: int
    bytes: int = 0
    words: int = 0  # subword level: the lines' words (split at whitespace), for per-word perplexity


@dataclass
class IdBlock:
    """``<s> w1 .. wk </s>`` of each sequence, as ids, with positions in the sentence."""

    ids: np.ndarray  # int64
    positions: np.ndarray  # int64, 0 at <s>
    lengths: np.ndarray  # tokens per sequence, <s> and </s> included
    sequence_lines: np.ndarray
    first_line: int
    lines: int
    skipped_markers: int
    words: list[str] | None = None  # the tokens between <s> and </s>, when asked for


class ScoringIds(dict):  # type: ignore[type-arg]
    """token → id of a fixed vocabulary; unknown tokens are ``<unk>``, not added."""

    def __init__(self, vocab: Vocabulary) -> None:
        super().__init__(vocab.stoi)
        self.update({LINE_END: _SEPARATOR, BOS: _DROPPED, EOS: _DROPPED, PAD: _DROPPED})
        self.unk_id = vocab.unk_id
        self.bytes: Any = None  # byte_ids.ByteVocabulary of the same words, made when first needed

    def __missing__(self, token: str) -> int:
        return self.unk_id


class GrowingIds(dict):  # type: ignore[type-arg]
    """token → provisional id while counting: a new token gets the next id."""

    def __init__(self) -> None:
        super().__init__({LINE_END: _SEPARATOR, BOS: _DROPPED, EOS: _DROPPED, PAD: _DROPPED, UNK: 1})
        self.words = [PAD, UNK, BOS, EOS]

    def __missing__(self, token: str) -> int:
        i = len(self.words)
        self[token] = i
        self.words.append(token)
        return i


# -- text → token chunks ---------------------------------------------------------------


def reader_chunks(
    reader: CorpusReader, preprocess: PreprocessConfig, block_bytes: int | None = None
) -> Iterator[TokenChunk]:
    """Token chunks of everything ``reader`` reads, through the preprocessing; the
    reader's blocks are gathered to about ``block_bytes`` (fewer, larger numpy steps)."""
    pre = None if preprocess.pretokenized else Preprocessor(preprocess)
    line = 0
    for label, first, data in _gathered(reader, block_bytes or BLOCK_BYTES):
        text = _decode(reader, label, first, data)
        if pre is None:
            chunk = _pretokenized_chunk(text, preprocess.lower, line)
        else:
            lines = text.split("\n")
            if text.endswith("\n"):
                lines.pop()
            chunk = _preprocessed_chunk(lines, pre, line)
        chunk.bytes = len(data)
        line += chunk.lines
        yield chunk


def _gathered(reader: CorpusReader, block_bytes: int) -> Iterator[tuple[str, int, bytes]]:
    """The reader's blocks of whole lines, joined per input up to about ``block_bytes``."""
    held: list[bytes] = []
    size = 0
    label, first = "", 1
    for lab, start, data in reader.byte_blocks():
        if held and (lab != label or not held[-1].endswith(b"\n")):
            yield label, first, b"".join(held)
            held, size = [], 0
        if not held:
            label, first = lab, start
        held.append(data)
        size += len(data)
        if size >= block_bytes:
            yield label, first, b"".join(held)
            held, size = [], 0
    if held:
        yield label, first, b"".join(held)


def line_chunks(lines: Iterable[str], preprocess: PreprocessConfig, lines_per_chunk: int = 1 << 14) -> Iterator[TokenChunk]:
    """Token chunks of raw text lines (strings) through the preprocessing."""
    pre = Preprocessor(preprocess)
    batch: list[str] = []
    line = 0
    for text in lines:
        batch.append(text)
        if len(batch) >= lines_per_chunk:
            chunk = _preprocessed_chunk(batch, pre, line)
            line += chunk.lines
            yield chunk
            batch = []
    if batch:
        yield _preprocessed_chunk(batch, pre, line)


def sequence_chunks(sequences: Iterable[Sequence[str]], per_chunk: int = 1 << 14) -> Iterator[TokenChunk]:
    """Token chunks of ready token sequences, one sequence standing for one line."""
    tokens: list[str] = []
    count = 0
    line = 0
    for seq in sequences:
        tokens.extend(seq)
        tokens.append(LINE_END)
        count += 1
        if count >= per_chunk:
            yield TokenChunk(tokens, np.arange(line, line + count), line, count)
            line += count
            tokens, count = [], 0
    if count:
        yield TokenChunk(tokens, np.arange(line, line + count), line, count)


def _decode(reader: CorpusReader, label: str, first: int, data: bytes) -> str:
    text = None
    if b"\x00" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if text is None:  # names the bad line, or replaces the bytes as asked
        lines, replaced = decode_block(label, first, data, reader.encoding_errors)
        reader.replaced += replaced
        text = "\n".join(lines) + ("\n" if data.endswith(b"\n") else "")
    if first == 1 and text.startswith("\ufeff"):
        text = text[1:]
    return text


def _pretokenized_chunk(text: str, lower: bool, first_line: int) -> TokenChunk:
    if lower:
        text = text.lower()
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    tokens = text.replace("\n", f" {LINE_END} ").split()
    if not text.endswith("\n"):
        tokens.append(LINE_END)
    return TokenChunk(tokens, np.arange(first_line, first_line + lines), first_line, lines)


def _preprocessed_chunk(lines: list[str], pre: Preprocessor, first_line: int) -> TokenChunk:
    tokens: list[str] = []
    seq_lines: list[int] = []
    for i, text in enumerate(lines, first_line):
        for seq in pre.sequences(text):
            tokens.extend(seq)
            tokens.append(LINE_END)
            seq_lines.append(i)
    words = sum(len(text.split()) for text in lines) if pre.config.level == "subword" else 0
    return TokenChunk(tokens, np.asarray(seq_lines, dtype=np.int64), first_line, len(lines), words=words)


def corpus_chunks(corpus: Corpus, preprocess: PreprocessConfig, encoding_errors: str = "strict") -> tuple[Iterable[TokenChunk], Any]:
    """Token chunks of any corpus form, and the reader (for its stats) or None.

    Files, '-' / None (stdin), readers and lines of text go through ``open_corpus``, as
    for every training function; token lists (lists of str) are used as they are.
    """
    from wordseq.text.reader import TextLines, open_corpus

    if corpus is None or isinstance(corpus, (str, Path, CorpusReader, TextLines)) or (
            isinstance(corpus, (list, tuple)) and corpus and all(isinstance(p, Path) for p in corpus)):
        source = open_corpus(corpus, encoding_errors)  # type: ignore[arg-type]
        if isinstance(source, CorpusReader):
            return reader_chunks(source, preprocess), source
        return line_chunks(source, preprocess), source
    items = iter(corpus)
    first = next(items, None)
    if first is None:
        return iter(()), None
    rest = _prepend(first, items)
    if isinstance(first, str):
        lines = TextLines(rest)
        return line_chunks(lines, preprocess), lines
    return sequence_chunks(rest), None


def _prepend(first: Any, items: Iterable[Any]) -> Iterable[Any]:
    yield first
    yield from items


# -- token chunks → id blocks ------------------------------------------------------------


def encode_chunk(chunk: TokenChunk, ids_of: dict, bos: int, eos: int, keep_empty: bool,  # type: ignore[type-arg]
                 with_words: bool = False) -> IdBlock:
    """``<s> .. </s>`` id arrays of a chunk. ``keep_empty``: a sequence with no tokens
    stays (``<s> </s>``: scoring a blank line scores ``</s>``), and a line that gave no
    sequence at all gets an empty one; otherwise empty sequences are dropped.
    ``with_words`` keeps the token strings too (per-token output)."""
    tokens = chunk.tokens
    if len(tokens) > 1:  # every token looked up in one C loop
        raw = np.array(itemgetter(*tokens)(ids_of), dtype=np.int64)
    else:
        raw = np.array([ids_of[t] for t in tokens], dtype=np.int64)
    dropped = raw == _DROPPED
    skipped = int(dropped.sum())
    words_kept = None
    if with_words:
        keep = np.flatnonzero(raw >= 0).tolist()
        words_kept = [chunk.tokens[i] for i in keep]
    if skipped:
        raw = raw[~dropped]
    ends = np.flatnonzero(raw == _SEPARATOR)
    words = np.diff(ends, prepend=-1) - 1  # tokens per sequence
    seq_lines = chunk.sequence_lines
    if keep_empty:
        seq_lines, words = _one_sequence_per_silent_line(chunk, seq_lines, words)
    else:
        nonempty = words > 0
        if not nonempty.all():
            words, seq_lines = words[nonempty], seq_lines[nonempty]
    lengths = words + 2
    total = int(lengths.sum())
    out = np.empty(total, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    out[starts] = bos
    out[starts + lengths - 1] = eos
    inner = np.ones(total, dtype=bool)
    inner[starts] = False
    inner[starts + lengths - 1] = False
    out[inner] = raw[raw != _SEPARATOR]
    positions = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
    return IdBlock(out, positions, lengths, seq_lines, chunk.first_line, chunk.lines, skipped, words_kept)


def reader_id_blocks(reader: CorpusReader, preprocess: PreprocessConfig, ids_of: ScoringIds) -> Iterator[IdBlock]:
    """Id blocks of pre-tokenized files for scoring (``keep_empty``: one sequence per
    line), the same as ``id_blocks(reader_chunks(...))`` gives, from the bytes where they
    allow (``byte_ids.py``) and through ``TokenChunk`` where they do not."""
    from wordseq.ngram.byte_ids import ByteVocabulary, clean_bytes, token_ids

    if ids_of.bytes is None:  # made once per mapping (a model keeps its own)
        ids_of.bytes = ByteVocabulary(ids_of)
    line = 0
    for label, first, data in _gathered(reader, BLOCK_BYTES):
        clean = clean_bytes(data, preprocess.lower, first == 1)
        if clean is None:
            chunk = _pretokenized_chunk(_decode(reader, label, first, data), preprocess.lower, line)
            block = encode_chunk(chunk, ids_of, Vocabulary.bos_id, Vocabulary.eos_id, keep_empty=True)
        else:
            ids, token_line, lines = token_ids(clean, ids_of.bytes, ids_of, ids_of.unk_id)
            block = _line_block(ids, token_line, lines, line)
        line += block.lines
        yield block


def _line_block(ids: np.ndarray, token_line: np.ndarray, lines: int, first_line: int) -> IdBlock:
    """``<s> .. </s>`` of each line of a block from its tokens' ids and line numbers
    (literal sentence markers dropped, as ``encode_chunk`` does)."""
    dropped = ids == _DROPPED
    skipped = int(dropped.sum())
    if skipped:
        ids, token_line = ids[~dropped], token_line[~dropped]
    lengths = np.bincount(token_line, minlength=lines) + 2
    total = int(lengths.sum())
    starts = np.cumsum(lengths) - lengths
    out = np.empty(total, dtype=np.int64)
    out[starts] = Vocabulary.bos_id
    out[starts + lengths - 1] = Vocabulary.eos_id
    out[np.arange(len(ids)) + 2 * token_line + 1] = ids  # each line before adds its <s> and </s>
    positions = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
    return IdBlock(out, positions, lengths, np.arange(first_line, first_line + lines), first_line, lines, skipped)


def _one_sequence_per_silent_line(chunk: TokenChunk, seq_lines: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lines without any sequence (blank, or only stopwords with --sentences) get an
    empty one, so per-line output keeps one line per input line."""
    have = np.zeros(chunk.lines, dtype=bool)
    have[seq_lines - chunk.first_line] = True
    if have.all():
        return seq_lines, words
    silent = np.flatnonzero(~have) + chunk.first_line
    all_lines = np.concatenate([seq_lines, silent])
    all_words = np.concatenate([words, np.zeros(len(silent), dtype=words.dtype)])
    order = np.argsort(all_lines, kind="stable")
    return all_lines[order], all_words[order]


def id_blocks(
    chunks: Iterable[TokenChunk], ids_of: dict, keep_empty: bool,  # type: ignore[type-arg]
    on_chunk: Callable[[TokenChunk], None] | None = None, with_words: bool = False,
) -> Iterator[IdBlock]:
    """Encode each chunk (``on_chunk`` sees it first, e.g. to advance a progress bar)."""
    bos, eos = Vocabulary.bos_id, Vocabulary.eos_id
    for chunk in chunks:
        if on_chunk is not None:
            on_chunk(chunk)
        yield encode_chunk(chunk, ids_of, bos, eos, keep_empty, with_words)
