"""wordseq ngram train / eval / export / import / vocab / mix."""

from __future__ import annotations

import re
from typing import Any

import click

from wordseq.cli.console import echo_json, log, reporter, warn
from wordseq.cli.options import (
    json_option,
    model_option,
    output_model_option,
    per_line_options,
    preprocessing_options,
    preprocessing_override_options,
    recorded_preprocessing_options,
)
from wordseq.ngram.config import SMOOTHINGS
from wordseq.text.preprocess import PreprocessConfig

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
@click.argument("corpus", nargs=-1, metavar="[CORPUS|-]...")
@output_model_option("ngram")
@click.option("--order", type=int, default=3, show_default=True, help="N of the n-grams (1-9).")
@click.option("--smoothing", type=click.Choice(SMOOTHINGS), default="modified-kneser-ney", show_default=True)
@click.option("--k", type=float, default=1.0, show_default=True, help="Pseudo-count of add-k (1: Laplace).")
@click.option("--min-count", type=int, default=1, show_default=True, help="Words seen fewer times become <unk>.")
@click.option("--discount-fallback", is_flag=True, help="Kneser-Ney: use discounts 0.5 1 1.5 where the corpus gives invalid ones (as KenLM).")
@click.option("--discount", type=float, default=None, help="kneser-ney: one fixed discount D in (0, 1) at every order.")
@click.option("--prune", cls=NumberList, callback=_numbers(int), default=None, metavar="T1 T2 ..", help="Drop n-grams seen at most T_n times, per order (lmplz: '--prune 0 1 1'; the last repeats).")
@click.option("--vocab", "vocab_file", default=None, metavar="FILE", help="Keep only the words of FILE (as lmplz --limit_vocab_file); the rest become <unk>.")
@click.option("--max-vocab", type=int, default=None, help="Keep only the N most frequent words; the rest become <unk>.")
@click.option("--memory", default=None, metavar="SIZE", help="Memory for counting: 2G, 500M, 40% of RAM (default: half of the available memory). Past it, counts spill to --temp-dir; the model is the same.")
@click.option("--temp-dir", default=None, metavar="DIR", help="Folder for the temporary files (default: the system's). With --cluster on several machines: a shared folder every worker can write at the same path.")
@click.option("--compact", is_flag=True, help="Store the tables in the compact form (split keys: about 11 bytes per n-gram instead of 16).")
@click.option("--quantize", type=int, default=None, metavar="8", help="Also store probabilities and backoffs in 8 bits (256 bins per order, as KenLM's -q 8 -b 8): about 6 bytes per n-gram.")
@click.option("--cluster", default=None, metavar="ADDRESS", help="Count on a Dask cluster: tcp://HOST:8786, or local:N for N local worker processes (pip install 'wordseq[cluster]'). Each CORPUS file (or glob) is one shard.")
@preprocessing_options
def train(corpus: tuple[str, ...], output: str | None, order: int, smoothing: str, k: float, min_count: int, discount_fallback: bool,
          discount: float | None, prune: tuple[int, ...] | None, vocab_file: str | None, max_vocab: int | None,
          memory: str | None, temp_dir: str | None, compact: bool, quantize: int | None, cluster: str | None,
          preprocess: PreprocessConfig, encoding_errors: str) -> None:
    """Train an n-gram model on CORPUS files (none or '-': stdin).

    Every line (or sentence, with --sentences) is one sequence between <s> and </s>.

    \b
    wordseq ngram train corpus.txt --order 5 -o news5
    wordseq ngram train corpus.txt --order 5 --prune 0 1 1 -o news5-pruned
    wordseq ngram train names.txt --level char --order 4 --smoothing witten-bell
    wordseq ngram train big.txt --order 5 --memory 2G --temp-dir /scratch -o big5
    wordseq ngram train corpus.txt --order 5 --quantize 8 -o news5-q8
    wordseq ngram train 'shards/*.txt' --order 5 --cluster tcp://scheduler:8786 -o web5
    """
    from wordseq.ngram.budget import Resources
    from wordseq.ngram.config import NgramConfig
    from wordseq.ngram.malloc import keep_freed_memory
    from wordseq.ngram.storage import size_line
    from wordseq.ngram.train import TrainingFigures, train_ngram
    from wordseq.store import DEFAULT_NAME
    from wordseq.text.reader import CorpusReader

    keep_freed_memory()
    config = NgramConfig(order=order, smoothing=smoothing, k=k, min_count=min_count, discount_fallback=discount_fallback,
                         discount=discount, prune=prune or (), vocab_file=vocab_file, max_vocab=max_vocab)
    resources = Resources(memory=memory, temp_dir=temp_dir, cluster=cluster)
    source = list(corpus) if cluster is not None else CorpusReader(corpus, encoding_errors)
    model = train_ngram(source, output or DEFAULT_NAME, model=config, preprocess=preprocess,
                        encoding_errors=encoding_errors, reporter=reporter(), resources=resources, compact=compact,
                        quantize=quantize)
    figures = TrainingFigures(**model.training)
    for line in figures.log_lines():
        log(line)
    log(f"{figures.sentences:,} sequences, {figures.tokens:,} tokens; {size_line(figures.kept)}; {figures.seconds:.2f} s")
    log(f"saved {model.path}")


