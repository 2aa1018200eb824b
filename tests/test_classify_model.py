"""Classifier networks, training, saving and loading, explanations (tiny synthetic data)."""

from __future__ import annotations

import hashlib
import json
import pathlib
from pathlib import Path
from typing import Any

import pytest
import torch
from classify_toy import TINY, first_word_pairs, sentiment_pairs

from wordseq.classify.config import ENCODERS, LINEAR
from wordseq.classify.crossval import cross_validate
from wordseq.classify.metrics import Evaluation
from wordseq.classify.model import MODEL_FILE, TextClassifier
from wordseq.classify.storage import load_classifier, open_classifier
from wordseq.classify.train import train_classifier
from wordseq.errors import ModelError, OptionError
from wordseq.store import find_model

TRAIN = sentiment_pairs(240, seed=1)
TEST = sentiment_pairs(100, seed=2)


def accuracy(model, pairs) -> float:  # type: ignore[no-untyped-def]
    return model.evaluate(pairs).accuracy


@pytest.mark.parametrize("encoder", [e for e in ENCODERS if e not in LINEAR])
def test_every_encoder_learns_a_small_task_beyond_the_majority_class(encoder: str) -> None:
    model = train_classifier(TRAIN, encoder=encoder, epochs=6, patience=0, lr=0.01, **TINY)
    assert accuracy(model, TEST) >= 0.85  # the majority class is 50 %


@pytest.mark.parametrize("encoder,pool", [("bilstm", "max"), ("bilstm", "mean"), ("bilstm", "last"),
                                          ("bilstm", "attention"), ("bow", "max"), ("bow", "attention")])
def test_every_pooling_learns_a_small_task_beyond_the_majority_class(encoder: str, pool: str) -> None:
    model = train_classifier(TRAIN, encoder=encoder, pool=pool, epochs=6, patience=0, lr=0.01, **TINY)
    assert model.config.pool == pool
    assert accuracy(model, TEST) >= 0.85


def test_bidirectional_rnn_reads_the_first_word_at_the_last_step_where_one_way_cannot() -> None:
    train, test = first_word_pairs(300, seed=3), first_word_pairs(100, seed=4)
    settings: dict[str, Any] = dict(pool="last", epochs=5, patience=0, lr=0.01, emb=8, hidden=8, batch_size=16, threads=1)
    both_ways = train_classifier(train, encoder="bilstm", **settings)
    one_way = train_classifier(train, encoder="lstm", **settings)
    assert accuracy(both_ways, test) >= 0.95
    assert accuracy(one_way, test) <= 0.7


def test_same_seed_gives_the_same_model() -> None:
    a = train_classifier(TRAIN[:80], encoder="bigru", epochs=2, seed=5, **TINY)
    b = train_classifier(TRAIN[:80], encoder="bigru", epochs=2, seed=5, **TINY)
    assert isinstance(a, TextClassifier) and isinstance(b, TextClassifier)
    assert torch.equal(a.network.out.weight, b.network.out.weight)


def test_texts_with_labels_beside_them_train_like_pairs() -> None:
    labels, texts = zip(*TRAIN[:60])
    model = train_classifier(list(texts), labels=list(labels), encoder="bow", epochs=1, **TINY)
    assert model.labels == ["neg", "pos"]


def test_saved_model_loads_and_predicts_the_same(tmp_path: Path) -> None:
    model = train_classifier(TRAIN[:80], encoder="bow", epochs=2, output=str(tmp_path / "m"), **TINY)
    path, meta = find_model(str(tmp_path / "m"), "classifier")
    assert meta["kind"] == "classifier" and meta["config"]["encoder"] == "bow"
    assert meta["training"]["history"] and meta["preprocessing"]["level"] == "word"
    loaded = load_classifier(path, meta)
    texts = ["a lovely film", "", "dull and weak"]
    assert loaded.predict_proba(texts) == pytest.approx(model.predict_proba(texts))
    assert set(meta["payload"]) == {"model.safetensors", "vocab.tsv", "bigrams.tsv"}


