"""Settings a user gets without giving options, chosen by the size of the corpus.

A language model's best size and regularisation depend on how much text there is: a
network big enough for a million words over-fits ten thousand, and one small enough for
ten thousand learns little from a million. ``recommend`` picks, for the number of
training tokens and the vocabulary size, the settings every option the user did not
give takes. They were tuned on the Brown corpus and its subsets (see the README's
benchmark table) for a model that clearly beats a 5-gram within minutes on a laptop
CPU: a tied LSTM with AWD-LSTM's dropouts, trained with Adam, the learning rate divided
by 4 as soon as a validation check (several per epoch on a large corpus) stops
improving, and an adaptive softmax once the vocabulary is large (on a 100 k to 500 k-token
corpus: once it has a band beyond the head). Every corpus up to a
few million tokens gets about the same number of token passes (``epochs_for``: 36
epochs of 100 k tokens, 4 of 1 M) as a cap, and the run is meant to end before it, on
its validation curve: stalls cut the rate, and ``patience`` stalls end the run.

Every value taken from here is written to meta.json with the others, so a model never
depends on these tables to be rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wordseq.neural.config import default_cutoffs

ADAPTIVE_FROM = 20_000  # vocabulary size from which the adaptive softmax is the default (lower on 100-500 k tokens: _adaptive)
CHECK_TOKENS = 250_000  # training tokens between validation checks on large corpora


@dataclass(frozen=True)
class Recommendation:
    """The model and training settings chosen for a corpus's size, and the size tier's name."""

    model: dict[str, Any]
    train: dict[str, Any]
    tier: str

    def describe(self) -> str:
        return self.tier


TOKEN_PASSES = 3_600_000  # training tokens a run may see in all, whatever the corpus's size
MIN_EPOCHS, MAX_EPOCHS = 1, 60
MEDIUM_FROM, MEDIUM_UPPER_FROM, LARGE_FROM = 100_000, 500_000, 5_000_000


def epochs_for(tokens: int) -> int:
    """The epoch cap for a corpus of ``tokens``: about ``TOKEN_PASSES`` token passes, so
    a 100 k-token corpus gets 36 epochs and Brown's 1 M gets 4. The cap is a budget
    (about 15 minutes of two CPU cores for the models below); the run itself is meant
    to end before it, on its validation curve (``patience``, the rate annealed)."""
    return max(MIN_EPOCHS, min(MAX_EPOCHS, round(TOKEN_PASSES / max(tokens, 1))))


def _tier(tokens: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
    if tokens < MEDIUM_FROM:
        return ("small corpus (under 100 k tokens)",
                {"layers": 2, "emb": 200, "hidden": 200, "tie": True, "dropout": 0.4, "dropout_input": 0.4,
                 "dropout_between": 0.25, "dropout_embedding": 0.1, "weight_drop": 0.3},
                {"epochs": 20, "optimizer": "adam", "lr": 0.002, "batch_size": 20})
    if tokens < MEDIUM_UPPER_FROM:
        # 200 k tokens: a 2x200 LSTM with output dropout 0.5 over 12+ epochs is 28 % below
        # MKN-5, where the 2x400 of Brown's size with 4 epochs was 15 % below (issue 24).
        # Batch 20, not 40: on 100 k tokens (adaptive softmax) twice the updates cost 1.25x
        # the time an epoch and were ahead per CPU-second (validation 174 after two epochs
        # against 177 after three)
        return ("medium corpus (100 k to 500 k tokens)",
                {"layers": 2, "emb": 200, "hidden": 200, "tie": True, "dropout": 0.5, "dropout_input": 0.3,
                 "dropout_between": 0.2, "dropout_embedding": 0.05, "weight_drop": 0.2},
                {"epochs": epochs_for(tokens), "optimizer": "adam", "lr": 0.003, "batch_size": 20})
    if tokens < LARGE_FROM:
        # Brown (1.1 M tokens): best validation perplexity after about 4 epochs; it starts
        # to over-fit in the third, and AWD-LSTM's full dropout pays only over many more
        return ("medium corpus (500 k to 5 M tokens)",
                {"layers": 2, "emb": 400, "hidden": 400, "tie": True, "dropout": 0.3, "dropout_input": 0.3,
                 "dropout_between": 0.2, "dropout_embedding": 0.05, "weight_drop": 0.2},
                {"epochs": epochs_for(tokens), "optimizer": "adam", "lr": 0.003, "batch_size": 40})
    return ("large corpus (5 M tokens or more)",
            {"layers": 2, "emb": 512, "hidden": 1024, "tie": True, "dropout": 0.1, "dropout_input": 0.1,
             "dropout_between": 0.1, "dropout_embedding": 0.0, "weight_drop": 0.0},
            {"epochs": 2, "optimizer": "adam", "lr": 0.002, "batch_size": 64})


def _transformer(tokens: int) -> tuple[dict[str, Any], dict[str, Any]]:
    small = tokens < 100_000
    model = {"layers": 2 if small else 4, "emb": 128 if small else 256, "hidden": 512 if small else 1024,
             "heads": 4, "tie": True, "dropout": 0.3 if small else 0.2}
    return model, {"optimizer": "adam", "lr": 0.001}


def _adaptive(tokens: int, vocab_size: int) -> bool:
    """The adaptive softmax from ``ADAPTIVE_FROM`` words; on a corpus of the 2x200 tier
    (100 k to 500 k tokens) as soon as the vocabulary has a band beyond the 2,000-word head
    (3,000 words). There the 200-unit LSTM is cheap and the full softmax over 6 k to 12 k
    words was about two thirds of the arithmetic, while the run needs some 30 epochs of
    100 k tokens: on 100 k tokens (6,149 words) the adaptive one had the full one's
    validation perplexity by epoch (200.5 against 199.1 after two) at 2 to 3 times its
    speed. Larger tiers keep their tuned choice; their vocabularies mostly pass 20,000."""
    if vocab_size >= ADAPTIVE_FROM:
        return True
    return MEDIUM_FROM <= tokens < MEDIUM_UPPER_FROM and bool(default_cutoffs(vocab_size))


def recommend(train_tokens: int, vocab_size: int, cell: str = "lstm") -> Recommendation:
    """The settings for a corpus of ``train_tokens`` with ``vocab_size`` entries.

    Examples
    --------
    >>> r = recommend(1_100_000, 26_000)
    >>> r.model["emb"], r.model["softmax"], r.train["optimizer"]
    (400, 'adaptive', 'adam')
    """
    tier, model, train = _tier(train_tokens)
    if cell == "transformer":
        t_model, t_train = _transformer(train_tokens)
        model, train = t_model, {**train, **t_train}
    model = {**model, "softmax": "adaptive" if _adaptive(train_tokens, vocab_size) else "full"}
    # several checks an epoch on a large corpus: one noisy check must not cut the rate.
    # The run ends on its curve: each stall divides the rate by 4, and it stops once the
    # divided rate brings nothing either (a check that gains under MIN_GAIN is a stall)
    # A corpus checked several times an epoch (Brown's 1 M: 4 epochs, the rate annealed at
    # every check of the last one: 0.72x MKN-5) also keeps the final annealing, in case its
    # curve has not ended by the cap.
    frequent = round(train_tokens / CHECK_TOKENS) >= 2
    train = {**train, "anneal_after": 2 if frequent else 1, "patience": 4 if frequent else 3, "final_anneal": frequent}
    return Recommendation(model, train, tier)


def checks_every(train_tokens: int, batch_size: int, bptt: int) -> int:
    """Batches between validation checks: one check per ``CHECK_TOKENS`` training tokens
    on a large corpus (so the learning rate falls as soon as it stops helping), only the
    end-of-epoch check on a small one (0)."""
    checks = round(train_tokens / CHECK_TOKENS)
    if checks < 2:
        return 0
    return max(1, train_tokens // (batch_size * bptt) // checks)
