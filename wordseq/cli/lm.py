"""wordseq lm train / eval: RNN, LSTM and GRU language models."""

from __future__ import annotations

from typing import Any

import click

from wordseq.cli.console import echo_json, log, reporter, warn
from wordseq.cli.options import (
    device_option,
    json_option,
    log_interval_option,
    model_option,
    output_model_option,
    per_line_options,
    preprocessing_options,
    preprocessing_override_options,
)
from wordseq.neural.config import CELLS
from wordseq.text.preprocess import PreprocessConfig


@click.group()
def lm() -> None:
    """Train and evaluate neural (RNN / LSTM / GRU) language models."""


@lm.command("train")
@click.argument("corpus", nargs=-1, metavar="[CORPUS|-]...")
@output_model_option("language")
@click.option("--valid", default=None, metavar="FILE", help="Validation text. Default: the last 10% of the corpus's sequences.")
@click.option("--test", default=None, metavar="FILE", help="Test text scored with the best weights at the end.")
@click.option("--cell", type=click.Choice(CELLS), default="lstm", show_default=True, help="Recurrent cell (rnn: tanh).")
@click.option("--layers", type=click.IntRange(1, 100), default=2, show_default=True)
@click.option("--emb", type=click.IntRange(min=1), default=None, help="Embedding size. Default: 200, or the size of --init-embeddings.")
@click.option("--hidden", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--dropout", type=float, default=0.2, show_default=True, help="In [0, 1).")
@click.option("--tie/--no-tie", default=False, show_default=True, help="Share input embedding and output weights (needs --emb = --hidden).")
@click.option("--bptt", type=click.IntRange(min=1), default=35, show_default=True, help="Truncated back-propagation window (tokens).")
@click.option("--batch-size", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--epochs", type=click.IntRange(min=1), default=10, show_default=True, help="Total epochs (with --resume: including those done).")
@click.option("--optimizer", type=click.Choice(["sgd", "adam"]), default="sgd", show_default=True)
@click.option("--lr", type=float, default=None, help="Learning rate. Default: 20 for SGD, 0.001 for Adam; divided by 4 on a validation plateau.")
@click.option("--clip", type=float, default=0.25, show_default=True, help="Gradient-norm clipping (0: off).")
@click.option("--patience", type=click.IntRange(min=0), default=3, show_default=True, help="Stop after this many epochs without a better validation perplexity (0: never).")
@click.option("--min-count", type=click.IntRange(min=1), default=1, show_default=True, help="Words seen fewer times in training become <unk>.")
@click.option("--max-size", type=click.IntRange(min=1), default=None, help="Keep at most this many words.")
@click.option("--init-embeddings", default=None, metavar="MODEL", help="Start input embeddings from a wordseq embeddings model.")
@device_option
@click.option("--seed", type=click.IntRange(min=0), default=1111, show_default=True, help="Same seed, same model (on CPU).")
@click.option("--resume", is_flag=True, help="Continue the interrupted or finished training saved at -o.")
@log_interval_option
@preprocessing_options
def train(corpus: tuple[str, ...], output: str | None, log_interval: int, preprocess: PreprocessConfig,
          encoding_errors: str, **options: Any) -> None:
    """Train a word- or character-level RNN language model on CORPUS files (or stdin).

    Shows train / validation perplexity, tokens/s and learning rate per epoch and keeps
    the weights with the best validation perplexity. Each epoch's checkpoint is kept beside
    the model; the model itself is replaced only when the run ends. Ctrl-C stops after the
    current batch and keeps what was done for --resume.

    \b
    wordseq lm train corpus.txt --epochs 6 -o news
    wordseq lm train corpus.txt --cell gru --tie --emb 256 --hidden 256
    wordseq lm train corpus.txt -o news --resume --epochs 10
    """
    from wordseq.neural.session import Interrupted, train_lm
    from wordseq.store import DEFAULT_NAME
    from wordseq.text.reader import CorpusReader

    try:
        lm_ = train_lm(CorpusReader(corpus, encoding_errors), output or DEFAULT_NAME, preprocess=preprocess,
                       encoding_errors=encoding_errors, reporter=reporter(log_interval), **options)
    except Interrupted as stop:
        log(stop.message)
        raise KeyboardInterrupt from None
    test = lm_.meta["training"].get("test")
    if test:
        click.echo(f"test_perplexity\t{test['perplexity']:.4f}")


@lm.command("eval")
@click.argument("text", nargs=-1, metavar="[TEXT|-]...")
@model_option("lm")
@device_option
@per_line_options
@preprocessing_override_options
@json_option
def eval_(text: tuple[str, ...], model_name: str | None, device: str, per_line: bool, nl: bool,
          preprocess_overrides: dict[str, Any], encoding_errors: str, as_json: bool) -> None:
    """Perplexity of TEXT files (or stdin) under a neural LM, with OOVs counted (as KenLM's query).

    Every line is scored (a blank line as </s> alone); words the model never saw are scored
    as <unk> and reported. Character-level models also give bits per character.

    \b
    wordseq lm eval heldout.txt -m news --json
    wordseq lm eval heldout.txt -m news --per-line | paste - heldout.txt
    """
    from wordseq.cli.scores import print_scores
    from wordseq.cli.startup import import_nltk_quickly
    from wordseq.store import load
    from wordseq.text.reader import CorpusReader

    lm_ = load(model_name, "lm", device=device)
    preprocess = lm_.preprocess.with_overrides(preprocess_overrides)
    import_nltk_quickly(preprocess)
    reader = CorpusReader(text, encoding_errors)
    report, lines = lm_.evaluate(reader, preprocess=preprocess, per_line=per_line or nl)
    print_scores(report, lines, preprocess, model=str(lm_.path), per_line=per_line, nl=nl, as_json=as_json)
    if reader.replaced:
        warn(f"replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")
