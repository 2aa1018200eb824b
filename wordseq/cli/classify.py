"""wordseq classify train / eval / predict: text classifiers (sentiment first)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from wordseq.classify.config import ENCODERS, POOLS
from wordseq.cli.console import echo_json, echo_report, log, reporter, warn
from wordseq.cli.options import (
    device_option,
    json_option,
    log_interval_option,
    model_option,
    output_model_option,
    preprocessing_options,
    preprocessing_override_options,
)
from wordseq.cli.startup import import_nltk_quickly
from wordseq.config_checks import DEFAULT_SEED
from wordseq.errors import OptionError
from wordseq.text.preprocess import PreprocessConfig


@click.group()
def classify() -> None:
    """Train, evaluate and apply text classifiers (bidirectional RNNs, a bag of words, or
    the linear baselines NBSVM and fastText).

    \b
    wordseq classify train --class pos=rt-polarity.pos --class neg=rt-polarity.neg -o mr
    wordseq classify train reviews.tsv --encoder nbsvm --cv 10
    wordseq classify train tagged.txt --encoder fasttext --multi-label -o tags
    wordseq classify eval test.tsv -m mr
    echo "not good , but i liked it" | wordseq classify predict -m mr --explain
    """


def data_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """How labelled DATA is laid out (train and eval)."""
    options = [
        click.option("--class", "classes", multiple=True, metavar="NAME=FILE",
                     help="FILE holds one text a line, all of class NAME (repeat per class)."),
        click.option("--label-col", default="1", show_default=True, metavar="N|last|NAME",
                     help="TSV column of the label: a number, 'last', or a name from a header line."),
        click.option("--text-col", default=None, metavar="N|last|NAME",
                     help="TSV column of the text. Default: every other column."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _spec(data: tuple[str, ...], classes: tuple[str, ...], label_col: str, text_col: str | None, encoding_errors: str) -> Any:
    from wordseq.classify.data import DataSpec, TableFormat, parse_class_option

    return DataSpec(tuple(data), tuple(parse_class_option(c) for c in classes), TableFormat(label_col, text_col),
                    encoding_errors)


@classify.command("train")
@click.argument("data", nargs=-1, metavar="[DATA|-]...")
@output_model_option("classifier")
@data_options
@click.option("--encoder", type=click.Choice(ENCODERS), default="bilstm", show_default=True,
              help="bi*: reads both ways; bow: averaged word + bigram embeddings; nbsvm: Naive-Bayes-scaled "
                   "logistic regression on words + bigrams (Wang & Manning 2012); fasttext: averaged word + hashed "
                   "bigram embeddings, one linear layer (Joulin et al. 2016).")
@click.option("--multi-label", is_flag=True, help="One sigmoid per label: texts may have several (fastText lines "
              "with several __label__ words).")
@click.option("--pool", type=click.Choice(POOLS), default=None, help="Token states → one vector. Default: max (RNNs), mean (bow).")
@click.option("--emb", type=click.IntRange(min=1), default=None, help="Embedding size. Default: 100 (10 for fasttext), or that of --init-embeddings.")
@click.option("--hidden", type=click.IntRange(min=1), default=64, show_default=True, help="RNN size per direction.")
@click.option("--layers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--dropout", type=float, default=0.5, show_default=True, help="On embeddings and the pooled vector, in [0, 1).")
@click.option("--bigrams/--no-bigrams", default=True, show_default=True, help="bow, nbsvm, fasttext: word pairs as features too.")
@click.option("--epochs", type=click.IntRange(min=1), default=10, show_default=True, help="Most epochs.")
@click.option("--patience", type=click.IntRange(min=0), default=3, show_default=True, help="Stop after this many epochs without a better validation accuracy (0: never).")
@click.option("--valid-percent", type=click.FloatRange(0, 100, min_open=True, max_open=True), default=10.0, show_default=True, help="Percentage of the training texts held out (per class) for early stopping.")
@click.option("--valid-fraction", type=float, default=None, hidden=True, help="Deprecated: --valid-percent / 100.")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True,
              help="Texts per step. fasttext: a batch of N > 32 texts steps at 32/N of --lr (its updates are summed).")
@click.option("--lr", type=float, default=None, help="Learning rate. Default: Adam's 0.001 (RNNs), 0.002 (bow); SGD's 0.5 (fasttext).")
@click.option("--clip", type=float, default=5.0, show_default=True, help="Gradient-norm clipping of the RNN weights (0: off).")
@click.option("--min-count", type=click.IntRange(min=1), default=1, show_default=True, help="Rarer training words become <unk>.")
@click.option("--max-size", type=click.IntRange(min=1), default=None, help="Keep at most this many training words.")
@click.option("--bigram-min-count", type=click.IntRange(min=1), default=None, help="bow, nbsvm: rarer bigrams are left out. Default: 2 (bow: a bigram seen once adds size, not accuracy), 1 (nbsvm).")
@click.option("--init-embeddings", default=None, metavar="MODEL", help="Start word embeddings from a wordseq (or imported word2vec / fastText) embeddings model (RNN and bow encoders); a fastText model builds the words it lacks from their character n-grams.")
@click.option("--freeze-embeddings", is_flag=True, help="Keep the --init-embeddings vectors fixed.")
@click.option("--vector-words", type=click.IntRange(min=0), default=100_000, show_default=True, help="With --init-embeddings: words of the vectors (most frequent first) added to the vocabulary, so unseen words keep their meaning.")
@click.option("--cv", type=click.IntRange(min=2), default=None, metavar="K", help="K-fold cross-validation: report accuracy per fold; saves no model.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="With --cv: folds trained at once, one process each.")
@click.option("--seed", type=click.IntRange(min=0), default=DEFAULT_SEED, show_default=True, help="Same seed, same folds and model (on CPU).")
@click.option("--threads", type=click.IntRange(min=0), default=1, show_default=True, help="torch CPU threads (0: one per core). The networks are small; more threads than free cores slow torch down.")
@device_option
@log_interval_option
@json_option
@preprocessing_options
def train(data: tuple[str, ...], output: str | None, classes: tuple[str, ...], label_col: str, text_col: str | None,
          cv: int | None, workers: int, device: str, log_interval: int, as_json: bool, preprocess: PreprocessConfig,
          encoding_errors: str, **settings: Any) -> None:
    """Train a classifier on labelled DATA: TSV files (label<TAB>text), fastText files
    (__label__pos text, read so when the first line starts with __label__), folders with
    one sub-folder per label, or --class NAME=FILE pairs (one text a line).

    Early stopping keeps the epoch with the best accuracy on a held-out share of the
    training texts. With --cv K, K models are trained and each scored on its own
    held-out fold (stratified by class); nothing is saved.

    \b
    wordseq classify train --class pos=rt-polarity.pos --class neg=rt-polarity.neg -o mr
    wordseq classify train reviews.tsv --label-col last --encoder bow --cv 10
    wordseq classify train train.tsv --init-embeddings news --freeze-embeddings
    wordseq classify train train.txt --encoder nbsvm --cv 10 --workers 2
    wordseq classify train tagged.txt --encoder fasttext --multi-label -o tags
    """
    from wordseq.classify.crossval import cross_validate
    from wordseq.classify.train import train_classifier
    from wordseq.store import DEFAULT_NAME

    if workers > 1 and not cv:
        raise OptionError("--workers", "trains cross-validation folds side by side: give --cv K too")
    spec = _spec(data, classes, label_col, text_col, encoding_errors)
    common = dict(preprocess=preprocess, device=device, reporter=reporter(log_interval), **settings)
    if cv:
        if output:
            warn(f"--cv saves no model: {output} is left as it is (train without --cv to save one)")
        _print_cv(cross_validate(spec, k=cv, workers=workers, **common), as_json)
        return
    model = train_classifier(spec, output=output or DEFAULT_NAME, **common)
    figures = model.training
    if as_json:
        echo_json({"model": str(model.path), "config": model.config.to_dict(), **figures})
    else:
        click.echo(f"valid_accuracy\t{figures['best_valid_accuracy']:.4f}")
    _log_vectors(figures.get("init_embeddings"))
    log(f"best epoch {figures['best_epoch']} of {figures['epochs_done']}: "
        f"valid accuracy {figures['best_valid_accuracy']:.1%}")
    log(f"saved {model.path}")


def _log_vectors(init: dict[str, Any] | None) -> None:
    if init:
        log(f"embeddings from {init['model']}: {init['found']:,} of {init['words']:,} words start from a vector "
            f"({init['added_from_vectors']:,} of them known from the vectors only)")
        if init["found"] - init["added_from_vectors"] < init["training_words"] / 2:
            warn("fewer than half the training words have a vector: were the vectors trained with the same "
                 "preprocessing (--lower, --stem, --lemmatize ...)?")


def _print_cv(report: Any, as_json: bool) -> None:
    echo_report(report, as_json)
    log(f"{report.k}-fold cross-validation of {report.description}")
    log(f"accuracy {report.mean_accuracy:.2%} ± {report.std_accuracy:.2%} in {report.seconds:.0f}s")


@classify.command("eval")
@click.argument("data", nargs=-1, metavar="[DATA|-]...")
@model_option("classifier")
@data_options
@device_option
@preprocessing_override_options
@json_option
def eval_(data: tuple[str, ...], model_name: str | None, classes: tuple[str, ...], label_col: str,
          text_col: str | None, device: str, preprocess_overrides: dict[str, Any], encoding_errors: str,
          as_json: bool) -> None:
    """Accuracy, macro-F1, per-class precision / recall and the confusion matrix of a
    classifier on labelled DATA (the layouts train reads; stdin without DATA)."""
    from wordseq.classify.storage import open_classifier

    model = open_classifier(model_name, device).with_preprocessing(preprocess_overrides)
    import_nltk_quickly(model.preprocess)
    paths = data if data or classes else ("-",)
    report = model.evaluate(_spec(paths, classes, label_col, text_col, encoding_errors))
    echo_report(report, as_json, model=str(model.path))


@classify.command("predict")
@click.argument("files", nargs=-1, metavar="[FILES|-]...")
@model_option("classifier")
@click.option("-k", "top_k", type=click.IntRange(min=1), default=None, metavar="K",
              help="Print up to K labels, most probable first. Default: 1; a multi-label model: all above the threshold.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None, metavar="T",
              help="Print only labels at least T probable. Default: 0; a multi-label model: 0.5.")
@click.option("--all-probs", is_flag=True, help="Add every class's probability (class=p columns).")
@click.option("--explain", is_flag=True, help="Add per-token weights: attention, or gradient×input saliency.")
@click.option("--nl", is_flag=True, help="One JSON object per line, with its file and line number.")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True, help="Lines classified together.")
@device_option
@preprocessing_override_options
def predict(files: tuple[str, ...], model_name: str | None, top_k: int | None, threshold: float | None,
            all_probs: bool, explain: bool, nl: bool, batch_size: int, device: str,
            preprocess_overrides: dict[str, Any], encoding_errors: str) -> None:
    """Label each line of FILES (or stdin): one output line per input line, blank lines
    included, written batch by batch as input arrives.

    \b
    Plain: label<TAB>probability[<TAB>label<TAB>probability ...][<TAB>class=p ...][<TAB>token=weight ...]
    --nl:  {"file": ..., "line": N, "label": ..., "probability": ..., "labels": [[label, p], ...]}
    A line with no label above --threshold has none (an empty line, or only the later columns).

    \b
    wordseq classify predict reviews.txt -m mr
    wordseq classify predict -m tags -k 3 --threshold 0.2 < texts.txt
    """
    from wordseq.classify.labelling import label_choice
    from wordseq.classify.storage import open_classifier
    from wordseq.text.reader import CorpusReader

    model = open_classifier(model_name, device).with_preprocessing(preprocess_overrides)
    import_nltk_quickly(model.preprocess)
    choice = label_choice(model.multi_label, top_k, threshold)
    for name in files or ("-",):
        reader = CorpusReader([name], encoding_errors)
        lineno = 0
        for batch in model.predict_stream(reader, batch_size, explain=explain):
            for pred in batch:
                lineno += 1
                click.echo(_format_prediction(pred, name, lineno, all_probs, nl, choice))
            sys.stdout.flush()
        if reader.replaced:
            warn(f"{name}: replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")


def _format_prediction(pred: Any, name: str, lineno: int, all_probs: bool, nl: bool,
                       choice: tuple[int | None, float] = (1, 0.0)) -> str:
    chosen = pred.ranked(*choice)
    if nl:
        doc: dict[str, Any] = {"file": name, "line": lineno, "label": pred.label, "probability": round(pred.probability, 6),
                               "labels": [[label, round(p, 6)] for label, p in chosen]}
        if all_probs:
            doc["probabilities"] = {k: round(v, 6) for k, v in pred.probabilities.items()}
        if pred.explanation is not None:
            doc["explanation"] = pred.explanation.to_dict()
        return json.dumps(doc, ensure_ascii=False)
    cells = [cell for label, p in chosen for cell in (label, f"{p:.4f}")]
    if all_probs:
        cells += [f"{k}={v:.4f}" for k, v in pred.probabilities.items()]
    if pred.explanation is not None:
        cells.append(" ".join(f"{t}={w:+.4f}" for t, w in zip(pred.explanation.tokens, pred.explanation.weights)))
    return "\t".join(cells)
