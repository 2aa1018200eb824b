"""Training the linear classifiers: ``nbsvm`` (fitted in one go, ``nbsvm.py``) and
``fasttext`` (averaged word and hashed-bigram embeddings and one linear layer, trained
with torch on CPU in seconds, Joulin et al. 2016).

Both take the texts ``train._prepare`` tokenized and the rows to fit and to validate on,
and give a ``LinearClassifier`` with the training figures meta.json keeps.

- ``nbsvm`` has nothing to stop early: with a validation share it is fitted once without
  it (the reported validation accuracy) and once more on all the texts, the model kept;
  in cross-validation (no validation share) once, on the fold's whole training part.
- ``fasttext``: fastText's own trainer: plain SGD, no autograd, on small batches of
  embedding bags, the learning rate falling linearly to 0 over the epochs; the last
  epoch's model is kept, so (as nbsvm) it has nothing to stop early: with a validation
  share it is trained once without it (the figures reported) and once on all the texts.
  One change from fastText: each class's first embedding column starts at its
  features' Naive-Bayes log-count ratios (nbsvm's r, the class against the rest) instead
  of random values, so the average of a text's rows starts as a Naive-Bayes score that
  SGD then refines. On MR (10-fold CV) that gives 78.1 % (78.1 % again on two other fold
  draws) against 77.4 % from fastText's random start, and the ``fasttext`` package's
  own 77.2 % at its best settings on the same folds; Adam with early stopping reached
  76.2 %; an ensemble of three random starts, 77.4 %.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from wordseq.classify.encoding import build_bigram_vocab
from wordseq.classify.epochs import EpochRecord
from wordseq.classify.linear import FeatureSpace, LinearClassifier, LinearConfig, fasttext_weights, softmax_or_sigmoid
from wordseq.classify.metrics import fit_figures
from wordseq.classify.nbsvm import class_ratios, fit_nbsvm
from wordseq.training import TrainingDiverged, torch_threads
from wordseq.vocab import Vocabulary

# the 10 hidden units of "Bag of Tricks" (Joulin et al. 2016); on MR 30 did no better
FASTTEXT_EMB = 10
# A step sums its texts' updates, each at the full rate, all from the same weights: close
# to fastText's one text at a time while a batch is small, but 256 texts at lr 0.5 moved
# the bias and the frequent words' rows so far that the weights overflowed (MR: NaN at
# 256, 59.5 % at 128). Past this many texts (the default batch) a step's rate shrinks in
# proportion, so it moves the weights no further than a default batch would.
FASTTEXT_FULL_RATE_BATCH = 32
# Buckets per distinct training bigram, rounded up to a power of two: few collisions, a
# small table.
BUCKETS_PER_BIGRAM = 2


def _vocab(prep: Any, rows: np.ndarray, cfg: Any) -> Vocabulary:
    return Vocabulary.build((prep.tokens[i] for i in rows), min_count=cfg.min_count, max_size=cfg.max_size)


def _features(prep: Any, rows: np.ndarray, options: Any, cfg: Any) -> FeatureSpace:
    vocab = _vocab(prep, rows, cfg)
    if not options.bigrams:
        return FeatureSpace(vocab)
    if options.encoder == "nbsvm":
        return FeatureSpace(vocab, build_bigram_vocab((prep.tokens[i] for i in rows), cfg.bigram_floor(options.encoder)))
    distinct = len({(a, b) for i in rows for a, b in zip(prep.tokens[i], prep.tokens[i][1:])})
    return FeatureSpace(vocab, buckets=1 << max(10, int(np.ceil(np.log2(max(distinct, 1) * BUCKETS_PER_BIGRAM)))))


def _config(prep: Any, features: FeatureSpace, options: Any, emb: int = 0) -> LinearConfig:
    rows = len(features.bigram_vocab) if features.bigram_vocab is not None else features.buckets
    return LinearConfig(tuple(prep.labels), options.encoder, len(features.vocab), rows, emb, options.multi_label)


def fit_nbsvm_model(prep: Any, fit_rows: np.ndarray, valid_rows: np.ndarray, options: Any, cfg: Any,
                    preprocess: Any, fold: int | None, hooks: Any) -> LinearClassifier:
    """NBSVM on ``fit_rows``; with ``valid_rows``, scored on them, then fitted on both."""
    start = time.perf_counter()
    multi = prep.multi_label

    def fitted(rows: np.ndarray) -> tuple[LinearClassifier, Any]:
        """The model on ``rows``, and their binarized feature matrix."""
        features = _features(prep, rows, options, cfg)
        x = features.matrix([prep.tokens[i] for i in rows], "max")
        weights, bias = fit_nbsvm(x, prep.targets[rows], multi, cfg.seed)
        return LinearClassifier(_config(prep, features, options), features, weights, bias, preprocess,
                                prep.data.sources), x

    model, x = fitted(fit_rows)
    train = fit_figures(softmax_or_sigmoid(np.asarray(x @ model.weights, dtype=np.float64) + model.bias, multi),
                        prep.targets[fit_rows], multi)
    valid = train  # no share held out (cross-validation): nothing reported
    if len(valid_rows):
        valid = fit_figures(model.probabilities_of([prep.tokens[i] for i in valid_rows]), prep.targets[valid_rows], multi)
    record = EpochRecord.timed(1, train, valid, time.perf_counter() - start, len(fit_rows), True, fold)
    if len(valid_rows):
        hooks.checked(record)
    return _kept(model, lambda rows: fitted(rows)[0], prep, (fit_rows, valid_rows), cfg, [record], start, hooks)


def _kept(model: LinearClassifier, refit: Callable[[np.ndarray], LinearClassifier], prep: Any,
          rows: tuple[np.ndarray, np.ndarray], cfg: Any, history: list[EpochRecord], start: float,
          hooks: Any) -> LinearClassifier:
    """The model kept, with its training figures: with a validation share (``rows``: fit,
    valid), ``refit`` on all the texts once scored on it (nothing stops a linear model
    early, so the share is better used as training data)."""
    fit_rows, valid_rows = rows
    if len(valid_rows):
        everything = np.union1d(fit_rows, valid_rows)
        model = refit(everything)
        hooks.reporter.log(f"fitted again on all {len(everything):,} texts (the validation share included)")
    model.training = _training(model, prep, fit_rows, valid_rows, cfg, history, start)
    model.training["refitted_on_all"] = bool(len(valid_rows))
    return model


def _training(model: LinearClassifier, prep: Any, fit_rows: np.ndarray, valid_rows: np.ndarray, cfg: Any,
              history: list[Any], start: float) -> dict[str, Any]:
    best = next(r for r in reversed(history) if r.best)  # the model kept
    counts = prep.targets[fit_rows].sum(axis=0)
    vocab = model.features.vocab
    return {
        "settings": {**cfg.to_dict(), "lr": cfg.learning_rate(model.config.encoder)},
        "examples": {"train": int(len(fit_rows)), "valid": int(len(valid_rows)),
                     "train_per_class": {lab: int(c) for lab, c in zip(prep.labels, counts)}},
        "vocab": {"words": vocab.num_words, "training_words": vocab.num_words, "coverage": vocab.coverage().ratio,
                  "bigrams": model.config.bigram_rows},
        "init_embeddings": None, "device": "cpu", "epochs_done": len(history), "best_epoch": best.epoch,
        "best_valid_accuracy": best.valid_accuracy, "best_valid_loss": best.valid_loss,
        "stopped_early": False,
        "seconds": round(time.perf_counter() - start, 2),
        "history": [r.to_dict() for r in history],
    }


def fit_fasttext_model(prep: Any, fit_rows: np.ndarray, valid_rows: np.ndarray, options: Any, cfg: Any,
                       preprocess: Any, fold: int | None, hooks: Any) -> LinearClassifier:
    """fastText's schedule: the learning rate falls linearly to 0 over ``cfg.epochs``, and
    the last epoch's model is the one kept (nothing to stop early). With ``valid_rows``
    each epoch is scored on them, then, as nbsvm, it is trained again on all the texts."""
    start = time.perf_counter()
    model, history = _fit_fasttext(prep, fit_rows, valid_rows, options, cfg, preprocess, fold, hooks)

    def refit(rows: np.ndarray) -> LinearClassifier:
        return _fit_fasttext(prep, rows, np.zeros(0, dtype=np.int64), options, cfg, preprocess, fold, None)[0]

    return _kept(model, refit, prep, (fit_rows, valid_rows), cfg, history, start, hooks)


def _fit_fasttext(prep: Any, fit_rows: np.ndarray, valid_rows: np.ndarray, options: Any, cfg: Any,
                  preprocess: Any, fold: int | None, hooks: Any) -> tuple[LinearClassifier, list[EpochRecord]]:
    """One fastText run on ``fit_rows`` (``hooks`` None: no epoch reported)."""
    features = _features(prep, fit_rows, options, cfg)
    emb = options.emb or FASTTEXT_EMB
    bags = features.bags(prep.tokens)
    ratios = class_ratios(_binary_matrix(bags, fit_rows, features.size), prep.targets[fit_rows])
    history: list[EpochRecord] = []
    with torch_threads(cfg.threads):
        net = _FastText(emb, len(prep.labels), cfg.seed, ratios)
        for epoch, seconds, train_loss, train_acc in _epochs(net, bags, prep, fit_rows, cfg):
            if hooks is None:
                continue
            valid_loss, valid_acc = train_loss, train_acc  # no share held out (cross-validation)
            if len(valid_rows):
                valid_loss, valid_acc = fit_figures(net.probabilities(bags, valid_rows, prep.multi_label),
                                                    prep.targets[valid_rows], prep.multi_label)
            # the last epoch's model is kept: lr has come down to 0 there
            record = EpochRecord.timed(epoch, (train_loss, train_acc), (valid_loss, valid_acc), seconds, len(fit_rows),
                                       epoch == cfg.epochs, fold)
            history.append(record)
            hooks.checked(record)
    embeddings, output, bias = net.arrays()
    config = _config(prep, features, options, emb)
    model = LinearClassifier(config, features, fasttext_weights(embeddings, output), bias, preprocess,
                             prep.data.sources, layers=(embeddings, output))
    return model, history


class _FastText:
    """fastText's supervised model and trainer (Joulin et al. 2016), without autograd: a
    text is the mean of its features' embeddings, its class scores one linear layer of
    that. A step is fastText's own for each text of a small batch at once: the output
    layer moves by lr · (gold − p) ⊗ input, and each of the text's feature rows by the
    same share of lr · (gold − p) · W (the gradient of the mean), summed over the batch.

    ``ratios`` (features, classes): the Naive-Bayes start of the first columns."""

    def __init__(self, emb: int, classes: int, seed: int, ratios: np.ndarray) -> None:
        import torch

        generator = torch.Generator().manual_seed(seed)
        # fastText's start: embeddings uniform in ±1/emb, a zero output layer; then the
        # first columns (one a class, as many as fit) hold the NB log-count ratios
        self.table = (torch.rand(len(ratios), emb, generator=generator) * 2 - 1) / emb
        start = min(emb, classes)
        self.table[:, :start] = torch.from_numpy(ratios[:, :start]).float()
        self.out = torch.zeros(classes, emb)
        self.bias = torch.zeros(classes)

    def hidden(self, ids: Any, offsets: Any) -> Any:
        """The texts' mean embeddings (texts, emb); a text without features gets zeros."""
        import torch.nn.functional as F

        return F.embedding_bag(ids, self.table, offsets, mode="mean")

    def step(self, batch: _Batch, lr: float, multi_label: bool) -> tuple[float, float]:
        """One step on a batch; (its summed loss, how many it got right)."""
        import torch

        hidden = self.hidden(batch.ids, batch.offsets)
        logits = hidden @ self.out.T + self.bias
        probs = torch.sigmoid(logits) if multi_label else torch.softmax(logits, dim=1)
        # gold − p: the negative gradient of the log-loss (softmax or per-label sigmoids)
        # with respect to the scores
        delta = (batch.gold - probs) * lr
        back = (delta @ self.out) * batch.share[:, None]
        self.out += delta.T @ hidden
        self.bias += delta.sum(dim=0)
        self.table.index_add_(0, batch.ids, back[batch.text_of])
        return _loss_and_right(logits, probs, batch.gold, multi_label)

    def probabilities(self, bags: tuple[np.ndarray, np.ndarray], rows: np.ndarray, multi_label: bool) -> np.ndarray:
        import torch

        ids, offsets = _gather(bags, rows)
        hidden = self.hidden(torch.from_numpy(ids), torch.from_numpy(offsets[:-1]))
        logits = (hidden @ self.out.T + self.bias).double()
        return (torch.sigmoid(logits) if multi_label else torch.softmax(logits, dim=1)).numpy()

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(embeddings, output weights, output bias)."""
        return self.table.numpy(), self.out.numpy(), self.bias.numpy().astype(np.float64)


def _loss_and_right(logits: Any, probs: Any, gold: Any, multi_label: bool) -> tuple[float, float]:
    import torch
    import torch.nn.functional as F

    if multi_label:
        loss = F.binary_cross_entropy_with_logits(logits, gold, reduction="sum") / gold.shape[1]
        right = ((probs > 0.5) == (gold > 0.5)).all(dim=1).sum()
    else:
        loss = -(torch.log_softmax(logits, dim=1) * gold).sum()
        right = (probs.argmax(dim=1) == gold.argmax(dim=1)).sum()
    return float(loss), float(right)


def _gather(bags: tuple[np.ndarray, np.ndarray], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bags of ``rows``, in that order: (feature ids, offsets)."""
    ids, offsets = bags
    counts = offsets[rows + 1] - offsets[rows]
    within = np.concatenate([[0], np.cumsum(counts)])
    flat = np.repeat(offsets[rows] - within[:-1], counts) + np.arange(within[-1])
    return ids[flat], within


