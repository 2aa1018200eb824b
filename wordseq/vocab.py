"""Vocabulary: token counts, special tokens, min-count / max-size, TSV save and load.

Ids are fixed by order: the four specials first (``<pad>`` 0, ``<unk>`` 1, ``<s>`` 2,
``</s>`` 3), then words by count descending, ties broken by the word itself, so the
same corpus always gives the same ids.

The TSV file is ``word<TAB>count`` per line in id order, specials included:
``<pad>`` has count 0, ``<unk>`` the number of corpus tokens that fell below
``min_count`` / ``max_size``, ``<s>`` and ``</s>`` the number of sequences.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wordseq.config_checks import count
from wordseq.errors import InputError

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS: tuple[str, ...] = (PAD, UNK, BOS, EOS)


@dataclass
class Coverage:
    """How many tokens of a text the vocabulary covers."""

    tokens: int
    covered: int

    @property
    def ratio(self) -> float:
        return self.covered / self.tokens if self.tokens else 0.0


class Vocabulary:
    """A fixed mapping between tokens and integer ids, with corpus counts."""

    def __init__(self, words: Sequence[str], counts: Sequence[int]) -> None:
        if tuple(words[: len(SPECIALS)]) != SPECIALS:
            raise InputError(f"a vocabulary must start with the specials {' '.join(SPECIALS)}")
        self.itos: list[str] = list(words)
        self.counts: list[int] = list(counts)
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            seen: set[str] = set()
            twice = next(w for w in self.itos if w in seen or seen.add(w))  # type: ignore[func-returns-value]
            raise InputError(f"the vocabulary lists {twice!r} twice")

    pad_id = 0
    unk_id = 1
    bos_id = 2
    eos_id = 3

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: object) -> bool:
        return word in self.stoi

    @property
    def num_words(self) -> int:
        """Entries that are not specials."""
        return len(self.itos) - len(SPECIALS)

    def id(self, word: str) -> int:
        return self.stoi.get(word, self.unk_id)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        get, unk = self.stoi.get, self.unk_id
        return [get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def words(self) -> list[str]:
        return self.itos[len(SPECIALS) :]

    # -- building ------------------------------------------------------------------------

    @classmethod
    def from_counter(
        cls,
        counts: Counter[str],
        *,
        min_count: int = 1,
        max_size: int | None = None,
        num_sequences: int = 0,
    ) -> Vocabulary:
        count("--min-count", min_count, 1)
        if max_size is not None:
            count("--max-size", max_size, 1)
        total = sum(counts.values())
        kept = sorted(
            ((w, c) for w, c in counts.items() if c >= min_count and w not in SPECIALS),
            key=lambda wc: (-wc[1], wc[0]),
        )
        if max_size is not None:
            kept = kept[:max_size]
        special_tokens = {w: counts.get(w, 0) for w in SPECIALS}
        covered = sum(c for _, c in kept)
        unk = total - covered - sum(special_tokens[w] for w in (PAD, BOS, EOS))
        special_counts = [0, unk, num_sequences, num_sequences]
        return cls(
            list(SPECIALS) + [w for w, _ in kept],
            special_counts + [c for _, c in kept],
        )

    @classmethod
    def build(
        cls,
        sequences: Iterable[Sequence[str]],
        *,
        min_count: int = 1,
        max_size: int | None = None,
    ) -> Vocabulary:
        counts: Counter[str] = Counter()
        n = 0
        for seq in sequences:
            counts.update(seq)
            n += 1
        return cls.from_counter(counts, min_count=min_count, max_size=max_size, num_sequences=n)

    def coverage(self) -> Coverage:
        """Share of training tokens (specials aside) that are in the vocabulary."""
        covered = sum(self.counts[len(SPECIALS) :])
        return Coverage(tokens=covered + self.counts[self.unk_id], covered=covered)

    def summary(self, top: int = 20) -> dict[str, Any]:
        """Size, coverage and the ``top`` most frequent words (0: all), as ``vocab show`` prints."""
        cov = self.coverage()
        words = self.words()[: top or None]
        counts = self.counts[len(SPECIALS):][: top or None]
        total = cov.tokens or 1
        return {
            "size": self.num_words,
            "specials": list(SPECIALS),
            "tokens": cov.tokens,
            "coverage": cov.ratio,
            "unk_tokens": self.counts[self.unk_id],
            "top": [{"rank": i + 1, "word": w, "count": c, "share": c / total}
                    for i, (w, c) in enumerate(zip(words, counts))],
        }

    # -- files ---------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for line in self.to_tsv_lines():
                fh.write(line + "\n")

    def to_tsv_lines(self) -> Iterable[str]:
        for w, c in zip(self.itos, self.counts):
            yield f"{w}\t{c}"

    @classmethod
    def load(cls, path: Path | str) -> Vocabulary:
        """Read a ``word<TAB>count`` file (or a plain word list with counts from another
        tool: the specials are added in front)."""
        from wordseq.text.reader import CorpusReader

        words, counts = [], []
        reader = CorpusReader([str(path)])
        label = "<stdin>" if str(path) == "-" else str(path)
        for lineno, line in enumerate(reader, 1):
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 2 or not parts[1].isdigit():
                raise InputError(f"{label}: line {lineno}: expected 'word<TAB>count' with a count of 0 or more")
            words.append(parts[0])
            counts.append(int(parts[1]))
        if not words:
            raise InputError(f"{label}: the vocabulary file is empty")
        if words[: len(SPECIALS)] != list(SPECIALS):
            # A plain word list (e.g. from another tool): add the specials in front.
            pairs = [(w, c) for w, c in zip(words, counts) if w not in SPECIALS]
            words = list(SPECIALS) + [w for w, _ in pairs]
            counts = [0] * len(SPECIALS) + [c for _, c in pairs]
        try:
            return cls(words, counts)
        except InputError as exc:
            raise InputError(f"{label}: {exc}") from None


def build_vocabulary(
    corpus: Any,
    preprocess: Any = None,
    *,
    min_count: int = 1,
    max_size: int | None = None,
    encoding_errors: str = "strict",
    reporter: Any = None,
) -> Vocabulary:
    """Count the tokens of a corpus (files, '-' / None for stdin, or lines of text).

    Raises ``InputError`` for an empty corpus and for a vocabulary left empty by
    ``min_count`` / ``max_size``.

    Examples
    --------
    >>> build_vocabulary(["the cat", "the dog"]).words()
    ['the', 'cat', 'dog']
    """
    from wordseq.progress import SILENT, track
    from wordseq.text.preprocess import PreprocessConfig, Preprocessor
    from wordseq.text.reader import open_corpus

    reader = open_corpus(corpus, encoding_errors)
    pre = Preprocessor(preprocess or PreprocessConfig())
    with (reporter or SILENT).task("counting", unit="lines") as bar:
        voc = Vocabulary.build(pre.iter_sequences(track(bar, reader)), min_count=min_count, max_size=max_size)
    if reader.total_lines == 0:
        raise InputError(f"{reader.label}: input is empty")
    cov = voc.coverage()
    if cov.tokens == 0:
        raise InputError(f"{reader.label}: no tokens found")
    if voc.num_words == 0:
        raise InputError(
            f"{reader.label}: no word occurs --min-count {min_count} times or more ({cov.tokens:,} tokens); "
            "lower --min-count"
        )
    return voc
