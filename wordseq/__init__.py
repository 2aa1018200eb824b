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

    g2p = wordseq.train_seq2seq("g2p/train.tsv", "g2p/dev.tsv", output="g2p",
                                training=wordseq.Seq2SeqTrainConfig(epochs=8))
    g2p.transduce(["phoneme"], beam=5)[0].text

    model = wordseq.load("news")          # any kind, by NAME, kind/NAME or PATH

What the CLI prints on stderr reaches Python too: warnings as ``WordseqWarning`` through
``warnings``, progress lines on the ``wordseq`` logger (``logging.basicConfig(level=
logging.INFO)`` shows them), and ``progress=True`` on a training function draws the CLI's
progress bars (in a notebook too).

Layout, lowest layer first (a module imports only from the layers before it; the
README's Development section says more): ``errors``, ``lazy``, ``sizes``, ``spelling``,
``config_checks`` (the config base), ``vocab``, ``progress``, ``perplexity``, ``device``,
``text/``; ``store/`` (``paths`` up to ``registry``) and ``text/tokenize``; ``lm_interface``,
``decoding``, ``generation``; ``training`` (the one training run), ``pretrained``,
``positions``, ``subwords``, ``plots``; the families ``embeddings/``,
``ngram/``, ``neural/``, ``classify/``, ``seq2seq/``, each with ``config.py``,
``network.py`` (torch families), ``model.py``, ``train.py`` and ``storage.py`` (the
loader the store calls, where loading is more than the model's), reaching each other
only through the store; ``export/``
(model cards, ONNX, Hugging Face folders: through the store too); ``cli/``.
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
    "Word2VecConfig": ("wordseq.embeddings.config", "Word2VecConfig"),
    "import_embeddings": ("wordseq.embeddings.model", "import_embeddings"),
    "train_lm": ("wordseq.neural.session", "train_lm"),
    "LMConfig": ("wordseq.neural.config", "LMConfig"),
    "TrainConfig": ("wordseq.neural.config", "TrainConfig"),
    "train_ngram": ("wordseq.ngram.train", "train_ngram"),
    "NgramConfig": ("wordseq.ngram.config", "NgramConfig"),
    "mix_ngrams": ("wordseq.ngram.mix", "MixedNgramModel"),
    "train_seq2seq": ("wordseq.seq2seq.train", "train_seq2seq"),
    "Seq2SeqConfig": ("wordseq.seq2seq.config", "Seq2SeqConfig"),
    "Seq2SeqTrainConfig": ("wordseq.seq2seq.config", "Seq2SeqTrainConfig"),
    "load_seq2seq": ("wordseq.seq2seq.storage", "load_seq2seq"),
    "GenerateConfig": ("wordseq.generation", "GenerateConfig"),
    "train_classifier": ("wordseq.classify.train", "train_classifier"),
    "EncoderOptions": ("wordseq.classify.config", "EncoderOptions"),
    "TrainingConfig": ("wordseq.classify.config", "TrainingConfig"),
    "cross_validate_classifier": ("wordseq.classify.crossval", "cross_validate"),
    "load_classifier": ("wordseq.classify.storage", "load_classifier"),
    "open_classifier": ("wordseq.classify.storage", "open_classifier"),
    "train_subwords": ("wordseq.subwords", "train_subwords"),
    "import_tokenizer": ("wordseq.subwords", "import_tokenizer"),
    "list_models": ("wordseq.store", "list_models"),
    "model_card": ("wordseq.export.card", "model_card"),
    "export_onnx": ("wordseq.export.onnx_export", "export_onnx"),
    "export_hf": ("wordseq.export.hf", "export_hf"),
    "import_hf": ("wordseq.export.hf", "import_hf"),
    "remove_model": ("wordseq.store", "remove_model"),
    "WordseqError": ("wordseq.errors", "WordseqError"),
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        import importlib

        module, attribute = _API[name]
        value = _with_progress(getattr(importlib.import_module(module), attribute))
        globals()[name] = value  # later look-ups are plain attribute reads
        return value
    raise AttributeError(f"module 'wordseq' has no attribute {name!r}")


def _with_progress(func: Any) -> Any:
    """A public function that takes a ``reporter`` also takes ``progress=True``: the CLI's
    progress bars and lines on stderr (in a notebook too) instead of the ``wordseq``
    logger. Anything else is returned as it is."""
    import functools
    import inspect

    if not inspect.isfunction(func) or "reporter" not in inspect.signature(func).parameters:
        return func

    @functools.wraps(func)
    def call(*args: Any, progress: bool = False, **kwargs: Any) -> Any:
        if not progress:
            return func(*args, **kwargs)
        if "reporter" in kwargs:
            raise TypeError("give progress=True or reporter=..., not both")
        from wordseq.progress import ConsoleReporter

        shown = ConsoleReporter(quiet=False, interactive=True)
        try:
            return func(*args, reporter=shown, **kwargs)
        finally:
            shown.close()

    signature = inspect.signature(func)
    flag = inspect.Parameter("progress", inspect.Parameter.KEYWORD_ONLY, default=False, annotation="bool")
    params = list(signature.parameters.values())
    at = next((i for i, p in enumerate(params) if p.kind == inspect.Parameter.VAR_KEYWORD), len(params))
    call.__signature__ = signature.replace(parameters=[*params[:at], flag, *params[at:]])  # type: ignore[attr-defined]
    return call


def __dir__() -> list[str]:
    return sorted(__all__)
