"""Tokenizing a corpus into the format word2vec, gensim and KenLM read (the library side of
``wordseq tokenize``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from wordseq.errors import InputError
from wordseq.progress import SILENT, Reporter
from wordseq.store.output import output_file
from wordseq.text.parallel import tokenize_lines
from wordseq.text.preprocess import PreprocessConfig
from wordseq.text.reader import Corpus, CorpusReader, TextLines, open_corpus


@dataclass
class TokenizeStats:
    """Figures of a ``wordseq tokenize`` run."""

    lines: int
    tokens: int
    seconds: float
    replaced: int  # invalid UTF-8 bytes replaced (with encoding_errors="replace")

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


def tokenize_corpus(
    corpus: Corpus | CorpusReader | TextLines | None,
    output: str | Path = "-",
    preprocess: PreprocessConfig | None = None,
    *,
    workers: int = 1,
    encoding_errors: str = "strict",
    reporter: Reporter = SILENT,
) -> TokenizeStats:
    """Write one token sequence per line (tokens separated by single spaces) to ``output``.

    Parameters
    ----------
    corpus
        Files, '-' / None for stdin, or lines of text (see ``open_corpus``).
    output
        A file (replaced only when complete), '-' for stdout, or a device / FIFO.
    preprocess
        The [preprocessing] settings; ``--sentences`` gives one line per sentence.
    workers
        Processes that tokenize (output order is kept).

    Examples
    --------
    >>> tokenize_corpus(["The geese were running."], "tokens.txt",
    ...                 PreprocessConfig(lemmatize=True))  # doctest: +SKIP
    """
    reader = open_corpus(corpus, encoding_errors)
    config = preprocess or PreprocessConfig()
    lines = tokens = 0
    start = time.perf_counter()
    with output_file(output) as out, reporter.task("tokenize", unit="lines") as bar:
        for text, n_tokens, n_lines in tokenize_lines(reader, config, workers):
            out.write(text)
            lines += n_lines
            tokens += n_tokens
            bar.advance(n_lines)
        if lines == 0:
            raise InputError(f"{reader.label}: input is empty")
    return TokenizeStats(lines, tokens, time.perf_counter() - start, reader.replaced)