@ngram.command("eval")
@click.argument("text", nargs=-1, metavar="[TEXT|-]...")
@model_option("ngram")
@per_line_options
@click.option("--per-token", is_flag=True, help="Per input line, KenLM query's 'word=id n log10p' for each token and the line's total.")
@click.option("--vocab-pad", type=int, default=None, metavar="N", help="Score as if the vocabulary had N words: p(<unk>) is shared by the N - |vocab| unseen ones (KenLM's --vocab_pad), so perplexities over different vocabularies compare.")
@preprocessing_override_options
@json_option
def eval_(text: tuple[str, ...], model_name: str | None, per_line: bool, nl: bool, per_token: bool,
          vocab_pad: int | None, preprocess_overrides: dict[str, Any], encoding_errors: str, as_json: bool) -> None:
    """Perplexity of TEXT files (or stdin), incl. and excl. OOVs, as KenLM's query.

    Every line is scored (a blank line as </s> alone); words the model never saw are scored
    as <unk> and reported. Character models also give bits per character.

    \b
    wordseq ngram eval heldout.txt -m news5 --per-line | paste - heldout.txt
    wordseq ngram eval heldout.txt -m lmplz.arpa --per-token
    wordseq ngram eval dev.txt -m mixed --vocab-pad 100000   # compare across vocabularies
    """
    from wordseq.cli.scores import print_scores
    from wordseq.cli.startup import import_nltk_quickly
    from wordseq.ngram.evaluate import TokenLineScore, evaluate
    from wordseq.ngram.malloc import keep_freed_memory
    from wordseq.store import load
    from wordseq.text.reader import CorpusReader

    keep_freed_memory()
    model = load(model_name, "ngram")
    preprocess = model.preprocess.with_overrides(preprocess_overrides)
    import_nltk_quickly(preprocess)
    reader = CorpusReader(text, encoding_errors)
    evaluation = evaluate(model, reader, preprocess=preprocess, per_line=per_line or nl, per_token=per_token,
                          vocab_pad=vocab_pad)
    rows = []
    for line in evaluation.lines():
        if as_json:
            rows.append(line)
        elif nl:
            echo_json(line.to_dict(), indent=None)
        else:
            click.echo(line.kenlm() if isinstance(line, TokenLineScore) else line.tsv())
    print_scores(evaluation.finish(), rows, preprocess, model=model_name or "default", per_line=per_line or per_token,
                 nl=nl, as_json=as_json, extra={"order": model.order, **({"vocab_pad": vocab_pad} if vocab_pad else {})})
    if reader.replaced:
        warn(f"replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")


@ngram.command("export")
@click.argument("model_name", metavar="MODEL")
@click.argument("out", metavar="OUT.arpa")
def export(model_name: str, out: str) -> None:
    """Write MODEL as an ARPA file ('-' for stdout) that KenLM and SRILM read."""
    from wordseq.ngram.arpa import write_arpa
    from wordseq.ngram.storage import check_exportable, size_line
    from wordseq.store import load, output_file

    model = load(model_name, "ngram")
    check_exportable(model)
    if model.smoothing == "stupid-backoff":
        warn("stupid-backoff values are scores, not probabilities; tools reading the ARPA file will treat them as log10 probabilities")
    with output_file(out) as fh:
        write_arpa(model.tables, fh)
    log(f"wrote {'<stdout>' if out == '-' else out}: {size_line(model.tables.sizes())}")


