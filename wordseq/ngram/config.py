"""The n-gram model's settings: one frozen dataclass, checked once, stored in meta.json.

Dependency-free (no numpy), so the CLI takes its choice lists from here and starts fast.
"""

from __future__ import annotations

from dataclasses import dataclass

from wordseq.config_checks import Config, above, count, within
from wordseq.errors import OptionError

SMOOTHINGS = ("modified-kneser-ney", "kneser-ney", "witten-bell", "add-k", "mle", "stupid-backoff")
NORMALISED = ("modified-kneser-ney", "kneser-ney", "witten-bell", "add-k", "mle")
MAX_ORDER = 9


@dataclass(frozen=True)
class NgramConfig(Config):
    """Hyper-parameters of an n-gram model (stored in meta.json as ``config``).

    Parameters
    ----------
    order
        N, 1 to 9.
    smoothing
        One of ``SMOOTHINGS``.
    k
        Add-k's pseudo-count (> 0).
    min_count
        Words seen fewer times become ``<unk>`` before counting.
    discount_fallback
        Kneser-Ney: discounts 0.5 1 1.5 where the corpus gives invalid ones (lmplz).
    discount
        kneser-ney: one fixed discount in (0, 1) at every order.
    prune
        lmplz ``--prune``: per-order count thresholds, non-decreasing, the last one
        repeated for the higher orders (``(0, 1, 1)`` drops singleton 2- and 3-grams).
    vocab_file
        Keep only the words of this file (whitespace-separated), as lmplz
        ``--limit_vocab_file``; the rest become ``<unk>``.
    max_vocab
        Keep only the N most frequent words; the rest become ``<unk>``.

    Examples
    --------
    >>> NgramConfig(order=5, prune=(0, 1)).prune_thresholds()
    (0, 1, 1, 1, 1)
    """

    order: int = 3
    smoothing: str = "modified-kneser-ney"
    k: float = 1.0
    min_count: int = 1
    discount_fallback: bool = False
    discount: float | None = None
    prune: tuple[int, ...] = ()
    vocab_file: str | None = None
    max_vocab: int | None = None

    def __post_init__(self) -> None:
        count("--order", self.order, 1, MAX_ORDER)
        if self.smoothing not in SMOOTHINGS:
            raise OptionError("--smoothing", f"unknown smoothing {self.smoothing!r}; choose one of {', '.join(SMOOTHINGS)}")
        above("--k", self.k, 0)
        if self.discount is not None:
            within("--discount", self.discount, 0, 1, low_open=True, high_open=True)
        count("--min-count", self.min_count, 1)
        object.__setattr__(self, "prune", tuple(self.prune or ()))
        _check_prune(self.prune, self.order)
        if self.max_vocab is not None:
            count("--max-vocab", self.max_vocab, 1)
        if self.max_vocab is not None and self.vocab_file is not None:
            raise OptionError("--vocab", "--vocab and --max-vocab both limit the vocabulary; give one of them")
        if self.smoothing == "add-k" and (any(self.prune) or self.vocab_file or self.max_vocab):
            raise OptionError("--prune", "--prune, --vocab and --max-vocab need a backoff model; add-k gives every "
                                         "unseen word of a context one fixed probability, so it cannot drop n-grams")

    def prune_thresholds(self) -> tuple[int, ...] | None:
        """One threshold per order (the last one given repeats), or None for no pruning."""
        if not any(self.prune):
            return None
        return self.prune + (self.prune[-1],) * (self.order - len(self.prune))


QUANTIZE_BITS = (8,)


def check_quantize(bits: int) -> None:
    """``--quantize``: the bits of a stored value (8, as KenLM's ``-q 8 -b 8``)."""
    if isinstance(bits, bool) or bits not in QUANTIZE_BITS:
        raise OptionError("--quantize", f"{bits!r} is not supported: give 8 (256 bins per order, as KenLM's -q 8 -b 8)")


def _check_prune(prune: tuple[int, ...], order: int) -> None:
    if not prune:
        return
    for x in prune:
        count("--prune", x, 0)
    if len(prune) > order:
        raise OptionError("--prune", f"{len(prune)} thresholds for a model of order {order}")
    if any(b < a for a, b in zip(prune, prune[1:])):
        raise OptionError(
            "--prune", f"thresholds must not decrease (got {' '.join(map(str, prune))}): a higher-order n-gram "
                       "would stay while the shorter one it needs as context is dropped (as lmplz requires)"
        )