def test_a_planted_pickle_in_the_payload_is_refused_and_never_runs(tmp_path: Path) -> None:
    train_classifier(TRAIN[:40], encoder="bow", epochs=1, output=str(tmp_path / "m"), **TINY)
    marker = tmp_path / "pwned"

    class Planted:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (pathlib.Path.touch, (marker,))

    # today's name (read by safetensors only), then an older wordseq's (torch's restricted unpickler)
    for name in (MODEL_FILE, "model.pt"):
        planted = tmp_path / "m" / name
        torch.save({"format": "wordseq-classifier", "version": 1, "state": {"x": Planted()}}, planted)
        # a consistent forgery: the checksum in meta.json matches the planted file
        meta_path = tmp_path / "m" / "meta.json"
        meta = json.loads(meta_path.read_text())
        meta["payload"] = {n: d for n, d in meta["payload"].items() if n != MODEL_FILE}
        meta["payload"][name] = hashlib.sha256(planted.read_bytes()).hexdigest()
        meta_path.write_text(json.dumps(meta))
        with pytest.raises(ModelError, match=f"{name} is not a (safetensors file|wordseq payload)"):
            open_classifier(str(tmp_path / "m"))
        planted.unlink()
    assert not marker.exists()


@pytest.fixture
def vectors(tmp_path: Path) -> Path:
    """An imported word2vec text file: 'good' and 'bad' far apart, and 'splendid', a word
    the training texts never use, next to 'good'."""
    import numpy as np

    from wordseq.embeddings.model import import_embeddings

    rng = np.random.default_rng(0)
    words = {"good": [1.0] * 8, "bad": [-1.0] * 8, "splendid": [0.9] * 8, "the": list(rng.normal(0, 0.1, 8))}
    text = tmp_path / "vectors.txt"
    text.write_text(f"{len(words)} 8\n" + "".join(f"{w} {' '.join(f'{x:.4f}' for x in v)}\n" for w, v in words.items()))
    import_embeddings(text, tmp_path / "vec")
    return tmp_path / "vec"


def test_init_embeddings_copies_vectors_adds_their_words_and_freezing_keeps_them(vectors: Path) -> None:
    pairs = [("pos", "the good"), ("neg", "the bad")] * 20
    model = train_classifier(pairs, encoder="bow", init_embeddings=str(vectors), freeze_embeddings=True,
                             epochs=3, lr=0.05, batch_size=8, threads=1)
    assert isinstance(model, TextClassifier)
    init = model.training["init_embeddings"]
    assert init["found"] == 4 and init["added_from_vectors"] == 1 and init["frozen"] is True
    weight = model.network.embedding.weight
    assert model.config.emb == 8
    assert weight[model.vocab.id("splendid")].tolist() == pytest.approx([0.9] * 8)
    assert weight[model.vocab.id("good")].tolist() == pytest.approx([1.0] * 8)  # frozen
    assert model.predict(["splendid"])[0].label == "pos"  # never in training, known from the vectors
    with pytest.raises(OptionError, match="--emb: is 16 but the vectors"):
        train_classifier(pairs, init_embeddings=str(vectors), emb=16)


def test_empty_text_gets_a_prediction_and_a_single_string_counts_as_one_text() -> None:
    model = train_classifier(TRAIN[:60], encoder="bow", epochs=1, **TINY)
    preds = model.predict(["", "   "])
    assert len(preds) == 2 and preds[0].probabilities == pytest.approx(preds[1].probabilities)
    assert len(model.predict("a lovely film")) == 1
    assert sum(preds[0].probabilities.values()) == pytest.approx(1.0)


def test_attention_explanation_weights_are_a_distribution_over_the_tokens() -> None:
    model = train_classifier(TRAIN, encoder="bilstm", pool="attention", epochs=4, lr=0.01, **TINY)
    (exp,) = model.explain("the plot was awful")
    assert exp.method == "attention" and exp.tokens == ["the", "plot", "was", "awful"]
    assert sum(exp.weights) == pytest.approx(1.0, abs=1e-5)
    assert max(range(4), key=lambda i: exp.weights[i]) == 3


