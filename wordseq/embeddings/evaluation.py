"""Analogy accuracy (Google question format) and word-similarity correlation.

Analogies are scored section by section with matrix products over all its questions (in
memory-bounded blocks), not one nearest-neighbour search per question. Questions whose
words are not among the ``restrict`` most frequent words are skipped and counted, as
word2vec's compute-accuracy does, so accuracies from different tools compare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from wordseq.embeddings.analogy import analogy_query, analogy_scores
from wordseq.embeddings.storage import WordVectors
from wordseq.errors import InputError
from wordseq.text.reader import CorpusReader, check_readable

DEFAULT_RESTRICT = 30_000
# Score matrices are built for this many cells at a time (about 64 MB of float32 each).
_BLOCK_CELLS = 1 << 24

ANALOGY_SETS = {"google": "questions-words.txt"}
SIMILARITY_SETS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}


class Queryable(Protocol):
    """What an evaluation needs of a model (an ``EmbeddingModel``): its vectors, and its
    query words normalized as its training words were."""

    vectors: WordVectors

    def normalize(self, word: str) -> str | None: ...


def dataset_path(name_or_path: str | None, builtins: dict[str, str]) -> Path:
    """A file path, or a named set shipped in gensim's wheel (the first one by default)."""
    name = name_or_path or next(iter(builtins))
    if name in builtins and not Path(name).exists():
        import gensim

        path = Path(gensim.__file__).parent / "test" / "test_data" / builtins[name]
        if not path.is_file():
            raise InputError(f"the built-in set {name!r} is missing from the gensim install ({path}); give a FILE")
        return path
    if name == "-":
        return Path(name)  # CorpusReader reads stdin
    path = Path(name)
    # exists(), not is_file(): a FIFO, /dev/stdin or <(...) is no regular file but reads as one
    if not path.exists():
        known = ", ".join(builtins)
        raise InputError(f"{name}: no such file (built-in sets: {known})")
    check_readable(name)
    return path


@dataclass
class Malformed:
    """A line of an evaluation file that was skipped, and why."""

    line: int
    text: str
    reason: str


@dataclass
class AnalogySection:
    """One ``:`` section of an analogy file: its questions and how many were answered right."""

    name: str
    questions: list[tuple[int, list[str]]] = field(default_factory=list)
    correct: int = 0
    attempted: int = 0
    skipped_oov: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.attempted if self.attempted else None

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.name, "questions": len(self.questions), "attempted": self.attempted,
                "correct": self.correct, "skipped_oov": self.skipped_oov, "accuracy": self.accuracy}


@dataclass
class AnalogyReport:
    """Analogy accuracy per section and in total (``wordseq eval --analogies``)."""

    file: str
    method: str
    restrict: int
    sections: list[AnalogySection]
    malformed: list[Malformed]

    @property
    def correct(self) -> int:
        return sum(s.correct for s in self.sections)

    @property
    def attempted(self) -> int:
        return sum(s.attempted for s in self.sections)

    @property
    def skipped_oov(self) -> int:
        return sum(s.skipped_oov for s in self.sections)

    @property
    def questions(self) -> int:
        return sum(len(s.questions) for s in self.sections)

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.attempted if self.attempted else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "method": self.method, "restrict": self.restrict,
            "sections": [s.to_dict() for s in self.sections],
            "total": {"questions": self.questions, "attempted": self.attempted, "correct": self.correct,
                      "skipped_oov": self.skipped_oov, "accuracy": self.accuracy},
            "malformed": [{"line": m.line, "text": m.text, "reason": m.reason} for m in self.malformed],
        }


