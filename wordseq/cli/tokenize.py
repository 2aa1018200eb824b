"""wordseq tokenize: raw text → one token sequence per line."""

from __future__ import annotations

import click

from wordseq.cli.console import log, reporter, warn
from wordseq.cli.options import output_option, preprocessing_options, workers_option
from wordseq.text.preprocess import PreprocessConfig


@click.command()
@click.argument("files", nargs=-1, metavar="[FILES|-]...")
@output_option("the tokens")
@workers_option(1)
@preprocessing_options
def tokenize(files: tuple[str, ...], output: str, workers: int, preprocess: PreprocessConfig, encoding_errors: str) -> None:
    """Tokenize raw text: one sequence per line, tokens separated by single spaces.

    Reads FILES (plain, .gz, .bz2 or .xz; '-' or nothing for stdin) and writes the format
    that word2vec, gensim and KenLM read. Each input line gives one output line (blank
    for a line with no tokens), or one line per sentence with --sentences.

    \b
    echo "The geese were running" | wordseq tokenize --lemmatize
    → the goose be run
    """
    from wordseq.text.reader import CorpusReader
    from wordseq.text.tokenize import tokenize_corpus

    stats = tokenize_corpus(CorpusReader(files, encoding_errors), output, preprocess, workers=workers,
                            reporter=reporter())
    if stats.replaced:
        warn(f"replaced {stats.replaced} invalid UTF-8 byte(s) with U+FFFD")
    log(f"{stats.lines:,} lines, {stats.tokens:,} tokens ({stats.tokens_per_second:,.0f} tokens/s)")
