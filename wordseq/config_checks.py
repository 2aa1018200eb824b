"""Checks every config dataclass applies to its values, once, where they are made.

Each raises ``OptionError`` naming the option, so the CLI reports a usage error (exit 2)
and the Python API a ``WordseqError``; NaN and infinities never get past them.
"""

from __future__ import annotations

import math
from typing import Any

from wordseq.errors import OptionError

# every command's --seed default (gensim's): the same seed, whichever model is trained
DEFAULT_SEED = 1


def finite(option: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionError(option, f"expected a number, got {value!r}")
    if not math.isfinite(value):
        raise OptionError(option, f"must be a finite number, got {value}")
    return float(value)


def at_least(option: str, value: float, low: float) -> None:
    if finite(option, value) < low:
        raise OptionError(option, f"must be at least {low:g}, got {value:g}")


def above(option: str, value: float, low: float) -> None:
    if finite(option, value) <= low:
        raise OptionError(option, f"must be greater than {low:g}, got {value:g}")


def within(option: str, value: float, low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> None:
    v = finite(option, value)
    if (v <= low if low_open else v < low) or (v >= high if high_open else v > high):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise OptionError(option, f"must be in {interval}, got {value:g}")


def count(option: str, value: int, low: int = 1, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(option, f"expected a whole number, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise OptionError(option, f"must be {bound}, got {value}")


def unchanged_on_resume(given: dict[str, Any], saved: Any) -> None:
    """A resumed run keeps the network it was saved with: an option the caller gave (on the
    command line, or as a keyword) with another value than ``saved``'s is an OptionError
    naming each such option, rather than being ignored."""
    differ = [(name, value, getattr(saved, name)) for name, value in given.items()
              if hasattr(saved, name) and value != getattr(saved, name)]
    if not differ:
        return
    listed = ", ".join(f"{_as_option(name, value)} (saved: {_as_option(name, old) if isinstance(old, bool) else old})"
                       for name, value, old in differ)
    raise OptionError(_as_option(differ[0][0], None), f"differs from the run being resumed: {listed}; --resume keeps "
                      "the saved network: leave these out, or train anew without --resume")


def _as_option(name: str, value: Any) -> str:
    """How the command line spells ``name=value`` (``--hidden 64``, ``--no-tie``)."""
    flag = "--" + name.replace("_", "-")
    if value is None:
        return flag
    if isinstance(value, bool):
        return flag if value else "--no-" + flag[2:]
    return f"{flag} {value}"