def _binary_matrix(bags: tuple[np.ndarray, np.ndarray], rows: np.ndarray, features: int) -> Any:
    """Sparse (texts, features) of ``rows``, 1 per distinct feature: ``FeatureSpace.matrix``'s
    ``max`` pooling read off the bags already built (a second pass over the tokens cost
    20 times more on MR)."""
    import scipy.sparse as sp

    ids, offsets = _gather(bags, rows)
    x = sp.csr_matrix((np.ones(len(ids)), ids, offsets), shape=(len(rows), features))
    x.sum_duplicates()
    x.data[:] = 1.0
    return x


@dataclass
class _Batch:
    """Texts of one step: their feature ids, where each text's begin, the text of each
    id, 1 / features of each text, and the gold (texts, classes)."""

    ids: Any
    offsets: Any
    text_of: Any
    share: Any
    gold: Any


def _batches(bags: tuple[np.ndarray, np.ndarray], order: np.ndarray, gold: Any, size: int) -> Iterator[_Batch]:
    """The texts of ``order`` in batches of ``size``, everything indexed once per epoch."""
    import torch

    ids, offsets = _gather(bags, order)
    counts = np.diff(offsets)
    ids_t, offsets_t = torch.from_numpy(ids), torch.from_numpy(offsets)
    text_of = torch.from_numpy(np.repeat(np.arange(len(order)), counts))
    share = torch.from_numpy(1.0 / np.maximum(counts, 1)).float()
    gold = gold[torch.from_numpy(order)]
    for s in range(0, len(order), size):
        e = min(s + size, len(order))
        a, b = int(offsets[s]), int(offsets[e])
        yield _Batch(ids_t[a:b], offsets_t[s:e] - a, text_of[a:b] - s, share[s:e], gold[s:e])


