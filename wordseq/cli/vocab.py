"""wordseq vocab build / show."""

from __future__ import annotations

import click

from wordseq.cli.console import echo_json, log, reporter, warn
from wordseq.cli.options import json_option, output_option, preprocessing_options
from wordseq.text.preprocess import PreprocessConfig


@click.group()
def vocab() -> None:
    """Build and inspect vocabularies (word<TAB>count files)."""


@vocab.command("build")
@click.argument("corpus", nargs=-1, metavar="[CORPUS|-]...")
@output_option("the TSV")
@click.option("--min-count", type=click.IntRange(min=1), default=1, show_default=True, help="Drop words seen fewer times (they count as <unk>).")
@click.option("--max-size", type=click.IntRange(min=1), default=None, help="Keep at most this many words (most frequent first).")
@click.option("--cluster", default=None, metavar="ADDRESS", help="Count on a Dask cluster (tcp://HOST:8786 or local:N); each CORPUS file or glob is one shard.")
@preprocessing_options
def build(corpus: tuple[str, ...], output: str, min_count: int, max_size: int | None, cluster: str | None,
          preprocess: PreprocessConfig, encoding_errors: str) -> None:
    """Count the tokens of CORPUS files (or stdin) and write a vocabulary TSV.

    Lines are 'word<TAB>count', most frequent first (ties by word). The four specials
    come first: <pad> (count 0), <unk> (tokens dropped by --min-count / --max-size),
    <s> and </s> (number of sequences).

    \b
    wordseq vocab build corpus.txt --min-count 2 -o vocab.tsv
    """
    from wordseq.store import output_file
    from wordseq.text.reader import CorpusReader
    from wordseq.vocab import build_vocabulary

    if cluster is not None:
        from wordseq.ngram.budget import check_cluster_address
        from wordseq.ngram.cluster import cluster_vocabulary

        check_cluster_address(cluster)
        voc, replaced = cluster_vocabulary(list(corpus), cluster, preprocess, min_count=min_count, max_size=max_size,
                                           encoding_errors=encoding_errors, reporter=reporter())
    else:
        reader = CorpusReader(corpus, encoding_errors)
        voc = build_vocabulary(reader, preprocess, min_count=min_count, max_size=max_size, reporter=reporter())
        replaced = reader.replaced
    with output_file(output) as out:
        out.writelines(line + "\n" for line in voc.to_tsv_lines())
    if replaced:
        warn(f"replaced {replaced} invalid UTF-8 byte(s) with U+FFFD")
    cov = voc.coverage()
    log(f"{voc.num_words:,} words + 4 specials; coverage {cov.ratio:.2%} of {cov.tokens:,} tokens")


@vocab.command("show")
@click.argument("vocab_file", metavar="VOCAB")
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True, help="How many words to list (0: all).")
@json_option
def show(vocab_file: str, top: int, as_json: bool) -> None:
    """List the most frequent words of a vocabulary TSV with size and coverage.

    \b
    wordseq vocab show vocab.tsv --top 10
    """
    from wordseq.vocab import Vocabulary

    voc = Vocabulary.load(vocab_file)
    summary = voc.summary(top)
    if as_json:
        echo_json(summary)
        return
    for row in summary["top"]:
        click.echo(f"{row['word']}\t{row['count']}")
    log(f"{voc.num_words:,} words; coverage {summary['coverage']:.2%} of {summary['tokens']:,} tokens; "
        f"<unk> {summary['unk_tokens']:,}")
