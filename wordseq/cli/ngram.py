"""wordseq ngram train / eval / export / import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from wordseq.cli.console import echo_json, log, reporter, warn
from wordseq.cli.options import json_option, preprocessing_options
from wordseq.cli.startup import import_nltk_quickly
from wordseq.text.preprocess import PreprocessConfig

SMOOTHING_CHOICES = ("modified-kneser-ney", "kneser-ney", "witten-bell", "add-k", "mle", "stupid-backoff")


@click.group()
def ngram() -> None:
    """N-gram language models: Kneser-Ney and friends, ARPA in and out."""


def _load(name: str | None) -> Any:
    """A model NAME or PATH, or an ARPA file."""
    from wordseq.store import load

    return load(name, "ngram")


@ngram.command("train")
@click.argument("corpus", nargs=-1, metavar="[CORPUS|-]...")
@click.option("-o", "--output", default=None, help="Model NAME or PATH (default: 'default').")
@click.option("--order", type=int, default=3, show_default=True, help="N of the n-grams (1-9).")
@click.option("--smoothing", type=click.Choice(SMOOTHING_CHOICES), default="modified-kneser-ney", show_default=True)
@click.option("--k", type=float, default=1.0, show_default=True, help="Pseudo-count of add-k (1: Laplace).")
@click.option("--min-count", type=int, default=1, show_default=True, help="Words seen fewer times become <unk>.")
@click.option("--discount-fallback", is_flag=True, help="Kneser-Ney: use discounts 0.5 1 1.5 where the corpus gives invalid ones (as KenLM).")
@click.option("--discount", type=float, default=None, help="kneser-ney: one fixed discount D in (0, 1) at every order instead of estimating it.")
@preprocessing_options
def train(corpus: tuple[str, ...], output: str | None, order: int, smoothing: str, k: float, min_count: int,
          discount_fallback: bool, discount: float | None, preprocess: PreprocessConfig, encoding_errors: str) -> None:
    """Train an n-gram model on CORPUS files ('-' for stdin).

    Every line (or sentence, with --sentences) is one sequence between <s> and </s>.

    \b
    wordseq ngram train corpus.txt --order 5 -o news5
    wordseq ngram train names.txt --level char --order 4 --smoothing witten-bell
    """
    from dataclasses import asdict

    from wordseq.ngram.storage import write_payload
    from wordseq.ngram.train import NgramConfig, train_ngram
    from wordseq.progress import track
    from wordseq.store import DEFAULT_NAME, new_meta, writing
    from wordseq.text.preprocess import Preprocessor
    from wordseq.text.reader import CorpusReader

    config = NgramConfig(order=order, smoothing=smoothing, k=k, min_count=min_count,
                          discount_fallback=discount_fallback, discount=discount)
    reader = CorpusReader(list(corpus), encoding_errors)
    pre = Preprocessor(preprocess)
    with writing(output or DEFAULT_NAME, "ngram") as writer:
        assert writer is not None
        with reporter().task("counting", unit="lines") as bar:
            model, figures = train_ngram(pre.iter_sequences(track(bar, reader)), config, preprocess)
        if reader.replaced:
            warn(f"replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")
        if figures.discount_fallback_orders:
            warn(f"fallback discounts used for order(s) {', '.join(map(str, figures.discount_fallback_orders))}")
        if figures.skipped_markers:
            warn(f"skipped {figures.skipped_markers} literal <s> / </s> / <pad> token(s): sentence markers are added per line")
        summary = (f"order-{order} {smoothing}, {figures.vocab_size:,} words, {figures.tokens:,} tokens, "
                   f"{preprocess.describe()}")
        meta = new_meta(
            "ngram",
            preprocessing=preprocess.to_dict(),
            config=asdict(config),
            corpus=[s.to_dict() for s in reader.sources],
            training=figures.to_dict(),
            summary=summary,
        )
        target = writer.commit(meta, lambda folder: write_payload(model, folder))
    sizes = " ".join(f"{n}-grams={c:,}" for n, c in enumerate(figures.ngrams, 1))
    log(f"{figures.sentences:,} sequences, {figures.tokens:,} tokens; {sizes}; {figures.seconds:.2f} s")
    log(f"saved {target}")


@ngram.command("eval")
@click.argument("text", nargs=-1, metavar="[TEXT|-]...")
@click.option("-m", "--model", "model_name", default=None, help="Model NAME or PATH, or an .arpa file.")
@click.option("--per-line", is_flag=True, help="Score of each sequence: log10 prob, perplexity, tokens, OOVs (summary on stderr).")
@click.option("--encoding-errors", type=click.Choice(("strict", "replace")), default="strict", show_default=True)
@json_option
def eval_(text: tuple[str, ...], model_name: str | None, per_line: bool, encoding_errors: str, as_json: bool) -> None:
    """Perplexity of TEXT files, including and excluding OOVs (as KenLM's query).

    TEXT goes through the model's own preprocessing. </s> counts as a token; an OOV word
    is scored as <unk>.
    """
    from wordseq.text.preprocess import Preprocessor
    from wordseq.text.reader import CorpusReader

    model = _load(model_name)
    reader = CorpusReader(list(text), encoding_errors)
    import_nltk_quickly(model.preprocess)
    pre = Preprocessor(model.preprocess)
    report, lines = model.perplexity(pre.iter_sequences(reader), per_line=per_line)
    if as_json:
        doc: dict[str, Any] = {"model": model_name or "default", "order": model.order, **report.to_dict()}
        if per_line:
            doc["per_line"] = [
                {"logprob_log10": s.logprob_log10, "perplexity": s.perplexity, "tokens": s.tokens, "oov": s.oov}
                for s in lines
            ]
        echo_json(doc)
        return
    if per_line:
        for s in lines:
            click.echo(f"{s.logprob_log10:.4f}\t{s.perplexity:.4f}\t{s.tokens}\t{s.oov}")
        log("\n".join(report.lines()))
        return
    for line in report.lines():
        click.echo(line)


@ngram.command("export")
@click.argument("model_name", metavar="MODEL")
@click.argument("out", metavar="OUT.arpa")
def export(model_name: str, out: str) -> None:
    """Write MODEL as an ARPA file ('-' for stdout) that KenLM and SRILM read."""
    from wordseq.ngram.arpa import write_arpa
    from wordseq.ngram.storage import check_exportable
    from wordseq.store import output_file

    model = _load(model_name)
    check_exportable(model)
    if model.smoothing == "stupid-backoff":
        warn("stupid-backoff values are scores, not probabilities; tools reading the ARPA file will treat them as log10 probabilities")
    with output_file(out) as fh:
        write_arpa(model.tables, fh)
    sizes = " ".join(f"{n}-grams={c:,}" for n, c in enumerate(model.tables.sizes(), 1))
    log(f"wrote {'<stdout>' if out == '-' else out}: {sizes}")


@ngram.command("import")
@click.argument("arpa_file", metavar="FILE.arpa")
@click.option("-o", "--output", default=None, help="Model NAME or PATH (default: 'default').")
@preprocessing_options
def import_(arpa_file: str, output: str | None, preprocess: PreprocessConfig, encoding_errors: str) -> None:
    """Store an ARPA file (KenLM, SRILM, wordseq; .gz too) as a wordseq model.

    The preprocessing options say how text given to this model is tokenized (e.g.
    --pretokenized for a model trained on pre-tokenized text).
    """
    from wordseq.ngram.arpa import read_arpa
    from wordseq.ngram.model import NgramModel
    from wordseq.ngram.storage import write_payload
    from wordseq.store import DEFAULT_NAME, new_meta, writing
    from wordseq.text.reader import SourceStats, check_readable

    check_readable(arpa_file)
    with writing(output or DEFAULT_NAME, "ngram") as writer:
        assert writer is not None
        tables = read_arpa(arpa_file)
        model = NgramModel(tables, preprocess, "")
        sizes = tables.sizes()
        meta = new_meta(
            "ngram",
            preprocessing=preprocess.to_dict(),
            config={"order": tables.order, "smoothing": "", "imported_from": arpa_file},
            corpus=[SourceStats(name=arpa_file, bytes=Path(arpa_file).stat().st_size).to_dict()],
            training={"ngrams": sizes, "vocab_size": tables.vocab.num_words},
            summary=f"order-{tables.order} ARPA import, {tables.vocab.num_words:,} words",
        )
        target = writer.commit(meta, lambda folder: write_payload(model, folder))
    log(f"imported {arpa_file}: {' '.join(f'{n}-grams={c:,}' for n, c in enumerate(sizes, 1))}; saved {target}")
