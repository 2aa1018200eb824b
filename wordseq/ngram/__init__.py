"""N-gram language models: streaming counting, smoothing, pruning, ARPA in and out,
querying, and mixtures.

The names below load on first use, so scoring with a stored model never imports the
training code (``wordseq ngram eval`` starts faster).
"""

from __future__ import annotations

from wordseq.lazy import lazy_attributes

_EXPORTS = {
    "NgramConfig": "wordseq.ngram.config",
    "train_ngram": "wordseq.ngram.train",
    "NgramModel": "wordseq.ngram.model",
    "load_ngram": "wordseq.ngram.storage",
    "load_ngram_lm": "wordseq.ngram.storage",
    "MixedNgramModel": "wordseq.ngram.mix",
    "evaluate": "wordseq.ngram.evaluate",
    "NgramState": "wordseq.ngram.kenlm_api",
}

__all__ = list(_EXPORTS)


__getattr__ = lazy_attributes(__name__, _EXPORTS)
