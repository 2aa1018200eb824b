"""wordseq vocab build / show."""

from __future__ import annotations

import sys
from contextlib import nullcontext
from typing import Any

import click

from wordseq.cli.console import echo_json, log, progress
from wordseq.cli.options import json_option, preprocessing_options
from wordseq.errors import InputError
from wordseq.text.preprocess import PreprocessConfig


@click.group()
def vocab() -> None:
    """Build and inspect vocabularies (word<TAB>count files)."""


@vocab.command("build")
@click.argument("corpus", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the TSV here instead of stdout.")
@click.option("--min-count", type=int, default=1, show_default=True, help="Drop words seen fewer times (they count as <unk>).")
@click.option("--max-size", type=int, default=None, help="Keep at most this many words (most frequent first).")
@preprocessing_options
def build(corpus: tuple[str, ...], output: str | None, min_count: int, max_size: int | None, preprocess: PreprocessConfig, encoding_errors: str) -> None:
    """Count the tokens of CORPUS files and write a vocabulary TSV.

    Lines are 'word<TAB>count', most frequent first (ties by word). The four specials
    come first: <pad> (count 0), <unk> (tokens dropped by --min-count / --max-size),
    <s> and </s> (number of sequences).
    """
    from wordseq.store import atomic_file
    from wordseq.text.preprocess import Preprocessor
    from wordseq.text.reader import CorpusReader
    from wordseq.vocab import Vocabulary

    reader = CorpusReader(list(corpus), encoding_errors)
    pre = Preprocessor(preprocess)
    with progress("counting", unit="lines") as bar:
        voc = Vocabulary.build(pre.iter_sequences(bar.track(reader)), min_count=min_count, max_size=max_size)
    if reader.total_lines == 0:
        raise InputError(f"{', '.join(corpus)}: input is empty")
    cov = voc.coverage()
    if cov.tokens == 0:
        raise InputError(f"{', '.join(corpus)}: no tokens found")
    sink: Any = atomic_file(output) if output else nullcontext(sys.stdout)
    with sink as out:
        for line in voc.to_tsv_lines():
            out.write(line + "\n")
    log(f"{voc.num_words:,} words + 4 specials; coverage {cov.ratio:.2%} of {cov.tokens:,} tokens")


@vocab.command("show")
@click.argument("vocab_file", metavar="VOCAB", type=click.Path(dir_okay=False))
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True, help="How many words to list (0: all).")
@json_option
def show(vocab_file: str, top: int, as_json: bool) -> None:
    """List the most frequent words of a vocabulary TSV with size and coverage."""
    from wordseq.vocab import SPECIALS, Vocabulary

    voc = Vocabulary.load(vocab_file)
    cov = voc.coverage()
    words = voc.words()[: top or None]
    counts = voc.counts[len(SPECIALS) :][: top or None]
    total = cov.tokens or 1
    if as_json:
        echo_json(
            {
                "size": voc.num_words,
                "specials": list(SPECIALS),
                "tokens": cov.tokens,
                "coverage": cov.ratio,
                "unk_tokens": voc.counts[voc.unk_id],
                "top": [
                    {"rank": i + 1, "word": w, "count": c, "share": c / total}
                    for i, (w, c) in enumerate(zip(words, counts))
                ],
            }
        )
        return
    for w, c in zip(words, counts):
        click.echo(f"{w}\t{c}")
    log(f"{voc.num_words:,} words; coverage {cov.ratio:.2%} of {cov.tokens:,} tokens; <unk> {voc.counts[voc.unk_id]:,}")
