"""wordseq: word embeddings and sequence models, from the shell and from Python.

The Python API mirrors the commands; every name is imported on first use, so
``import wordseq`` (and ``wordseq --help``) stay fast::

    import wordseq

    vectors = wordseq.train_embeddings("corpus.txt", "news", dim=100)
    vectors.most_similar("government", topn=5)

    ngram = wordseq.train_ngram("corpus.txt", "news5", order=5, prune=(0, 1))
    ngram.score("the government said")

    lm = wordseq.train_lm("corpus.txt", "news", epochs=6)
    lm.perplexity(["a held-out sentence .", "and another ."])
    lm.generate("the government", beam=5)

    clf = wordseq.train_classifier({"pos": "pos.txt", "neg": "neg.txt"}, output="mr")
    clf.predict(["not good, but I liked it"])[0].label

    g2p = wordseq.train_seq2seq("g2p/train.tsv", "g2p/dev.tsv", output="g2p")
    g2p.transduce(["phoneme"], beam=5)[0].text

    model = wordseq.load("news")          # any kind, by NAME, kind/NAME or PATH
"""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0"

# public name -> (module, attribute): imported when first used
_API = {
    "load": ("wordseq.store", "load"),
    "tokenize": ("wordseq.text.tokenize", "tokenize_corpus"),
    "build_vocabulary": ("wordseq.vocab", "build_vocabulary"),
    "PreprocessConfig": ("wordseq.text.preprocess", "PreprocessConfig"),
    "train_embeddings": ("wordseq.embeddings.train", "train_embeddings"),
    "import_embeddings": ("wordseq.embeddings.vectors", "import_embeddings"),
    "train_lm": ("wordseq.neural.session", "train_lm"),
    "train_ngram": ("wordseq.ngram.train", "train_ngram"),
    "mix_ngrams": ("wordseq.ngram.mix", "MixedNgramModel"),
    "train_seq2seq": ("wordseq.seq2seq.train", "train_seq2seq"),
    "load_seq2seq": ("wordseq.seq2seq.storage", "load_seq2seq"),
    "GenerateConfig": ("wordseq.generation", "GenerateConfig"),
    "train_classifier": ("wordseq.classify.train", "train_classifier"),
    "cross_validate_classifier": ("wordseq.classify.crossval", "cross_validate"),
    "load_classifier": ("wordseq.classify.model", "load_classifier"),
    "open_classifier": ("wordseq.classify.model", "open_classifier"),
    "list_models": ("wordseq.store", "list_models"),
    "remove_model": ("wordseq.store", "remove_model"),
    "WordseqError": ("wordseq.errors", "WordseqError"),
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        import importlib

        module, attribute = _API[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value  # later look-ups are plain attribute reads
        return value
    raise AttributeError(f"module 'wordseq' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
