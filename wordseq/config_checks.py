"""The base of every config dataclass, and the checks each applies to its values once,
where they are made.

``Config`` gives a frozen dataclass ``to_dict`` / ``from_dict``, the form meta.json and
checkpoints store it in; ``Record`` gives a result's dataclass ``to_dict`` (``--json``,
meta.json's history). The checks raise ``OptionError`` naming the option, so the CLI
reports a usage error (exit 2) and the Python API a ``WordseqError``; NaN and infinities
never get past them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, TypeVar

from wordseq.errors import OptionError

C = TypeVar("C", bound="Config")


class Record:
    """A dataclass written as a JSON object of its fields (tuples as lists)."""

    def to_dict(self) -> dict[str, Any]:
        """The fields by name, as ``json.dumps`` writes them."""
        fields = dataclasses.asdict(self)  # type: ignore[call-overload]
        return {name: list(v) if isinstance(v, tuple) else v for name, v in fields.items()}


class Config(Record):
    """A config dataclass: ``to_dict`` is what meta.json stores, ``from_dict`` reads it back."""

    @classmethod
    def from_dict(cls: type[C], d: Mapping[str, Any]) -> C:
        """The config ``d`` (a ``to_dict``) describes: keys that are no field (written by
        another version) are left out, a missing one takes its default (a field without
        one is a TypeError), and every value is checked again."""
        return cls(**cls.known_fields(d))

    @classmethod
    def known_fields(cls, d: Mapping[str, Any]) -> dict[str, Any]:
        """The items of ``d`` that are fields of this config, JSON lists back as tuples."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in names}


# every command's --seed default (gensim's): the same seed, whichever model is trained
DEFAULT_SEED = 1
DEVICES = ("auto", "cpu", "cuda")  # where a torch family runs (device.py)


def finite(option: str, value: float) -> float:
    """``value`` as a float; anything but a finite number is an OptionError naming ``option``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionError(option, f"expected a number, got {value!r}")
    if not math.isfinite(value):
        raise OptionError(option, f"must be a finite number, got {value}")
    return float(value)


def at_least(option: str, value: float, low: float) -> None:
    """A finite ``value`` >= ``low``, or an OptionError naming ``option``."""
    if finite(option, value) < low:
        raise OptionError(option, f"must be at least {low:g}, got {value:g}")


def above(option: str, value: float, low: float) -> None:
    """A finite ``value`` > ``low``, or an OptionError naming ``option``."""
    if finite(option, value) <= low:
        raise OptionError(option, f"must be greater than {low:g}, got {value:g}")


def within(option: str, value: float, low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> None:
    """A finite ``value`` in [low, high] (each end open on request), or an OptionError naming ``option``."""
    v = finite(option, value)
    if (v <= low if low_open else v < low) or (v >= high if high_open else v > high):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise OptionError(option, f"must be in {interval}, got {value:g}")


def one_of(option: str, value: Any, choices: tuple[str, ...]) -> None:
    """``value`` must be one of ``choices`` (an option such as --cell or --optimizer)."""
    if value not in choices:
        raise OptionError(option, f"choose one of {', '.join(choices)}, got {value!r}")


def count(option: str, value: int, low: int = 1, high: int | None = None) -> None:
    """A whole number (not a bool) in [low, high], or an OptionError naming ``option``."""
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
