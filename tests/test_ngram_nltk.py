"""Agreement with nltk.lm where its definitions match wordseq's.

Known nltk.lm deviations (so only the parts below are compared):
- nltk pads with n-1 ``<s>`` and counts ``<s>`` as a vocabulary word that can be
  predicted; wordseq (as KenLM) uses one ``<s>``, context only. We give nltk a vocabulary
  without ``<s>`` (so its ``<s>`` becomes ``<UNK>``, which the training text never has
  otherwise): then its |V| is wordseq's (words, ``</s>``, ``<unk>``) and its
  ``<UNK>``-contexts are wordseq's ``<s>``-contexts. nltk's doubled ``<s> <s>`` context
  is wordseq's ``<s>`` context, so it is left out.
- Witten-Bell: nltk's lowest level is the maximum-likelihood unigram; wordseq's
  interpolates it with the uniform distribution. Compared: the interpolation weights
  (alpha, gamma) of the highest order, where both use raw counts.
- Kneser-Ney: nltk uses one fixed discount (0.1) and a uniform lowest level without
  continuation unigrams. Compared: alpha and gamma of the highest order with wordseq's
  kneser-ney forced to the same discount.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest

from tests.conftest import CORPUS
from tests.ngram_toy import prob_after, probs_after, train
from wordseq.ngram.model import NgramModel

ORDER = 3


@pytest.fixture(scope="module")
def nltk_lm() -> ModuleType:
    """nltk.lm, imported by the tests that use it (it pulls in scipy.stats: seconds of
    start-up that every xdist worker would pay at collection)."""
    return pytest.importorskip("nltk.lm")


def _corpus() -> list[list[str]]:
    lines = CORPUS.read_text(encoding="utf-8", errors="replace").splitlines()[:6]
    return [line.lower().split()[:40] for line in lines]


def _nltk(cls, sents, **kw):  # type: ignore[no-untyped-def]
    kw = dict(kw)
    lm = cls(kw.pop("gamma"), ORDER) if "gamma" in kw else cls(ORDER, **kw)
    from nltk.lm.preprocessing import padded_everygram_pipeline

    train, _ = padded_everygram_pipeline(ORDER, sents)
    vocab_words = [w for s in sents for w in s] + ["</s>"]
    lm.fit(train, vocab_words)
    return lm


def _contexts(model: NgramModel) -> list[tuple[str, ...]]:
    grams = model.tables.entry_words(ORDER - 1)
    return [tuple(model.vocab.decode(g)) for g in grams.tolist() if model.vocab.eos_id not in g]


def _nltk_context(ctx: tuple[str, ...]) -> tuple[str, ...]:
    return tuple("<UNK>" if w == "<s>" else w for w in ctx)


def _words(model: NgramModel) -> list[str]:
    return [w for w in model.vocab.itos if w not in ("<pad>", "<s>")]


@pytest.mark.parametrize("smoothing,cls,kw", [("mle", "MLE", {}), ("add-k", "Lidstone", {"gamma": 0.5})])
def test_full_probabilities_agree(smoothing: str, cls: str, kw: dict, nltk_lm: ModuleType) -> None:
    sents = _corpus()
    mine = train(sents, order=ORDER, smoothing=smoothing, k=kw.get("gamma", 1.0))
    theirs = _nltk(getattr(nltk_lm, cls), sents, **kw)
    assert len(theirs.vocab) == len(_words(mine))
    words = _words(mine)
    contexts = _contexts(mine)[:60]
    for ctx in contexts:
        dist = probs_after(mine, list(ctx))  # the whole row once, not once a word
        got = [float(dist[mine.vocab.id(w)]) for w in words]
        want = [theirs.score("<UNK>" if w == "<unk>" else w, _nltk_context(ctx)) for w in words]
        assert np.allclose(got, want, rtol=1e-5, atol=1e-9), ctx  # float32 tables


def _alpha_gamma(model: NgramModel, ctx: tuple[str, ...], word: str) -> tuple[float, float]:
    t = model.tables
    c = t.index_of(np.array([model.vocab.encode(ctx)]))[0]
    gamma = 10 ** t.backoff[len(ctx) - 1][c]
    lower = prob_after(model, list(ctx[1:]), word)
    return prob_after(model, list(ctx), word) - gamma * lower, gamma


@pytest.mark.parametrize("smoothing", ["witten-bell", "kneser-ney"])
def test_highest_order_interpolation_weights_agree(smoothing: str, nltk_lm: ModuleType) -> None:
    sents = _corpus()
    if smoothing == "witten-bell":
        mine = train(sents, order=ORDER, smoothing=smoothing)
        theirs = _nltk(nltk_lm.WittenBellInterpolated, sents)
    else:
        mine = train(sents, order=ORDER, smoothing=smoothing, discount=0.1)
        theirs = _nltk(nltk_lm.KneserNeyInterpolated, sents, discount=0.1)
    contexts = [c for c in _contexts(mine) if c[0] != "<s>"][:40]
    for ctx in contexts:
        for w in ["the", "</s>", ctx[-1], "<unk>"]:
            alpha, gamma = _alpha_gamma(mine, ctx, w)
            n_alpha, n_gamma = theirs.estimator.alpha_gamma("<UNK>" if w == "<unk>" else w, ctx)
            assert gamma == pytest.approx(n_gamma, rel=1e-6), ctx
            assert alpha == pytest.approx(n_alpha, rel=1e-5, abs=1e-7), (ctx, w)  # float32 tables
