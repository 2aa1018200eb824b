"""wordseq ngram train / eval / export / import / vocab / mix."""

from __future__ import annotations

import json
import re
import sys
from contextlib import nullcontext
from typing import Any

import click

from wordseq.cli.console import echo_json, log, progress, warn
from wordseq.cli.options import json_option, preprocessing_options
from wordseq.text.preprocess import PreprocessConfig

SMOOTHING_CHOICES = ("modified-kneser-ney", "kneser-ney", "witten-bell", "add-k", "mle", "stupid-backoff")
_NUMBER = re.compile(r"^[0-9]*\.?[0-9]+(e[-+]?[0-9]+)?$", re.IGNORECASE)


class NumberList(click.Option):
    """An option taking one or more numbers, lmplz-style (``--prune 0 1 1``) or ``0,1,1``."""

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            opt = getattr(parser, "_long_opt", {}).get(name) or getattr(parser, "_short_opt", {}).get(name)
            if opt is None:
                continue  # another click: the comma form still works
            original = opt.process

            def process(value: Any, state: Any, original: Any = original) -> None:
                values = [value]
                while state.rargs and _NUMBER.match(state.rargs[0]):
                    values.append(state.rargs.pop(0))
                original(" ".join(values), state)

            opt.process = process


def _numbers(kind: type) -> Any:
    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return tuple(kind(x) for x in value.replace(",", " ").split())
        except ValueError:
            raise click.BadParameter(f"expected numbers, got {value!r}") from None
    return convert


@click.group()
def ngram() -> None:
    """N-gram language models: Kneser-Ney and friends, pruning, mixtures, ARPA in and out."""


@ngram.command("train")
@click.argument("corpus", nargs=-1)
@click.option("-o", "--output", default=None, help="Model NAME or PATH (default: 'default').")
@click.option("--order", type=click.IntRange(1, 9), default=3, show_default=True, help="N of the n-grams.")
@click.option("--smoothing", type=click.Choice(SMOOTHING_CHOICES), default="modified-kneser-ney", show_default=True)
@click.option("--k", type=click.FloatRange(min=0, min_open=True, max=1e9), default=1.0, show_default=True, help="Pseudo-count of add-k (1: Laplace).")
@click.option("--min-count", type=click.IntRange(min=1), default=1, show_default=True, help="Words seen fewer times become <unk>.")
@click.option("--discount-fallback", is_flag=True, help="Kneser-Ney: use discounts 0.5 1 1.5 where the corpus gives invalid ones (as KenLM).")
@click.option("--discount", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None, help="kneser-ney: one fixed discount D in (0, 1) at every order.")
@click.option("--prune", cls=NumberList, callback=_numbers(int), default=None, metavar="T1 T2 ..", help="Drop n-grams seen at most T_n times, per order (lmplz: '--prune 0 1 1'; the last repeats).")
@click.option("--vocab", "vocab_file", default=None, metavar="FILE", help="Keep only the words of FILE (as lmplz --limit_vocab_file); the rest become <unk>.")
@click.option("--max-vocab", type=click.IntRange(min=1), default=None, help="Keep only the N most frequent words; the rest become <unk>.")
@preprocessing_options
def train(corpus: tuple[str, ...], output: str | None, order: int, smoothing: str, k: float, min_count: int, discount_fallback: bool,
          discount: float | None, prune: tuple[int, ...] | None, vocab_file: str | None, max_vocab: int | None,
          preprocess: PreprocessConfig, encoding_errors: str) -> None:
    """Train an n-gram model on CORPUS files (none or '-': stdin).

    Every line (or sentence, with --sentences) is one sequence between <s> and </s>.

    \b
    wordseq ngram train corpus.txt --order 5 -o news5
    wordseq ngram train corpus.txt --order 5 --prune 0 1 1 -o news5-pruned
    wordseq ngram train names.txt --level char --order 4 --smoothing witten-bell
    """
    from wordseq.ngram.malloc import keep_freed_memory
    from wordseq.ngram.storage import size_line
    from wordseq.ngram.train import NgramConfig, TrainingFigures, train_to_store

    keep_freed_memory()
    config = NgramConfig(order=order, smoothing=smoothing, k=k, min_count=min_count, discount_fallback=discount_fallback,
                         discount=discount, prune=prune or (), vocab_file=vocab_file, max_vocab=max_vocab)
    with progress("counting", unit="lines") as bar:
        target, model = train_to_store(corpus, output, config, preprocess, encoding_errors=encoding_errors,
                                       on_chunk=lambda chunk: bar.advance(chunk.lines))
    figures = TrainingFigures(**model.training)
    for line in figures.log_lines():
        log(line)
    for message in figures.warnings():
        warn(message)
    log(f"{figures.sentences:,} sequences, {figures.tokens:,} tokens; {size_line(figures.kept)}; {figures.seconds:.2f} s")
    log(f"saved {target}")


