"""A trained text classifier: predict, evaluate, explain, save; and its loader.

The model directory holds ``meta.json`` (config, preprocessing, training figures),
``model.safetensors`` (the network's tensors, ``store.tensors``; an older wordseq's
``model.pt`` is still read, ``store.legacy``), ``vocab.tsv`` and, for ``bow`` with bigrams, ``bigrams.tsv``. Nothing in it is code.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from wordseq.classify.config import ClassifierConfig
from wordseq.classify.encoding import EncodedTexts, encode, make_batch, scoring_batches
from wordseq.classify.explain import explain_batch
from wordseq.classify.labelling import (
    BATCH_SIZE,
    BIGRAMS_FILE,
    KIND,
    VOCAB_FILE,
    Explanation,
    Labeller,
    Prediction,
    stored_config,
    stored_vocabularies,
)
from wordseq.classify.network import ClassifierNetwork
from wordseq.errors import ModelError
from wordseq.store.payload import check_finite_tensors
from wordseq.store.tensors import SUFFIX, payload_file, read_payload, write_tensors
from wordseq.text.preprocess import PreprocessConfig
from wordseq.vocab import Vocabulary

__all__ = ["KIND", "Prediction", "TextClassifier", "load_network_classifier", "class_probabilities"]

MAGIC = "wordseq-classifier"
VERSION = 1
MODEL_STEM = "model"
MODEL_FILE = MODEL_STEM + SUFFIX


def class_probabilities(network: ClassifierNetwork, texts: EncodedTexts, rows: np.ndarray | None = None,
                        device: torch.device | None = None, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Softmax probabilities (len(rows), classes), in the order of ``rows`` (one sigmoid
    per label for a multi-label network)."""
    rows = np.arange(len(texts)) if rows is None else np.asarray(rows)
    device = device or next(network.parameters()).device
    out = np.zeros((len(rows), len(network.config.labels)), dtype=np.float64)
    position = {int(r): i for i, r in enumerate(rows)}
    was_training = network.training
    network.eval()
    with torch.inference_mode():
        for chunk in scoring_batches(texts.lengths, rows, batch_size):
            logits = network(make_batch(texts, chunk).to(device)).logits
            scores = logits.float()
            probs = (torch.sigmoid(scores) if network.config.multi_label else torch.softmax(scores, dim=1)).cpu().numpy()
            out[[position[int(r)] for r in chunk]] = probs
    network.train(was_training)
    return out


class TextClassifier(Labeller):
    """A classifier with its vocabulary and preprocessing, ready to label raw text.

    Made by ``wordseq.train_classifier`` or loaded with ``load_classifier``.

    Examples
    --------
    >>> model = train_classifier({"pos": "rt-polarity.pos", "neg": "rt-polarity.neg"})  # doctest: +SKIP
    >>> model.predict(["a gorgeous , witty film"])[0].label  # doctest: +SKIP
    'pos'
    """

    def __init__(self, config: ClassifierConfig, vocab: Vocabulary, network: ClassifierNetwork,
                 preprocess: PreprocessConfig, bigram_vocab: Vocabulary | None = None,
                 corpus: list[dict[str, Any]] | None = None, training: dict[str, Any] | None = None,
                 path: Path | None = None) -> None:
        self.config = config
        self.vocab = vocab
        self.bigram_vocab = bigram_vocab
        self.network = network
        self._keep(preprocess, corpus, training, path)

    @property
    def device(self) -> torch.device:
        return next(self.network.parameters()).device

    def to(self, device: str | torch.device) -> TextClassifier:
        from wordseq.device import resolve_device

        self.network.to(resolve_device(device) if isinstance(device, str) else device)
        return self

    # -- text → ids ------------------------------------------------------------------------

    def encode(self, token_lists: Sequence[Sequence[str]]) -> EncodedTexts:
        return encode(token_lists, self.vocab, self.bigram_vocab)

    # -- scoring (the rest is ``Labeller``'s) --------------------------------------------------

    def probabilities_of(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        return class_probabilities(self.network, self.encode(token_lists))

    def explained(self, token_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, list[Explanation]]:
        """Attention weights with attention pooling, otherwise gradient × input saliency."""
        return explain_batch(self.network, self.encode(token_lists), token_lists)

    def write_payload(self, folder: Path) -> None:
        """The payload files: tensors, vocabularies (plain TSV)."""
        state = {k: v.detach().cpu().clone() for k, v in self.network.state_dict().items()}
        write_tensors(folder / MODEL_FILE, {"format": MAGIC, "version": VERSION, "state": state})
        self.vocab.save(folder / VOCAB_FILE)
        if self.bigram_vocab is not None:
            self.bigram_vocab.save(folder / BIGRAMS_FILE)


def load_network_classifier(path: Path, meta: dict[str, Any], device: str | torch.device = "cpu") -> TextClassifier:
    """Rebuild a torch classifier (RNN or bow encoder) from its model directory, for
    ``storage.load_classifier`` once meta.json has been read."""
    from wordseq.device import resolve_device

    path = Path(path)
    config: ClassifierConfig = stored_config(path, meta, ClassifierConfig)
    vocab, bigram_vocab = stored_vocabularies(path, config.vocab_size, config.bigram_vocab_size)
    file = payload_file(path, MODEL_STEM)
    state = _read_state(file)
    network = ClassifierNetwork(config)
    try:
        network.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{file} does not fit the model's config: {str(exc).splitlines()[0]}") from None
    network.eval()
    dev = resolve_device(device) if isinstance(device, str) else device
    network.to(dev)
    preprocess = PreprocessConfig.from_dict(meta.get("preprocessing") or {})
    return TextClassifier(config, vocab, network, preprocess, bigram_vocab, list(meta.get("corpus") or []),
                          dict(meta.get("training") or {}), path)


def _read_state(file: Path) -> dict[str, torch.Tensor]:
    if not file.is_file():
        raise ModelError(f"{file.parent} has no {file.name}; the model is incomplete, train it again")
    data = read_payload(file)
    if data.get("format") != MAGIC:
        raise ModelError(f"{file} is not a wordseq classifier payload")
    if data.get("version") != VERSION:
        raise ModelError(f"{file}: payload version {data.get('version')} is not supported (expected {VERSION})")
    state = data.get("state")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(f"{file} is damaged: no tensors")
    check_finite_tensors(file, state)
    return state



