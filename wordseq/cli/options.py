"""Option bundles shared by many commands (the ``[preprocessing]`` group, output modes)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from wordseq.text.preprocess import LEVELS, STEMMERS, PreprocessConfig
from wordseq.text.reader import ENCODING_ERRORS

_PREPROCESSING_KEYS = ("lower", "stem", "lemmatize", "stopwords", "sentences", "level", "pretokenized")


def preprocessing_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the preprocessing group; the command receives ``preprocess: PreprocessConfig``
    and ``encoding_errors: str``."""
    options = [
        click.option("--lower/--no-lower", default=True, show_default=True, help="Lowercase tokens."),
        click.option("--stem", type=click.Choice(STEMMERS), default=None, help="Stem tokens with an NLTK stemmer."),
        click.option("--lemmatize", is_flag=True, help="Reduce tokens to lemmas (simplemma, offline): geese → goose."),
        click.option("--stopwords", metavar="english|FILE", default=None, help="Drop stopwords: the built-in English list or one word per line from FILE."),
        click.option("--sentences", is_flag=True, help="Split lines into sentences: one sequence per sentence."),
        click.option("--level", type=click.Choice(LEVELS), default="word", show_default=True, help="Word tokens, or characters (a space becomes '▁')."),
        click.option("--pretokenized", is_flag=True, help="Input is one sequence per line, tokens separated by spaces: only split (and --lower)."),
        click.option("--encoding-errors", type=click.Choice(ENCODING_ERRORS), default="strict", show_default=True, help="On invalid UTF-8: stop with an error, or replace the bytes and go on."),
    ]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from wordseq.cli.startup import import_nltk_quickly

        settings = {k: kwargs.pop(k) for k in _PREPROCESSING_KEYS}
        kwargs["preprocess"] = PreprocessConfig(**settings)
        import_nltk_quickly(kwargs["preprocess"])
        return func(*args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(func)


def workers_option(default: int = 1) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--workers", type=click.IntRange(min=1), default=default, show_default=True,
        help="Processes to use.",
    )
