"""Subword models: BPE or unigram units trained with SentencePiece, or a Hugging Face
``tokenizer.json`` imported, kept in the store as the kind ``subword``.

The model directory holds ``meta.json`` and the tokenizer's own file (``tokenizer.model``
or ``tokenizer.json``: data, never code). ``--level subword --subword NAME`` on a training
command makes that model's units the tokens; the trained model keeps a copy of the
tokenizer's file (``text/subword.py``), so removing the subword model later breaks nothing.

Examples
--------
>>> import wordseq
>>> bpe = wordseq.train_subwords("reviews.txt", "bpe8k", vocab_size=8000)  # doctest: +SKIP
>>> pre = wordseq.PreprocessConfig(level="subword", subword=bpe)            # doctest: +SKIP
>>> wordseq.train_ngram("reviews.txt", "units5", preprocess=pre)            # doctest: +SKIP
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from wordseq.errors import ModelError, OptionError
from wordseq.store import new_meta, writing
from wordseq.text.reader import Corpus, CorpusReader, SourceStats, TextLines, open_corpus
from wordseq.text.subword import FILE_EXTENSIONS, SUBWORD_TYPES, SubwordTokenizer, read_tokenizer_file, train_sentencepiece

KIND = "subword"
MIN_VOCAB = 300  # SentencePiece's byte fallback alone takes 256 units


def _check(vocab_size: int, model_type: str) -> None:
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < MIN_VOCAB:
        raise OptionError("--vocab", f"must be a whole number of at least {MIN_VOCAB} (256 units are the byte "
                                     f"fallback), got {vocab_size!r}")
    if model_type not in SUBWORD_TYPES:
        raise OptionError("--type", f"unknown subword type {model_type!r}; choose {' or '.join(SUBWORD_TYPES)}")


def train_subwords(corpus: Corpus | CorpusReader | TextLines | None, output: str | Path | None = None, *,
                   vocab_size: int = 8000, model_type: str = "bpe", encoding_errors: str = "strict",
                   threads: int = 0) -> SubwordTokenizer:
    """Train ``vocab_size`` BPE or unigram units on a corpus (files, '-', or lines) with
    SentencePiece and, with ``output``, save them as a subword model."""
    _check(vocab_size, model_type)
    with writing(output, KIND) as writer:
        reader = open_corpus(corpus, encoding_errors)
        start = time.perf_counter()
        data = train_sentencepiece(reader, vocab_size, model_type, threads)
        seconds = time.perf_counter() - start
        name = writer.target.name if writer is not None else ""
        tokenizer = SubwordTokenizer(data, "sentencepiece", name)
        meta = _meta(tokenizer, f"{model_type} {tokenizer.size:,} units (sentencepiece)",
                     {"type": model_type, "vocab_size": vocab_size},
                     [s.to_dict() for s in reader.sources], {"seconds": round(seconds, 3)})
        if writer is not None:
            writer.commit(meta, lambda folder: _write_file(folder, tokenizer))
    return tokenizer


def import_tokenizer(path: str | Path, output: str | Path | None = None) -> SubwordTokenizer:
    """A Hugging Face ``tokenizer.json`` as a subword model (checked: a file that is not
    one, or is damaged, is one clear error)."""
    with writing(output, KIND) as writer:
        tokenizer = read_tokenizer_file(str(path))
        tokenizer.name = writer.target.name if writer is not None else ""
        kind = str(tokenizer._impl.model.__class__.__name__)  # BPE, Unigram, WordPiece, WordLevel
        meta = _meta(tokenizer, f"{kind} {tokenizer.size:,} units (imported {Path(path).name})",
                     {"type": kind.lower(), "vocab_size": tokenizer.size},
                     [SourceStats(name=str(path), bytes=len(tokenizer.data)).to_dict()], {})
        if writer is not None:
            writer.commit(meta, lambda folder: _write_file(folder, tokenizer))
    return tokenizer


def _meta(tokenizer: SubwordTokenizer, summary: str, config: dict[str, Any], corpus: list[dict[str, Any]],
          training: dict[str, Any]) -> dict[str, Any]:
    import sentencepiece
    import tokenizers

    return new_meta(KIND, summary=summary, config={**config, "format": tokenizer.format, "units": tokenizer.size},
                    corpus=corpus, training=training,
                    subword_libraries={"sentencepiece": sentencepiece.__version__, "tokenizers": tokenizers.__version__})


def _write_file(folder: Path, tokenizer: SubwordTokenizer) -> None:
    (folder / f"tokenizer{FILE_EXTENSIONS[tokenizer.format]}").write_bytes(tokenizer.data)


def load_subword_model(path: Path, meta: dict[str, Any]) -> SubwordTokenizer:
    """The store's loader for kind "subword" (meta and payload already checked)."""
    fmt = meta["config"].get("format")
    if fmt not in FILE_EXTENSIONS:
        raise ModelError(f"{path}: the subword model's format {fmt!r} is unknown; the model is damaged")
    file = path / f"tokenizer{FILE_EXTENSIONS[fmt]}"
    if file.name not in meta["payload"]:
        raise ModelError(f"{path}: {file.name} is not in the model's payload; the model is damaged")
    tokenizer = SubwordTokenizer(file.read_bytes(), fmt, path.name, what=str(file))
    tokenizer.name = path.name
    return tokenizer