def _epochs(net: _FastText, bags: tuple[np.ndarray, np.ndarray], prep: Any, fit_rows: np.ndarray, cfg: Any) -> Any:
    """Train epoch by epoch in batches of ``cfg.batch_size`` texts, the learning rate
    falling linearly from ``lr`` (scaled down for batches past ``FASTTEXT_FULL_RATE_BATCH``)
    to 0 over all the epochs' texts; yield (epoch, seconds, mean training loss, training
    accuracy) after each. A loss that overflows stops the run (nothing is saved)."""
    import torch

    lr = cfg.learning_rate("fasttext") * min(1.0, FASTTEXT_FULL_RATE_BATCH / cfg.batch_size)
    gold = torch.from_numpy(prep.targets.astype(np.float32))
    rng = np.random.default_rng(cfg.seed)
    total, seen = cfg.epochs * len(fit_rows), 0
    for epoch in range(1, cfg.epochs + 1):
        began, loss_sum, right = time.perf_counter(), 0.0, 0.0
        for batch in _batches(bags, rng.permutation(fit_rows), gold, cfg.batch_size):
            loss, ok = net.step(batch, lr * (1 - seen / total), prep.multi_label)
            if not math.isfinite(loss):
                raise TrainingDiverged(f"the training loss became {loss} in epoch {epoch}: the weights overflowed; "
                                       f"train again with a lower --lr (it was {cfg.learning_rate('fasttext')})")
            seen += len(batch.share)
            loss_sum, right = loss_sum + loss, right + ok
        yield epoch, time.perf_counter() - began, loss_sum / len(fit_rows), right / len(fit_rows)