@ngram.command("eval")
@click.argument("text", nargs=-1)
@click.option("-m", "--model", "model_name", default=None, help="Model NAME or PATH, or an .arpa file.")
@click.option("--per-line", is_flag=True, help="One score per input line: log10 prob, perplexity, tokens, OOVs (summary on stderr).")
@click.option("--per-token", is_flag=True, help="Per input line, KenLM query's 'word=id n log10p' for each token and the line's total.")
@click.option("--nl", is_flag=True, help="One JSON object per input line (with its line number); summary on stderr.")
@click.option("--encoding-errors", type=click.Choice(("strict", "replace")), default="strict", show_default=True)
@json_option
def eval_(text: tuple[str, ...], model_name: str | None, per_line: bool, per_token: bool, nl: bool, encoding_errors: str, as_json: bool) -> None:
    """Perplexity of TEXT files (none or '-': stdin), incl. and excl. OOVs, as KenLM's query.

    TEXT goes through the model's own preprocessing. </s> counts as a token; an OOV word
    is scored as <unk>; a blank line is an empty sentence (it scores </s>). Character
    models also report bits per character.
    """
    from wordseq.ngram.evaluate import evaluate
    from wordseq.ngram.malloc import keep_freed_memory
    from wordseq.ngram.storage import open_ngram
    from wordseq.text.reader import CorpusReader

    keep_freed_memory()
    model = open_ngram(model_name)
    lines_wanted = per_line or per_token or nl
    evaluation = evaluate(model, CorpusReader(list(text), encoding_errors), per_line=lines_wanted, per_token=per_token)
    rows: list[dict[str, Any]] = []
    for line in evaluation.lines():
        if as_json:
            rows.append(line.to_dict())
        else:
            click.echo(json.dumps(line.to_dict(), ensure_ascii=False) if nl else line.text())
    if as_json:
        extra = {"per_line": rows} if lines_wanted else {}
        echo_json({"model": model_name or "default", "order": model.order, **evaluation.summary(), **extra})
    elif lines_wanted:
        log("\n".join(evaluation.summary_lines()))
    else:
        click.echo("\n".join(evaluation.summary_lines()))


@ngram.command("export")
@click.argument("model_name", metavar="MODEL")
@click.argument("out", metavar="OUT.arpa")
def export(model_name: str, out: str) -> None:
    """Write MODEL as an ARPA file ('-' for stdout) that KenLM and SRILM read."""
    from wordseq.ngram.arpa import write_arpa
    from wordseq.ngram.storage import check_exportable, open_ngram, size_line
    from wordseq.store import atomic_file

    model = open_ngram(model_name)
    check_exportable(model)
    if model.smoothing == "stupid-backoff":
        warn("stupid-backoff values are scores, not probabilities; tools reading the ARPA file will treat them as log10 probabilities")
    sink: Any = nullcontext(sys.stdout) if out == "-" else atomic_file(out)
    with sink as fh:
        write_arpa(model.tables, fh)
    log(f"wrote {'<stdout>' if out == '-' else out}: {size_line(model.tables.sizes())}")


@ngram.command("import")
@click.argument("arpa_file", metavar="FILE.arpa")
@click.option("-o", "--output", default=None, help="Model NAME or PATH (default: 'default').")
@preprocessing_options
def import_(arpa_file: str, output: str | None, preprocess: PreprocessConfig, encoding_errors: str) -> None:
    """Store an ARPA file (KenLM, SRILM, wordseq; .gz too) as a wordseq model.

    The preprocessing options say how text given to this model is tokenized (e.g.
    --pretokenized for a model trained on pre-tokenized text).
    """
    from wordseq.ngram.malloc import keep_freed_memory
    from wordseq.ngram.storage import import_arpa, size_line

    keep_freed_memory()
    target, model = import_arpa(arpa_file, output, preprocess)
    log(f"imported {arpa_file}: {size_line(model.tables.sizes())}; saved {target}")


@ngram.command("vocab")
@click.argument("model_name", metavar="MODEL", required=False)
def vocab(model_name: str | None) -> None:
    """Print the vocabulary of MODEL (NAME, PATH or .arpa file), one word per line.

    The list works as a --vocab FILE for training another model on the same words.
    """
    from wordseq.ngram.storage import open_ngram

    model = open_ngram(model_name)
    click.echo("\n".join(model.vocab.itos[1:]))


@ngram.command("mix")
@click.argument("models", nargs=-1, required=True)
@click.option("-o", "--output", default=None, help="Model NAME or PATH for the mixture (default: 'default').")
@click.option("--weights", cls=NumberList, callback=_numbers(float), default=None, metavar="W1 W2 ..", help="Interpolation weights, one per model, summing to 1.")
@click.option("--tune", default=None, metavar="DEV", help="Fit the weights by EM on held-out text DEV instead.")
@click.option("--encoding-errors", type=click.Choice(("strict", "replace")), default="strict", show_default=True)
def mix(models: tuple[str, ...], output: str | None, weights: tuple[float, ...] | None, tune: str | None, encoding_errors: str) -> None:
    """Interpolate n-gram models linearly: p = sum of W_i p_i (NAMEs, PATHs or .arpa files).

    \b
    wordseq ngram mix news5 web5 --weights 0.7 0.3 -o both
    wordseq ngram mix news5 web5 --tune dev.txt -o both   # EM on held-out text
    """
    from wordseq.ngram.mix import mix_to_store

    target, mixture, tuning = mix_to_store(models, output, weights, tune, encoding_errors=encoding_errors)
    if tuning is not None:
        log(f"weights fitted on {tuning.tokens:,} tokens in {tuning.steps} EM steps; "
            f"perplexity of {tune}: {tuning.perplexity:.2f}")
    log(f"weights {' '.join(f'{w:.6g}' for w in mixture.weights)}; saved {target}")
