"""Training the linear classifiers: ``nbsvm`` (fitted in one go, ``nbsvm.py``) and
``fasttext`` (averaged word and hashed-bigram embeddings and one linear layer, trained
with torch on CPU in seconds, Joulin et al. 2016).

Both take the texts ``train._prepare`` tokenized and the rows to fit and to validate on,
and give a ``LinearClassifier`` with the training figures meta.json keeps.

- ``nbsvm`` has nothing to stop early: with a validation share it is fitted once without
  it (the reported validation accuracy) and once more on all the texts, the model kept;
  in cross-validation (no validation share) once, on the fold's whole training part.
- ``fasttext``: Adam on batches of embedding bags (one ``EmbeddingBag`` over the words
  and the hashed bigrams, then one linear layer), the epoch with the best validation
  accuracy kept.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from wordseq.classify.encoding import build_bigram_vocab
from wordseq.classify.epochs import EpochRecord, torch_threads
from wordseq.classify.linear import FeatureSpace, LinearClassifier, LinearConfig, fasttext_weights, softmax_or_sigmoid
from wordseq.classify.metrics import fit_figures
from wordseq.vocab import Vocabulary

# the 10 hidden units of "Bag of Tricks" (Joulin et al. 2016); not tuned on MR, where
# this model stays near 74-75 % (benchmarks/bench_classify.py)
FASTTEXT_EMB = 10
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
    from wordseq.classify.nbsvm import fit_nbsvm

    start = time.perf_counter()
    multi = prep.multi_label

    def fitted(rows: np.ndarray) -> tuple[LinearClassifier, tuple[float, float]]:
        """The model on ``rows``, and its (loss, accuracy) on them."""
        features = _features(prep, rows, options, cfg)
        x = features.matrix([prep.tokens[i] for i in rows], "max")
        weights, bias = fit_nbsvm(x, prep.targets[rows], multi, cfg.seed)
        probs = softmax_or_sigmoid(np.asarray(x @ weights) + bias, multi)
        return (LinearClassifier(_config(prep, features, options), features, weights, bias, preprocess,
                                 prep.data.sources), fit_figures(probs, prep.targets[rows], multi))

    model, (train_loss, train_acc) = fitted(fit_rows)
    valid_loss, valid_acc = train_loss, train_acc  # no share held out (cross-validation): nothing reported
    if len(valid_rows):
        valid_loss, valid_acc = fit_figures(model.probabilities_of([prep.tokens[i] for i in valid_rows]),
                                            prep.targets[valid_rows], multi)
    seconds = time.perf_counter() - start
    record = EpochRecord(1, train_loss, train_acc, valid_loss, valid_acc, round(seconds, 3),
                         len(fit_rows) / seconds if seconds > 0 else 0.0, True, fold)
    if len(valid_rows):
        hooks.checked(record)
        everything = np.union1d(fit_rows, valid_rows)
        model = fitted(everything)[0]
        hooks.reporter.log(f"fitted again on all {len(everything):,} texts (the validation share included)")
    model.training = _training(model, prep, fit_rows, valid_rows, cfg, [record], start)
    model.training["refitted_on_all"] = bool(len(valid_rows))
    return model


def _training(model: LinearClassifier, prep: Any, fit_rows: np.ndarray, valid_rows: np.ndarray, cfg: Any,
              history: list[Any], start: float) -> dict[str, Any]:
    best = max(history, key=lambda r: (r.valid_accuracy, -r.valid_loss))
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
        "stopped_early": len(history) < cfg.epochs and model.config.encoder == "fasttext",
        "seconds": round(time.perf_counter() - start, 2),
        "history": [r.to_dict() for r in history],
    }


def fit_fasttext_model(prep: Any, fit_rows: np.ndarray, valid_rows: np.ndarray, options: Any, cfg: Any,
                       preprocess: Any, fold: int | None, hooks: Any) -> LinearClassifier:
    """fastText: the epoch with the best validation accuracy (the last without a share)."""
    import torch

    start = time.perf_counter()
    features = _features(prep, fit_rows, options, cfg)
    emb = options.emb or FASTTEXT_EMB
    config = _config(prep, features, options, emb)
    bags = features.bags(prep.tokens)
    history: list[Any] = []
    best: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    best_key: tuple[float, float] | None = None
    with torch.random.fork_rng(devices=[]), torch_threads(cfg.threads):
        torch.manual_seed(cfg.seed)
        net = _BagNetwork(features.size, emb, len(prep.labels))
        for epoch, seconds, train_loss, train_acc in _epochs(net, bags, prep, fit_rows, cfg):
            rows = valid_rows if len(valid_rows) else fit_rows
            valid_loss, valid_acc = fit_figures(net.probabilities(bags, rows, prep.multi_label), prep.targets[rows],
                                                prep.multi_label)
            key = (valid_acc, -valid_loss)
            is_best = best_key is None or key > best_key
            if is_best:
                best_key, best = key, net.arrays()
            record = EpochRecord(epoch, train_loss, train_acc, valid_loss, valid_acc, round(seconds, 3),
                                 len(fit_rows) / seconds if seconds > 0 else 0.0, is_best, fold)
            history.append(record)
            hooks.checked(record)
            since_best = epoch - max(r.epoch for r in history if r.best)
            if cfg.patience and since_best >= cfg.patience:
                break
    assert best is not None
    embeddings, output, bias = best
    model = LinearClassifier(config, features, fasttext_weights(embeddings, output), bias, preprocess,
                             prep.data.sources, layers=(embeddings, output))
    model.training = _training(model, prep, fit_rows, valid_rows, cfg, history, start)
    return model


class _BagNetwork:
    """Mean of the features' embeddings (one EmbeddingBag), then one linear layer."""

    def __init__(self, features: int, emb: int, classes: int) -> None:
        import torch

        # sparse: a step moves only the rows of its batch's features, not the whole table
        self.bag = torch.nn.EmbeddingBag(features, emb, mode="mean", sparse=True)
        # fastText's start: small uniform embeddings, a zero output layer
        torch.nn.init.uniform_(self.bag.weight, -1.0 / emb, 1.0 / emb)
        self.out = torch.nn.Linear(emb, classes)
        torch.nn.init.zeros_(self.out.weight)
        torch.nn.init.zeros_(self.out.bias)

    def optimizers(self, lr: float) -> list[Any]:
        """Lazy Adam on the table (rows move when their features are in a batch), Adam on
        the output layer."""
        import torch

        return [torch.optim.SparseAdam([self.bag.weight], lr=lr), torch.optim.Adam([self.out.weight, self.out.bias], lr=lr)]

    def logits(self, bags: list[np.ndarray], rows: np.ndarray) -> Any:
        import torch

        parts = [bags[i] for i in rows]
        offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
        return self.out(self.bag(torch.from_numpy(np.concatenate(parts)), torch.from_numpy(offsets)))

    def probabilities(self, bags: list[np.ndarray], rows: np.ndarray, multi_label: bool) -> np.ndarray:
        import torch

        with torch.no_grad():
            scores = self.logits(bags, rows).double()
            return (torch.sigmoid(scores) if multi_label else torch.softmax(scores, dim=1)).numpy()

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of (embeddings, output weights, output bias)."""
        return (self.bag.weight.detach().numpy().copy(), self.out.weight.detach().numpy().copy(),
                self.out.bias.detach().numpy().astype(np.float64))


def _epochs(net: _BagNetwork, bags: list[np.ndarray], prep: Any, fit_rows: np.ndarray, cfg: Any) -> Any:
    """Train epoch by epoch (Adam on batches of texts), yielding (epoch, seconds, mean
    training loss, training accuracy) after each."""
    import torch
    import torch.nn.functional as F

    optimizers = net.optimizers(cfg.learning_rate("fasttext"))
    multi = prep.multi_label
    targets = torch.from_numpy(prep.targets.astype(np.float32)) if multi else torch.from_numpy(prep.y)
    rng = np.random.default_rng(cfg.seed)
    for epoch in range(1, cfg.epochs + 1):
        began, loss_sum, right = time.perf_counter(), 0.0, 0.0
        order = rng.permutation(fit_rows)
        for s in range(0, len(order), cfg.batch_size):
            rows = order[s:s + cfg.batch_size]
            logits = net.logits(bags, rows)
            gold = targets[rows]
            loss = F.binary_cross_entropy_with_logits(logits, gold) if multi else F.cross_entropy(logits, gold)
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
            loss_sum += float(loss.detach()) * len(rows)
            with torch.no_grad():
                right += float(((logits > 0) == (gold > 0.5)).all(dim=1).sum() if multi else (logits.argmax(1) == gold).sum())
        yield epoch, time.perf_counter() - began, loss_sum / len(fit_rows), right / len(fit_rows)
