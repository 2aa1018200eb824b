"""The training functions take their settings as typed configs (``model=``, ``training=``),
so an IDE or mypy can tell what they accept; single keyword options still override them."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np

import wordseq
from tests.conftest import CORPUS
from tests.seq2seq_toy import one_thread, random_strings, reverse_pairs  # noqa: F401  (autouse fixture)
from wordseq.embeddings.config import Word2VecConfig
from wordseq.seq2seq.config import Seq2SeqConfig, Seq2SeqTrainConfig


def test_the_signatures_name_the_configs() -> None:
    assert inspect.signature(wordseq.train_embeddings).parameters["model"].annotation == "Word2VecConfig | None"
    seq2seq = inspect.signature(wordseq.train_seq2seq).parameters
    assert seq2seq["model"].annotation == "Seq2SeqConfig | None"
    assert seq2seq["training"].annotation == "Seq2SeqTrainConfig | None"
    assert inspect.signature(wordseq.train_ngram).parameters["model"].annotation == "NgramConfig | None"
    lm = inspect.signature(wordseq.train_lm).parameters
    assert lm["model"].annotation == "LMConfig | None" and lm["training"].annotation == "TrainConfig | None"
    clf = inspect.signature(wordseq.train_classifier).parameters
    assert clf["model"].annotation == "EncoderOptions | None" and clf["training"].annotation == "TrainingConfig | None"


def test_lm_from_configs_is_the_model_of_the_same_keywords() -> None:
    """Every field of a config given counts as given (none chosen by corpus size); the
    vocabulary's size comes from the corpus."""
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:12]
    net = wordseq.LMConfig(cell="gru", layers=1, emb=8, hidden=8, dropout=0.0)
    run = wordseq.TrainConfig(epochs=1, bptt=8, batch_size=4, seed=3, lr=10.0)
    typed = wordseq.train_lm(lines, model=net, training=run, device="cpu")
    fields = {f: getattr(net, f) for f in net.__dataclass_fields__ if f != "vocab_size"}
    keywords = wordseq.train_lm(lines, device="cpu", **fields, **run.to_dict())
    assert typed.model.config == keywords.model.config and typed.model.config.vocab_size > 5
    assert typed.perplexity(lines[:5]) == keywords.perplexity(lines[:5])
    overridden = wordseq.train_lm(lines[:10], model=net, training=run, device="cpu", hidden=12)
    assert overridden.model.config.hidden == 12 and overridden.model.config.cell == "gru"


def test_ngram_from_a_config_is_the_model_of_the_same_keywords() -> None:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:50]
    typed = wordseq.train_ngram(lines, model=wordseq.NgramConfig(order=2, smoothing="witten-bell"))
    keywords = wordseq.train_ngram(lines, order=2, smoothing="witten-bell")
    assert typed.score("the cat") == keywords.score("the cat")


def test_embeddings_from_a_config_are_those_of_the_same_keywords(tmp_path: Path) -> None:
    corpus = tmp_path / "head.txt"  # a sixth of the corpus, "police" 12 times
    corpus.write_text("\n".join(CORPUS.read_text(encoding="utf-8").splitlines()[:50]) + "\n", encoding="utf-8")
    typed = wordseq.train_embeddings(corpus, model=Word2VecConfig(dim=8, epochs=1, min_count=3, workers=1))
    keywords = wordseq.train_embeddings(corpus, dim=8, epochs=1, min_count=3, workers=1)
    overridden = wordseq.train_embeddings(corpus, model=Word2VecConfig(dim=8, epochs=1, min_count=3), dim=6, workers=1)
    assert typed.meta["config"] == keywords.meta["config"]
    assert np.array_equal(typed.vector("police"), keywords.vector("police"))
    assert overridden.meta["config"]["dim"] == 6 and overridden.meta["config"]["epochs"] == 1


def test_seq2seq_from_configs_is_the_model_of_the_same_keywords() -> None:
    pairs = reverse_pairs(random_strings(40, 2, 4, seed=5, alphabet="abc"))
    typed = wordseq.train_seq2seq(pairs, pairs[:8], model=Seq2SeqConfig(emb=8, hidden=16),
                                  training=Seq2SeqTrainConfig(epochs=1, batch_size=16))
    keywords = wordseq.train_seq2seq(pairs, pairs[:8], epochs=1, emb=8, hidden=16, batch_size=16)
    assert typed.config == keywords.config
    assert [t.candidates[0].text for t in typed.transduce(["abc", "ba"])] == \
           [t.candidates[0].text for t in keywords.transduce(["abc", "ba"])]


def test_every_name_a_package_exports_resolves() -> None:
    """``wordseq.neural.NeuralLM`` raised ImportError: the package still pointed at its
    module's old name (lm.py, now model.py)."""
    import importlib

    for package in ("wordseq", "wordseq.ngram", "wordseq.neural", "wordseq.seq2seq"):
        module = importlib.import_module(package)
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{package}.{name}"
