"""wordseq lm train / eval: LSTM, GRU, RNN and Transformer language models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from wordseq.cli.console import log, reporter, warn
from wordseq.cli.options import (
    Decorator,
    device_option,
    json_option,
    log_interval_option,
    model_option,
    output_model_option,
    per_line_options,
    preprocessing_options,
    preprocessing_override_options,
    threads_option,
)
from wordseq.config_checks import DEFAULT_SEED
from wordseq.neural.config import CELLS, OPTIMIZERS, PRECISIONS, SOFTMAXES
from wordseq.text.preprocess import PreprocessConfig

AUTO = "Default: chosen by corpus size."
_UNIT = click.FloatRange(0.0, 1.0, max_open=True)


def _option_group(options: list[Decorator]) -> Decorator:
    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


network_options = _option_group([
    click.option("--cell", type=click.Choice(CELLS), default=None, help="Recurrent cell (rnn: tanh) or a causal transformer. Default: lstm."),
    click.option("--layers", type=click.IntRange(1, 100), default=None, help=f"Layers (recurrent layers or transformer blocks). {AUTO}"),
    click.option("--emb", type=click.IntRange(min=1), default=None, help=f"Embedding size (the transformer's width); the size of --init-embeddings if given. {AUTO}"),
    click.option("--hidden", type=click.IntRange(min=1), default=None, help=f"Recurrent state size (the transformer's feed-forward size). {AUTO}"),
    click.option("--heads", type=click.IntRange(1, 1024), default=None, help="Attention heads of a transformer (must divide --emb). Default: 4."),
    click.option("--tie/--no-tie", default=None, help=f"Share input embedding and output weights (a tied LSTM's last layer has --emb units). {AUTO}"),
    click.option("--softmax", type=click.Choice(SOFTMAXES), default=None, help="adaptive: frequency clusters, exact and ~5x cheaper on large vocabularies. Default: adaptive from 20,000 words (from 3,000 on a corpus of 100 k to 500 k tokens)."),
    click.option("--dropout", type=_UNIT, default=None, help=f"Locked dropout on the last layer's output. {AUTO}"),
    click.option("--dropout-input", type=_UNIT, default=None, help=f"Locked dropout on the embeddings. {AUTO}"),
    click.option("--dropout-between", type=_UNIT, default=None, help=f"Locked dropout between recurrent layers. {AUTO}"),
    click.option("--dropout-embedding", type=_UNIT, default=None, help=f"Drop whole words from the embedding matrix. {AUTO}"),
    click.option("--weight-drop", type=_UNIT, default=None, help=f"DropConnect on the hidden-to-hidden weights (recurrent cells). {AUTO}"),
])

training_options = _option_group([
    click.option("--bptt", type=click.IntRange(min=1), default=None, help="Truncated back-propagation window (tokens; a transformer's context). Default: 35."),
    click.option("--batch-size", type=click.IntRange(min=1), default=None, help=f"Batch columns (in all, under torchrun). {AUTO}"),
    click.option("--epochs", type=click.IntRange(min=1), default=None, help=f"Total epochs (with --resume: including those done). {AUTO}"),
    click.option("--optimizer", type=click.Choice(OPTIMIZERS), default=None, help=f"nt-asgd: SGD, then weight averaging once validation stalls (AWD-LSTM). {AUTO}"),
    click.option("--lr", type=click.FloatRange(0, 1e4, min_open=True), default=None, help=f"Learning rate, divided by 4 when a validation check brings no improvement. {AUTO}"),
    click.option("--clip", type=click.FloatRange(min=0), default=None, help="Gradient-norm clipping (0: off). Default: 0.25."),
    click.option("--weight-decay", type=click.FloatRange(0, 1), default=None, help="L2 penalty. Default: 0."),
    click.option("--valid-every", type=click.IntRange(min=0), default=None, help=f"Validation check every N batches as well as at each epoch's end (0: only there). {AUTO}"),
    click.option("--anneal-after", type=click.IntRange(min=1), default=None, help=f"Divide the learning rate by 4 after this many checks in a row without improvement. {AUTO}"),
    click.option("--final-anneal/--no-final-anneal", default=None, help=f"Also divide the learning rate by 4 at every check of the run's last quarter. {AUTO}"),
    click.option("--patience", type=click.IntRange(min=0), default=None, help=f"Stop after this many checks without a better validation perplexity (0: never). {AUTO}"),
    click.option("--nonmono", type=click.IntRange(min=1), default=None, help="nt-asgd: average once a check is worse than the best before the last N. Default: 5."),
    click.option("--precision", type=click.Choice(PRECISIONS), default=None, help="Mixed precision (autocast; fp16 with loss scaling, for GPUs). Default: fp32."),
])


@click.group()
def lm() -> None:
    """Train and evaluate neural language models (LSTM, GRU, RNN, Transformer)."""


@lm.command("train")
@click.argument("corpus", nargs=-1, metavar="[CORPUS|-]...")
@output_model_option("language")
@click.option("--valid", default=None, metavar="FILE", help="Validation text. Default: the last 10% of the corpus's sequences.")
@click.option("--test", default=None, metavar="FILE", help="Test text scored with the best weights at the end.")
@network_options
@training_options
@click.option("--min-count", type=click.IntRange(min=1), default=1, show_default=True, help="Words seen fewer times in training become <unk>.")
@click.option("--max-size", type=click.IntRange(min=1), default=None, help="Keep at most this many words.")
@click.option("--init-embeddings", default=None, metavar="MODEL", help="Start input embeddings from a wordseq embeddings model (a fastText one also builds the words it lacks from their character n-grams).")
@device_option
@threads_option
@click.option("--seed", type=click.IntRange(min=0), default=None, help=f"Same seed, same model (on CPU). Default: {DEFAULT_SEED}.")
@click.option("--resume", is_flag=True, help="Continue the interrupted or finished training saved at -o.")
@log_interval_option
@preprocessing_options
def train(corpus: tuple[str, ...], output: str | None, log_interval: int, preprocess: PreprocessConfig,
          encoding_errors: str, **options: Any) -> None:
    """Train a word- or character-level neural language model on CORPUS files (or stdin).

    Options left out are chosen by the size of the corpus (a tied, regularised LSTM that
    clearly beats a 5-gram); those given always win. Shows train / validation perplexity
    and learning rate at each validation check (tokens/s at the end; every figure is in
    meta.json) and keeps the weights with the best validation perplexity. Checkpoints are kept beside the model; the model itself
    is replaced only when the run ends. Ctrl-C stops after the current batch and keeps
    what was done for --resume. Under torchrun the processes train together (see README).

    \b
    wordseq lm train corpus.txt -o news --test heldout.txt
    wordseq lm train corpus.txt --cell transformer --layers 4 --emb 256 --precision bf16
    wordseq lm train corpus.txt -o news --resume --epochs 10
    torchrun --nproc_per_node 4 -m wordseq lm train corpus.txt -o news
    """
    from wordseq.neural.session import train_lm
    from wordseq.store import DEFAULT_NAME
    from wordseq.text.reader import CorpusReader
    from wordseq.training import Interrupted

    try:
        lm_ = train_lm(CorpusReader(corpus, encoding_errors), output or DEFAULT_NAME, preprocess=preprocess,
                       encoding_errors=encoding_errors, reporter=reporter(log_interval), **options)
    except Interrupted as stop:
        if stop.message:
            log(stop.message)
        raise KeyboardInterrupt from None
    test = lm_.meta["training"].get("test")
    if test and lm_.path is not None:
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
