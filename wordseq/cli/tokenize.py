"""wordseq tokenize: raw text → one token sequence per line."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from typing import Any

import click

from wordseq.cli.console import log, progress, warn
from wordseq.cli.options import preprocessing_options, workers_option
from wordseq.errors import InputError
from wordseq.text.preprocess import PreprocessConfig


@click.command()
@click.argument("files", nargs=-1, metavar="[FILES|-]...")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout (replaced only when done).")
@workers_option(1)
@preprocessing_options
def tokenize(files: tuple[str, ...], output: str | None, workers: int, preprocess: PreprocessConfig, encoding_errors: str) -> None:
    """Tokenize raw text: one sequence per line, tokens separated by single spaces.

    Reads FILES (plain, .gz, .bz2 or .xz; '-' or nothing for stdin) and writes the format
    that word2vec, gensim and KenLM read. Each input line gives one output line (blank
    for a line with no tokens), or one line per sentence with --sentences.

    \b
    echo "The geese were running" | wordseq tokenize --lemmatize
    → the goose be run
    """
    from wordseq.store import atomic_file
    from wordseq.text.parallel import tokenize_lines
    from wordseq.text.reader import CorpusReader

    reader = CorpusReader(list(files) or ["-"], encoding_errors)
    sink: Any = atomic_file(output) if output else nullcontext(sys.stdout)
    lines_in = tokens = 0
    with sink as out, progress("tokenize", unit="lines") as bar:
        for text, n_tokens, n_lines in tokenize_lines(reader, preprocess, workers):
            out.write(text)
            lines_in += n_lines
            tokens += n_tokens
            bar.advance(n_lines)
        if lines_in == 0:
            raise InputError(f"{_names(files)}: input is empty")
        elapsed = bar.elapsed
    if reader.replaced:
        warn(f"replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")
    rate = tokens / elapsed if elapsed > 0 else 0.0
    log(f"{lines_in:,} lines, {tokens:,} tokens ({rate:,.0f} tokens/s)")


def _names(files: tuple[str, ...]) -> str:
    names = [("<stdin>" if f == "-" else f) for f in files] or ["<stdin>"]
    return ", ".join(names)
