"""The ``wordseq`` command: a Click group whose commands live one group per module."""

from __future__ import annotations

import errno
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from wordseq import __version__
from wordseq.errors import OptionError, WordseqError


def _set_flag(name: str) -> Any:
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            root = ctx.find_root()
            root.ensure_object(dict)
            root.obj[name] = True

    return callback


def _global_flags() -> list[click.Option]:
    """-q / --debug, accepted after the command name too (``wordseq tokenize -q f``)."""
    return [
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, is_eager=True,
                     callback=_set_flag("quiet"), help="No progress or summaries on stderr."),
        click.Option(["--debug"], is_flag=True, expose_value=False, is_eager=True,
                     callback=_set_flag("debug"), help="Show full tracebacks on errors."),
    ]


class WordseqContext(click.Context):
    """A context that turns a library's OptionError raised while its own command runs into
    a usage error of that command: the message comes with the subcommand's usage line
    (``Usage: wordseq ngram train ...``), as click's own option errors do."""

    def invoke(self, callback: Any, /, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().invoke(callback, *args, **kwargs)
        except OptionError as exc:
            root = self.find_root()
            if root.obj and root.obj.get("debug"):
                raise
            raise click.UsageError(str(exc), self) from None


def _add_global_flags(command: click.Command) -> None:
    command.context_class = WordseqContext
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_global_flags(sub)
        return
    names = {opt for p in command.params for opt in getattr(p, "opts", [])}
    if "--debug" not in names:
        command.params.extend(_global_flags())


class WordseqGroup(click.Group):
    """Turns library errors into one ``Error: ...`` line and exit code 1 (2 for a bad
    option value), and gives every command the global flags."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _add_global_flags(cmd)
        super().add_command(cmd, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module, attribute = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        debug = lambda: bool(ctx.obj and ctx.obj.get("debug"))  # noqa: E731
        try:
            with _warnings_to_reporter():
                return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except OptionError as exc:
            if debug():
                raise
            raise click.UsageError(str(exc), ctx) from None
        except WordseqError as exc:
            if debug():
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except OSError as exc:
            if exc.errno == errno.EPIPE or debug():
                raise
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"Error: {exc.strerror or exc}{where}", err=True)
            ctx.exit(1)
        except Exception as exc:  # a bug: say so in one line unless --debug
            if debug():
                raise
            click.echo(
                f"Error: internal error ({type(exc).__name__}: {exc}); run with --debug for the traceback",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=WordseqGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="wordseq")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summaries on stderr (also after the command).")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors (also after the command).")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, debug: bool) -> None:
    """Word embeddings and language models from the shell.

    \b
    wordseq tokenize corpus.txt --lemmatize > tokens.txt
    wordseq train-embeddings corpus.txt && wordseq analogy king man woman
    wordseq ngram train corpus.txt --order 5
    wordseq lm train corpus.txt && wordseq generate --beam 5 --prompt "the"

    Data goes to stdout, progress and logs to stderr. Models named with -o NAME live in
    $WORDSEQ_HOME (default ~/.local/share/wordseq); a value with '/' is a path.
    """
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = ctx.obj.get("quiet", False) or quiet
    ctx.obj["debug"] = ctx.obj.get("debug", False) or debug


# command name -> (module, attribute): a command's module is imported only when the
# command runs (or --help lists it), so `wordseq ngram eval` does not load the others
COMMANDS = {
    "tokenize": ("wordseq.cli.tokenize", "tokenize"),
    "vocab": ("wordseq.cli.vocab", "vocab"),
    "train-embeddings": ("wordseq.cli.embeddings", "train_embeddings"),
    "analogy": ("wordseq.cli.embeddings", "analogy"),
    "similar": ("wordseq.cli.embeddings", "similar"),
    "eval": ("wordseq.cli.embeddings", "eval_"),
    "embeddings": ("wordseq.cli.embeddings", "embeddings"),
    "ngram": ("wordseq.cli.ngram", "ngram"),
    "lm": ("wordseq.cli.lm", "lm"),
    "generate": ("wordseq.cli.generate", "generate"),
    "models": ("wordseq.cli.models", "models"),
    "classify": ("wordseq.cli.classify", "classify"),
    "seq2seq": ("wordseq.cli.seq2seq", "seq2seq"),
    "transduce": ("wordseq.cli.seq2seq", "transduce"),
    "subword": ("wordseq.cli.subword", "subword"),
}


@contextmanager
def _warnings_to_reporter() -> Iterator[None]:
    """While a command runs, the library's own warnings (``WordseqWarning``: a deprecated
    setting, a high OOV rate) are one ``Warning:`` line each through the command's reporter,
    above any progress bars, each text once; other warnings go where they went."""
    from wordseq.cli.console import warn
    from wordseq.errors import WordseqWarning

    seen: set[str] = set()
    previous = warnings.showwarning

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        if not issubclass(category, WordseqWarning):
            previous(message, category, filename, lineno, file, line)
            return
        text = str(message).strip()
        if text not in seen:
            seen.add(text)
            warn(text)

    with warnings.catch_warnings():
        warnings.simplefilter("always", WordseqWarning)  # the reporter shows each text once
        warnings.showwarning = show
        yield


def _warnings_as_lines() -> None:
    """Library warnings (numpy, scipy, torch) become one ``Warning:`` line each, once."""
    seen: set[str] = set()

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        text = str(message).strip().splitlines()[0] if str(message).strip() else category.__name__
        if text not in seen:
            seen.add(text)
            click.echo(f"Warning: {text}", err=True)

    warnings.showwarning = show


def main() -> None:
    from wordseq.cli.startup import single_threaded_blas

    single_threaded_blas(sys.argv[1:])  # before anything imports numpy
    from wordseq.store import meta

    meta.command_line[:] = ["wordseq", *sys.argv[1:]]
    _warnings_as_lines()
    cli.main(prog_name="wordseq")
