"""Every config dataclass stands on one base (``wordseq.config_checks.Config``): what
meta.json stores of it (``to_dict``) reads back to the same config (``from_dict``), in the
same bytes as before the base existed; unknown keys are left out, missing ones take their
defaults, and a missing required one is a TypeError."""

from __future__ import annotations

import dataclasses
import json

import pytest

from wordseq.classify.config import ClassifierConfig, EncoderOptions, TrainingConfig
from wordseq.config_checks import Config, Record
from wordseq.embeddings.config import Word2VecConfig
from wordseq.neural.config import LMConfig
from wordseq.neural.train import TrainConfig
from wordseq.ngram.config import NgramConfig
from wordseq.seq2seq.config import Seq2SeqConfig, Seq2SeqTrainConfig
from wordseq.text.preprocess import PreprocessConfig

CONFIGS: list[Config] = [
    PreprocessConfig(), PreprocessConfig(stopwords="english", stem="porter", sentences=True),
    Seq2SeqConfig(), Seq2SeqTrainConfig(), Seq2SeqTrainConfig(optimizer="sgd", lr=0.5),
    ClassifierConfig(labels=("a", "b"), vocab_size=10), EncoderOptions(encoder="bow"), TrainingConfig(lr=0.01),
    LMConfig(vocab_size=5000, softmax="adaptive"), LMConfig(vocab_size=50, cell="transformer", heads=4),
    TrainConfig(), TrainConfig(lr=0.5, patience=None), NgramConfig(order=5, prune=(0, 1)), Word2VecConfig(cbow=True),
]

# meta.json's bytes for these configs, as written before they shared a base
STORED = {
    "LMConfig": '{"vocab_size": 5000, "cell": "lstm", "layers": 2, "emb": 200, "hidden": 200, "dropout": 0.2, '
                '"tie": false, "dropout_input": 0.2, "dropout_between": 0.2, "dropout_embedding": 0.0, '
                '"weight_drop": 0.0, "heads": 2, "context": 0, "softmax": "adaptive", "cutoffs": [2000]}',
    "TrainConfig": '{"epochs": 10, "optimizer": "sgd", "lr": 20.0, "clip": 0.25, "bptt": 35, "batch_size": 20, '
                   '"patience": 3, "anneal_after": 1, "final_anneal": false, "seed": 1, "precision": "fp32", '
                   '"valid_every": 0, "nonmono": 5, "weight_decay": 0.0}',
    "NgramConfig": '{"order": 5, "smoothing": "modified-kneser-ney", "k": 1.0, "min_count": 1, '
                   '"discount_fallback": false, "discount": null, "prune": [0, 1], "vocab_file": null, "max_vocab": null}',
    "ClassifierConfig": '{"labels": ["a", "b"], "vocab_size": 10, "encoder": "bilstm", "pool": "max", "emb": 100, '
                        '"hidden": 64, "layers": 1, "dropout": 0.5, "bigram_vocab_size": 0}',
    "Seq2SeqTrainConfig": '{"epochs": 15, "batch_size": 64, "optimizer": "adam", "lr": 0.003, "lr_schedule": "cosine", '
                          '"clip": 5.0, "teacher_forcing": 1.0, "patience": 3, "seed": 1, "min_count": 1, '
                          '"dev_percent": 5.0}',
    "PreprocessConfig": '{"lower": true, "stem": null, "lemmatize": false, "stopwords": null, "stopword_list": [], '
                        '"sentences": false, "level": "word", "pretokenized": false, "lang": "en"}',
}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: type(c).__name__)
def test_a_stored_config_reads_back_the_same(config: Config) -> None:
    stored = json.loads(json.dumps(config.to_dict()))  # through JSON, as meta.json holds it
    back = type(config).from_dict(stored)
    assert back.to_dict() == config.to_dict()
    if not isinstance(config, (TrainConfig, Seq2SeqTrainConfig)) or config.lr is not None:
        assert back == config  # the training configs store the rate used, not "default"


def test_meta_json_bytes_are_those_written_before_the_base() -> None:
    first: dict[str, Config] = {}
    for config in CONFIGS:
        first.setdefault(type(config).__name__, config)
    for name, text in STORED.items():
        assert json.dumps(first[name].to_dict()) == text


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: type(c).__name__)
def test_unknown_keys_are_left_out_and_missing_ones_take_defaults(config: Config) -> None:
    cls = type(config)
    required = {f.name: config.to_dict()[f.name] for f in dataclasses.fields(cls)  # type: ignore[arg-type]
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    assert cls.from_dict({**config.to_dict(), "written_by_a_newer_version": 1}).to_dict() == config.to_dict()
    assert cls.from_dict(required) == cls(**required)


@pytest.mark.parametrize("cls", [ClassifierConfig])  # (LMConfig.vocab_size: 0 until the corpus sets it)
def test_a_missing_required_key_is_a_type_error(cls: type[Config]) -> None:
    with pytest.raises(TypeError):
        cls.from_dict({})


def test_every_config_dataclass_stands_on_the_base() -> None:
    import wordseq.classify.config
    import wordseq.embeddings.config
    import wordseq.neural.config
    import wordseq.neural.train
    import wordseq.ngram.config
    import wordseq.seq2seq.config
    import wordseq.text.preprocess

    modules = [wordseq.classify.config, wordseq.embeddings.config, wordseq.neural.config, wordseq.ngram.config,
               wordseq.seq2seq.config, wordseq.text.preprocess]
    found = [v for m in modules for v in vars(m).values()
             if isinstance(v, type) and dataclasses.is_dataclass(v) and v.__module__ == m.__name__]
    found.append(wordseq.neural.train.TrainConfig)
    assert found and all(issubclass(cls, Config) for cls in found), [c for c in found if not issubclass(c, Config)]


def test_results_write_their_fields() -> None:
    from wordseq.seq2seq.metrics import Evaluation

    figures = Evaluation(1, 2, 0.5, 0.25, 0.125, 3, 4)
    assert isinstance(figures, Record)
    assert figures.to_dict() == dataclasses.asdict(figures)