def read_analogy_file(path: Path) -> tuple[list[AnalogySection], list[Malformed]]:
    """The sections of a word2vec-format analogy file (``: name`` lines, then ``a b c d``) and its malformed lines."""
    sections: list[AnalogySection] = []
    malformed: list[Malformed] = []
    for lineno, raw in enumerate(CorpusReader([str(path)]), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(":"):
            name = line[1:].strip()
            if not name:
                malformed.append(Malformed(lineno, line, "section line without a name"))
                name = f"section at line {lineno}"
            sections.append(AnalogySection(name))
            continue
        words = line.split()
        if len(words) != 4:
            malformed.append(Malformed(lineno, line, f"expected 4 words, found {len(words)}"))
            continue
        if not sections:
            sections.append(AnalogySection("questions"))
        sections[-1].questions.append((lineno, words))
    return sections, malformed


def evaluate_analogies(model: Queryable, path: Path, restrict: int | None = DEFAULT_RESTRICT,
                       method: str = "add") -> AnalogyReport:
    """Accuracy per section: a question counts as right when its best answer (query words
    excluded, answers among the ``restrict`` most frequent words) is the expected word."""
    sections, malformed = read_analogy_file(path)
    if not any(s.questions for s in sections):
        raise InputError(f"{path}: no analogy questions found (lines of 4 words, sections start with ': name')")
    limit = len(model.vectors) if not restrict else min(restrict, len(model.vectors))
    unit = model.vectors.unit(limit)

    def row(word: str) -> int:
        norm = model.normalize(word)
        i = model.vectors.index.get(norm, -1) if norm is not None else -1
        return i if i < limit else -1

    for section in sections:
        rows = []
        for _, words in section.questions:
            q = analogy_query(words, question=True)
            ids = [row(q.plus[0]), row(q.plus[1]), row(q.minus), row(q.expected or "")]
            if min(ids) < 0:
                section.skipped_oov += 1
            else:
                rows.append(ids)
        if not rows:
            continue
        questions = np.asarray(rows, dtype=np.int64)
        block = max(1, _BLOCK_CELLS // max(1, limit))
        for start in range(0, len(questions), block):
            part = questions[start:start + block]
            scores = analogy_scores(unit, part[:, :2], part[:, 2], method)
            section.correct += int(np.count_nonzero(scores.argmax(axis=1) == part[:, 3]))
        section.attempted = len(questions)
    return AnalogyReport(str(path), method, limit, sections, malformed)


@dataclass
class SimilarityReport:
    """Spearman and Pearson correlation of cosine similarities with human scores."""

    file: str
    spearman: float
    pearson: float
    pairs: int
    used: int
    skipped_oov: int
    malformed: list[Malformed]

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "spearman": self.spearman, "pearson": self.pearson, "pairs": self.pairs,
                "used": self.used, "skipped_oov": self.skipped_oov,
                "malformed": [{"line": m.line, "text": m.text, "reason": m.reason} for m in self.malformed]}


def read_similarity_file(path: Path) -> tuple[list[tuple[int, str, str, float]], list[Malformed]]:
    """Lines ``word1 word2 score`` (tabs or spaces); ``#`` starts a comment line."""
    pairs: list[tuple[int, str, str, float]] = []
    malformed: list[Malformed] = []
    for lineno, raw in enumerate(CorpusReader([str(path)]), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        if len(fields) < 3:
            malformed.append(Malformed(lineno, line, f"expected 'word1 word2 score', found {len(fields)} field(s)"))
            continue
        try:
            score = float(fields[2])
        except ValueError:
            score = math.nan
        if not math.isfinite(score):
            malformed.append(Malformed(lineno, line, f"score {fields[2]!r} is not a finite number"))
            continue
        pairs.append((lineno, fields[0].strip(), fields[1].strip(), score))
    return pairs, malformed


def evaluate_similarity(model: Queryable, path: Path) -> SimilarityReport:
    """Spearman (and Pearson) correlation between human scores and cosine similarities."""
    from scipy import stats

    pairs, malformed = read_similarity_file(path)
    if not pairs:
        raise InputError(f"{path}: no word pairs found (lines 'word1<TAB>word2<TAB>score')")
    index = model.vectors.index
    left, right, human = [], [], []
    skipped = 0
    for _, w1, w2, score in pairs:
        n1, n2 = model.normalize(w1), model.normalize(w2)
        if n1 is None or n2 is None or n1 not in index or n2 not in index:
            skipped += 1
            continue
        left.append(index[n1])
        right.append(index[n2])
        human.append(score)
    if len(human) < 2:
        raise InputError(
            f"{path}: only {len(human)} of {len(pairs)} pairs have both words in the vocabulary; "
            "a correlation needs at least 2"
        )
    unit = model.vectors.unit()
    cosine = np.einsum("ij,ij->i", unit[left], unit[right])
    spearman = float(stats.spearmanr(human, cosine).statistic)
    pearson = float(stats.pearsonr(human, cosine).statistic)
    return SimilarityReport(str(path), spearman, pearson, len(pairs), len(human), skipped, malformed)
