"""Option bundles shared by many commands: preprocessing, models, outputs, printing modes.

Choice lists come from the library's dependency-free constants; values are checked by the
library's configs (an out-of-range value is a usage error, exit 2).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from wordseq.store.meta import KINDS
from wordseq.text.preprocess import LEVELS, STEMMERS, PreprocessConfig
from wordseq.text.reader import ENCODING_ERRORS

Decorator = Callable[[Any], Any]
_PREPROCESSING_KEYS = ("lower", "stem", "lemmatize", "stopwords", "sentences", "level", "pretokenized", "lang")
_LANG_HELP = ("Language of the text, an ISO 639-1 code (e.g. --lang de): its tokenizer, sentences, --lemmatize, "
              "--stem snowball and --stopwords lang. Default: en.")


def _apply(func: Callable[..., Any], options: list[Decorator]) -> Callable[..., Any]:
    for option in reversed(options):
        func = option(func)
    return func


def _encoding_errors_option() -> Decorator:
    return click.option("--encoding-errors", type=click.Choice(ENCODING_ERRORS), default="strict", show_default=True,
                        help="On invalid UTF-8: stop with an error, or replace the bytes and go on.")


def preprocessing_options(func: Callable[..., Any], tokenizes: bool = True) -> Callable[..., Any]:
    """Add the [preprocessing] group; the command receives ``preprocess: PreprocessConfig``
    and ``encoding_errors: str``. ``tokenizes=False`` (see ``recorded_preprocessing_options``):
    the command only records the settings, so NLTK is not loaded ahead."""
    options = [
        click.option("--lower/--no-lower", default=True, show_default=True, help="Lowercase tokens."),
        click.option("--stem", type=click.Choice(STEMMERS), default=None, help="Stem tokens: porter or lancaster (English, NLTK), snowball (the --lang language's Snowball stemmer)."),
        click.option("--lemmatize", is_flag=True, help="Reduce tokens to lemmas (simplemma, offline): geese → goose."),
        click.option("--stopwords", metavar="english|lang|NAME|FILE", default=None,
                     help="Drop stopwords: the built-in English list, 'lang' for the --lang language's list, a list by name "
                          "(german, french, ...) or one word per line from FILE."),
        click.option("--sentences", is_flag=True, help="Split lines into sentences: one sequence per sentence."),
        click.option("--level", type=click.Choice(LEVELS), default="word", show_default=True, help="Word tokens, characters (a space becomes '▁'), or subword units (with --subword)."),
        click.option("--subword", "subword_name", default=None, metavar="NAME", help="With --level subword: the units of this subword model (wordseq subword train)."),
        click.option("--pretokenized", is_flag=True, help="Input is one sequence per line, tokens separated by spaces: only split (and --lower)."),
        click.option("--lang", metavar="CODE", default="en", help=_LANG_HELP),
        _encoding_errors_option(),
    ]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from wordseq.cli.startup import import_nltk_quickly

        settings = {k: kwargs.pop(k) for k in _PREPROCESSING_KEYS}
        settings["subword"] = _subword_model(kwargs.pop("subword_name"), settings["level"])
        kwargs["preprocess"] = PreprocessConfig(**settings)
        if tokenizes:
            import_nltk_quickly(kwargs["preprocess"])
        return func(*args, **kwargs)

    return _apply(wrapper, options)


def recorded_preprocessing_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The [preprocessing] group for a command that stores the settings with a model it
    does not tokenize for (``ngram import``): NLTK's 0.4 s import is left to the commands
    that later read text for that model."""
    return preprocessing_options(func, tokenizes=False)


def _subword_model(name: str | None, level: str) -> Any:
    """The tokenizer of the subword model --subword names (None without it)."""
    if name is None:
        return None
    if level != "subword":
        raise click.UsageError(f"--subword needs --level subword (the level is {level})")
    from wordseq.store import load

    return load(name, "subword")


def preprocessing_override_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """For commands that read text for a trained model: by default the model's own
    preprocessing; these options override parts of it. The command receives
    ``preprocess_overrides: dict`` and ``encoding_errors: str``."""
    options = [
        click.option("--lower/--no-lower", default=None, help="Override the model's lowercasing."),
        click.option("--stem", type=click.Choice((*STEMMERS, "none")), default=None, help="Override the model's stemmer."),
        click.option("--lemmatize/--no-lemmatize", default=None, help="Override the model's lemmatizing."),
        click.option("--stopwords", metavar="english|lang|NAME|FILE|none", default=None, help="Override the model's stopwords."),
        click.option("--sentences/--no-sentences", default=None, help="Override the model's sentence splitting."),
        click.option("--pretokenized/--raw", default=None, help="The text is (or is not) already space-separated tokens."),
        click.option("--lang", metavar="CODE", default=None, help="Override the model's language (e.g. --lang de)."),
        _encoding_errors_option(),
    ]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        overrides = {k: kwargs.pop(k) for k in ("lower", "stem", "lemmatize", "stopwords", "sentences", "pretokenized", "lang")}
        overrides = {k: v for k, v in overrides.items() if v is not None}
        for key in ("stem", "stopwords"):
            if overrides.get(key) == "none":
                overrides[key] = None
        kwargs["preprocess_overrides"] = overrides
        return func(*args, **kwargs)

    return _apply(wrapper, options)


def model_option(*kinds: str, required_help: str = "") -> Decorator:
    """-m / --model: a NAME, kind/NAME or PATH of one of ``kinds``."""
    what = " or ".join(kinds) if set(kinds) != set(KINDS) else "any"
    extra = ", or an .arpa file" if "ngram" in kinds else ""
    return click.option("-m", "--model", "model_name", default=None, metavar="NAME|PATH",
                        help=f"The {what} model: NAME, kind/NAME or PATH{extra}. Default: 'default'. {required_help}".rstrip())


def output_model_option(kind: str) -> Decorator:
    """-o / --output for commands that save a model."""
    return click.option("-o", "--output", default=None, metavar="NAME|PATH",
                        help=f"Save the {kind} model as NAME (in $WORDSEQ_HOME) or at PATH. Default: 'default'.")


def output_option(what: str = "the output") -> Decorator:
    """-o / --output for commands that write a file (default stdout)."""
    return click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
                        help=f"Write {what} to FILE ('-' for stdout); a file is replaced only when complete.")


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(func)


def per_line_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--per-line / --nl for commands that score lines: one output line per input line."""
    return _apply(func, [
        click.option("--per-line", is_flag=True, help="One output line per input line (blank lines too), summary on stderr."),
        click.option("--nl", is_flag=True, help="One JSON object per input line (with its line number), summary on stderr."),
    ])


def log_interval_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--log-interval", type=click.IntRange(min=0), default=200, show_default=True,
                        help="When stderr is not a terminal: a progress line every N batches (0: none).")(func)


def workers_option(default: int = 1) -> Decorator:
    return click.option(
        "--workers", type=click.IntRange(min=1), default=default, show_default=True,
        help="Processes to use.",
    )


def threads_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--threads``: torch's CPU threads for a training run (``training.torch_threads``)."""
    return click.option("--threads", type=click.IntRange(0, 1024), default=0, show_default=True,
                        help="torch CPU threads (0: torch's default, one per core). On a busy machine 1 or 2 can be "
                             "several times faster.")(func)


def device_option(func: Callable[..., Any]) -> Callable[..., Any]:
    from wordseq.config_checks import DEVICES

    return click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True,
                        help="auto: CUDA when present, else CPU.")(func)