def test_saliency_puts_the_sentiment_word_first_and_splits_bigrams_onto_words() -> None:
    model = train_classifier(TRAIN, encoder="bow", epochs=6, patience=0, lr=0.01, **TINY)
    (exp,) = model.explain("the cast was superb")
    assert exp.method == "gradient*input" and len(exp.weights) == 4
    assert max(range(4), key=lambda i: abs(exp.weights[i])) == 3 and exp.weights[3] > 0
    rnn = train_classifier(TRAIN, encoder="bigru", epochs=6, patience=0, lr=0.01, **TINY)
    (exp,) = rnn.explain("the cast was superb")
    assert max(range(4), key=lambda i: abs(exp.weights[i])) == 3


def test_predict_stream_answers_a_batch_before_the_input_ends() -> None:
    model = train_classifier(TRAIN[:60], encoder="bow", epochs=1, **TINY)
    read: list[str] = []

    def lines():  # type: ignore[no-untyped-def]
        for text in ["good", "", "bad", "fine", "dull"]:
            read.append(text)
            yield text

    stream = model.predict_stream(lines(), batch_size=2)
    first = next(stream)
    assert len(first) == 2 and len(read) == 2
    assert [len(b) for b in stream] == [2, 1]


def test_cross_validation_scores_every_example_once() -> None:
    report = cross_validate(TRAIN[:120], k=3, encoder="bow", epochs=2, **TINY)
    assert [f.test_examples for f in report.folds] == [40, 40, 40]
    assert report.evaluation.examples == 120
    assert 0 <= report.mean_accuracy <= 1 and len(report.lines()) == 6


@pytest.mark.slow  # two spawned processes import torch: seconds before any work
def test_cross_validation_in_worker_processes_gives_the_same_folds_and_figures() -> None:
    one = cross_validate(TRAIN[:60], k=2, encoder="bow", epochs=1, **TINY)
    two = cross_validate(TRAIN[:60], k=2, encoder="bow", epochs=1, workers=2, **TINY)
    assert [f.accuracy for f in two.folds] == [f.accuracy for f in one.folds]
    assert isinstance(two.evaluation, Evaluation) and isinstance(one.evaluation, Evaluation)
    assert two.evaluation.confusion.tolist() == one.evaluation.confusion.tolist()


def test_the_package_offers_the_api_lazily() -> None:
    import wordseq

    # the public name adds progress=True around the same function
    assert wordseq.train_classifier.__wrapped__ is train_classifier and wordseq.load_classifier is load_classifier


def test_bad_settings_are_named() -> None:
    with pytest.raises(OptionError, match="--pool: 'last' needs an RNN"):
        train_classifier(TRAIN[:20], encoder="bow", pool="last")
    with pytest.raises(TypeError, match="unknown setting"):
        train_classifier(TRAIN[:20], hiden=3)
    with pytest.raises(OptionError, match="--dropout: must be a finite number"):
        train_classifier(TRAIN[:20], dropout=float("nan"))
    with pytest.raises(OptionError, match="--freeze-embeddings"):
        train_classifier(TRAIN[:20], freeze_embeddings=True)
    with pytest.raises(OptionError, match="--lr"):
        train_classifier(TRAIN[:20], lr=float("inf"))


def test_init_embeddings_from_fasttext_vectors_builds_unseen_words_from_their_ngrams(tmp_path: Path) -> None:
    """A word the fastText vectors lack (here 'splendidly') starts from the mean of its
    n-gram rows, the vector ``similar`` gives it; word2vec vectors leave it random."""
    import wordseq

    text = ["the film was splendid and good", "the plot was bad and dull"] * 30
    vectors = wordseq.train_embeddings(text, str(tmp_path / "ft"), subwords=True, dim=8, min_count=1, epochs=1,
                                       buckets=1000, workers=1)
    pairs = [("pos", "the film was splendidly good"), ("neg", "the plot was bad")] * 10
    model = train_classifier(pairs, encoder="bow", init_embeddings=str(tmp_path / "ft"), freeze_embeddings=True,
                             epochs=1, batch_size=8, threads=1, vector_words=0)
    assert isinstance(model, TextClassifier)
    weight = model.network.embedding.weight
    assert weight[model.vocab.id("splendidly")].tolist() == pytest.approx(vectors.vector("splendidly").tolist())
    assert weight[model.vocab.id("film")].tolist() == pytest.approx(vectors.vector("film").tolist())
    assert model.training["init_embeddings"]["found"] == model.vocab.num_words  # every word has n-grams
