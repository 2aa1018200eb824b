"""The ``wordseq`` command: a Click group whose commands live one group per module."""

from __future__ import annotations

import errno
import sys
from typing import Any

import click

from wordseq import __version__
from wordseq.errors import WordseqError


class WordseqGroup(click.Group):
    """Turns library errors into one ``Error: ...`` line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except WordseqError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except OSError as exc:
            if exc.errno == errno.EPIPE or (ctx.obj and ctx.obj.get("debug")):
                raise
            click.echo(f"Error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            ctx.exit(1)
        except Exception as exc:  # a bug: say so in one line unless --debug
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                f"Error: internal error ({type(exc).__name__}: {exc}); run with --debug for the traceback",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=WordseqGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="wordseq")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summaries on stderr.")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
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
    ctx.obj["quiet"] = quiet
    ctx.obj["debug"] = debug


def _register() -> None:
    from wordseq.cli import classify, embeddings, generate, lm, models, ngram, tokenize, vocab

    cli.add_command(tokenize.tokenize)
    cli.add_command(vocab.vocab)
    cli.add_command(embeddings.train_embeddings)
    cli.add_command(embeddings.analogy)
    cli.add_command(embeddings.similar)
    cli.add_command(embeddings.eval_)
    cli.add_command(embeddings.embeddings)
    cli.add_command(ngram.ngram)
    cli.add_command(lm.lm)
    cli.add_command(generate.generate)
    cli.add_command(models.models)
    cli.add_command(classify.classify)


_register()


def main() -> None:
    cli.main(prog_name="wordseq")
