"""Corpus → token-id streams → contiguous batches for truncated BPTT.

As in PyTorch's word_language_model, the corpus is one long stream in which every
sequence (line, or sentence with ``--sentences``) is followed by ``</s>``; the stream
also starts with ``</s>``, which is the context a sequence begins from (it plays the part
of ``<s>``), so every token of every sequence and each ``</s>`` is predicted once.

Unlike the example, the vocabulary comes from the training part only: words seen only
in validation or test text become ``<unk>``.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from wordseq.errors import InputError
from wordseq.text.preprocess import Preprocessor
from wordseq.vocab import BOS, EOS, PAD, Vocabulary

# Share of the training sequences held out for validation when no --valid file is given.
HELD_OUT_FRACTION = 0.1


@dataclass
class TokenStream:
    """Ids of one text as a single stream: ``</s> seq1 </s> seq2 </s> ...``."""

    ids: np.ndarray  # int64, starts with </s>
    sequences: int
    line_of: np.ndarray | None = None  # input line of each sequence (evaluation text)

    @property
    def predicted(self) -> int:
        """Tokens a model predicts in this stream (all but the leading context)."""
        return max(len(self.ids) - 1, 0)


@dataclass
class TrainingData:
    """The vocabulary and the training and validation texts as token streams."""

    vocab: Vocabulary
    train: TokenStream
    valid: TokenStream
    valid_is_held_out: bool


class _Types:
    """Provisional ids in order of first appearance; 0 marks a sequence end."""

    def __init__(self) -> None:
        self.words: list[str] = [EOS]
        self.index: dict[str, int] = {EOS: 0}

    def ids(self, tokens: list[str]) -> list[int]:
        index, words = self.index, self.words
        out = []
        for t in tokens:
            i = index.get(t)
            if i is None:
                i = index[t] = len(words)
                words.append(t)
            out.append(i)
        return out


def _read_provisional(lines: Iterable[str], pre: Preprocessor, types: _Types) -> tuple[np.ndarray, int]:
    # One pass over the input (stdin can be read only once), 4 bytes a token.
    buf = array("i")
    n = 0
    for seq in pre.iter_sequences(lines):
        buf.extend(types.ids(seq))
        buf.append(0)
        n += 1
    return np.frombuffer(buf, dtype=np.int32) if len(buf) else np.zeros(0, np.int32), n


def _lookup(types: _Types, vocab: Vocabulary) -> np.ndarray:
    # Literal <pad> / <s> / </s> in the text are words the model must not treat as markers.
    unk = vocab.unk_id
    table = np.array(
        [unk if w in (PAD, BOS, EOS) else vocab.id(w) for w in types.words], dtype=np.int64
    )
    table[0] = vocab.eos_id
    return table


def _stream(table: np.ndarray, prov: np.ndarray, sequences: int) -> TokenStream:
    ids = np.empty(len(prov) + 1, dtype=np.int64)
    ids[0] = Vocabulary.eos_id
    ids[1:] = table[prov]
    return TokenStream(ids, sequences)


def _held_out_split(prov: np.ndarray, sequences: int) -> tuple[int, int]:
    """(token offset, sequences before it) of the deterministic validation tail."""
    ends = np.flatnonzero(prov == 0)
    if sequences >= 2:
        held = max(1, round(sequences * HELD_OUT_FRACTION))
        keep = sequences - held
        return int(ends[keep - 1]) + 1, keep
    # a single long sequence: cut the tail off inside it
    return int(len(prov) * (1 - HELD_OUT_FRACTION)), sequences


def build_training_data(
    train_lines: Iterable[str],
    pre: Preprocessor,
    valid_lines: Iterable[str] | None = None,
    *,
    min_count: int = 1,
    max_size: int | None = None,
    vocab: Vocabulary | None = None,
) -> TrainingData:
    """Read the corpus once; build the vocabulary (unless given) from training text only."""
    types = _Types()
    prov, sequences = _read_provisional(train_lines, pre, types)
    if sequences == 0:
        raise InputError("the training corpus has no tokens")
    if valid_lines is not None:
        train_prov, train_seqs = prov, sequences
        valid_prov, valid_seqs = _read_provisional(valid_lines, pre, types)
        if valid_seqs == 0:
            raise InputError("the validation text has no tokens")
    else:
        cut, train_seqs = _held_out_split(prov, sequences)
        train_prov, valid_prov = prov[:cut], prov[cut:]
        valid_seqs = sequences - train_seqs
    if vocab is None:
        counts = np.bincount(train_prov, minlength=len(types.words))
        counter = Counter({w: int(c) for w, c in zip(types.words[1:], counts[1:].tolist()) if c})
        vocab = Vocabulary.from_counter(
            counter, min_count=min_count, max_size=max_size, num_sequences=train_seqs
        )
    table = _lookup(types, vocab)
    return TrainingData(
        vocab=vocab,
        train=_stream(table, train_prov, train_seqs),
        valid=_stream(table, valid_prov, valid_seqs),
        valid_is_held_out=valid_lines is None,
    )


def encode_text(lines: Iterable[str], pre: Preprocessor, vocab: Vocabulary) -> TokenStream:
    """Evaluation text as a stream in a trained model's ids: every input line is scored,
    a blank one as ``</s>`` alone (as KenLM's query does), so per-line scores line up
    with the input. ``line_of`` maps each sequence to its input line (several with
    ``--sentences``)."""
    types = _Types()
    buf = array("i")
    line_of = array("i")
    for lineno, line in enumerate(lines):
        for seq in pre.sequences(line) or [[]]:
            buf.extend(types.ids(seq))
            buf.append(0)
            line_of.append(lineno)
    prov = np.frombuffer(buf, dtype=np.int32) if len(buf) else np.zeros(0, np.int32)
    stream = _stream(_lookup(types, vocab), prov, len(line_of))
    stream.line_of = np.frombuffer(line_of, dtype=np.int32) if len(line_of) else np.zeros(0, np.int32)
    return stream


def batchify(ids: torch.Tensor | np.ndarray, batch_size: int) -> torch.Tensor:
    """Cut a 1-D stream into ``batch_size`` contiguous columns: shape (rows, batch_size).

    Column j holds the j-th slice of the stream, so row i+1 continues row i in every
    column and the hidden state can be carried from one BPTT window to the next. The
    tokens that do not fill a whole row are dropped (at most ``batch_size - 1``).
    """
    data = torch.as_tensor(ids, dtype=torch.long)
    rows = data.numel() // batch_size
    if rows < 2:
        raise InputError(
            f"the training text is too short: {data.numel()} tokens cannot fill two rows of "
            f"--batch-size {batch_size} (need at least {2 * batch_size}); use more text "
            "or a smaller --batch-size"
        )
    return data[: rows * batch_size].view(batch_size, rows).t().contiguous()


def get_batch(source: torch.Tensor, i: int, bptt: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs rows ``i .. i+bptt-1`` and targets one row later (shorter at the end)."""
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len]
