"""Encoder-decoder models with attention (grapheme-to-phoneme, transliteration, ...).

``train_seq2seq(pairs, ...)`` trains one and returns a ``Seq2SeqModel`` (``transduce``,
``evaluate``, ``attention``); ``load_seq2seq(path, meta)`` reads a saved one. The decoder
bound to its sources is a ``LanguageModel``: ``decoding.py`` searches it like any other.

The names below load torch on first use, so ``wordseq.seq2seq.config`` and
``wordseq.seq2seq.cmudict`` stay light for the command line.
"""

from __future__ import annotations

from wordseq.lazy import lazy_attributes

_EXPORTS = {
    "train_seq2seq": "wordseq.seq2seq.train",
    "load_seq2seq": "wordseq.seq2seq.storage",
    "Seq2SeqModel": "wordseq.seq2seq.model",
    "Transduction": "wordseq.seq2seq.model",
    "AttentionMap": "wordseq.seq2seq.model",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_attributes(__name__, _EXPORTS)