@ngram.command("import")
@click.argument("arpa_file", metavar="FILE.arpa")
@output_model_option("ngram")
@click.option("--compact", is_flag=True, help="Store the tables in the compact form (split keys: about 11 bytes per n-gram instead of 16).")
@click.option("--quantize", type=int, default=None, metavar="8", help="Also store probabilities and backoffs in 8 bits (as KenLM's -q 8 -b 8).")
@recorded_preprocessing_options
def import_(arpa_file: str, output: str | None, compact: bool, quantize: int | None, preprocess: PreprocessConfig,
            encoding_errors: str) -> None:
    """Store an ARPA file (KenLM, SRILM, wordseq; .gz too) as a wordseq model.

    The preprocessing options say how text given to this model is tokenized (e.g.
    --pretokenized for a model trained on pre-tokenized text).

    \b
    wordseq ngram import lmplz.arpa --pretokenized -o news5
    wordseq ngram import lmplz.arpa --pretokenized --quantize 8 -o news5-q8
    """
    from wordseq.ngram.malloc import keep_freed_memory
    from wordseq.ngram.storage import import_arpa, size_line

    keep_freed_memory()
    target, model = import_arpa(arpa_file, output, preprocess, compact=compact, quantize=quantize)
    log(f"imported {arpa_file}: {size_line(model.tables.sizes())}; saved {target}")


@ngram.command("compact")
@click.argument("model_name", metavar="MODEL")
@click.option("-o", "--output", required=True, metavar="NAME", help="Name (or path) of the compact copy.")
@click.option("--quantize", type=int, default=None, metavar="8", help="Also store probabilities and backoffs in 8 bits (256 bins per order, as KenLM's -q 8 -b 8).")
def compact(model_name: str, output: str, quantize: int | None) -> None:
    """Store MODEL (NAME, PATH or .arpa file) anew in the compact form: split keys (about
    11 bytes per n-gram where int64 keys take 16), with --quantize 8 about 6 bytes.

    \b
    wordseq ngram compact news5 -o news5-small
    wordseq ngram compact news5 -o news5-q8 --quantize 8
    """
    from wordseq.ngram.storage import compact_to_store, size_line

    target, model = compact_to_store(model_name, output, quantize)
    tables = [p.tables for p in getattr(model, "parts", None) or [model]]
    size = sum(f.stat().st_size for f in target.glob("*.npy"))
    log(f"{size_line(tables[0].sizes())}; {size / sum(sum(t.sizes()) for t in tables):.1f} bytes per n-gram; saved {target}")


@ngram.command("vocab")
@model_option("ngram")
@click.argument("model_arg", metavar="[MODEL]", required=False)
def vocab(model_name: str | None, model_arg: str | None) -> None:
    """Print the vocabulary of MODEL (NAME, PATH or .arpa file), one word per line.

    The list works as a --vocab FILE for training another model on the same words.
    """
    from wordseq.store import load

    model = load(model_arg or model_name, "ngram")
    click.echo("\n".join(model.vocab.itos[1:]))


@ngram.command("mix")
@click.argument("models", nargs=-1, required=True)
@output_model_option("ngram")
@click.option("--weights", cls=NumberList, callback=_numbers(float), default=None, metavar="W1 W2 ..", help="Interpolation weights, one per model, summing to 1.")
@click.option("--tune", default=None, metavar="DEV", help="Fit the weights by EM on held-out text DEV instead.")
@click.option("--encoding-errors", type=click.Choice(("strict", "replace")), default="strict", show_default=True)
def mix(models: tuple[str, ...], output: str | None, weights: tuple[float, ...] | None, tune: str | None, encoding_errors: str) -> None:
    """Interpolate n-gram models linearly: p = sum of W_i p_i (NAMEs, PATHs or .arpa files).

    \b
    wordseq ngram mix news5 web5 --weights 0.7 0.3 -o both
    wordseq ngram mix news5 web5 --tune dev.txt -o both   # EM on held-out text
    """
    from wordseq.ngram.mix import vocabulary_note
    from wordseq.ngram.storage import mix_to_store

    target, mixture, tuning = mix_to_store(models, output, weights, tune, encoding_errors=encoding_errors)
    note = vocabulary_note(mixture)
    if note:
        warn(note)
    if tuning is not None:
        log(f"weights fitted on {tuning.tokens:,} tokens in {tuning.steps} EM steps; "
            f"perplexity of {tune}: {tuning.perplexity:.2f}")
    log(f"weights {' '.join(f'{w:.6g}' for w in mixture.weights)}; saved {target}")
