"""wordseq seq2seq train / eval / convert-cmudict and wordseq transduce."""

from __future__ import annotations

import sys
from typing import Any

import click

from wordseq.cli.console import echo_json, log, progress, warn
from wordseq.cli.options import json_option
from wordseq.seq2seq.config import (ATTENTIONS, DECODERS, ENCODERS, LEVELS, LR_SCHEDULES, OPTIMIZERS, Seq2SeqConfig,
                                    Seq2SeqTrainConfig)


def _default(name: str) -> Any:
    for cls in (Seq2SeqConfig, Seq2SeqTrainConfig):
        if name in cls.__dataclass_fields__:
            return cls.__dataclass_fields__[name].default
    raise KeyError(name)


_DEVICE = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True, help="CUDA when present with auto.")
_ENCODING = click.option("--encoding-errors", type=click.Choice(["strict", "replace"]), default="strict", show_default=True, help="On invalid UTF-8: stop with an error, or replace the bytes and go on.")
_MODEL = click.option("-m", "--model", "model_name", default=None, help="Model NAME or PATH. Default: 'default'.")
_BEAM = click.option("--beam", type=click.IntRange(min=1), default=1, show_default=True, help="1: greedy search; K: beam search with K beams.")
_LENGTH_PENALTY = click.option("--length-penalty", type=click.FloatRange(min=0), default=1.0, show_default=True, help="Beam scores are logprob / length**P (0: raw log-prob).")
_BATCH = click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True, help="Sources decoded together.")


def _opt(name: str, kind: Any, help: str, flag: str | None = None) -> Any:
    """An option whose default is the config field's, so the two never disagree."""
    decl = flag or "--" + name.replace("_", "-")
    return click.option(decl, name, type=kind, default=_default(name), show_default=True, help=help)


@click.group()
def seq2seq() -> None:
    """Encoder-decoder models with attention: train, evaluate, convert CMUdict.

    \b
    wordseq seq2seq convert-cmudict data/cmudict-0.7a.gz -o g2p/
    wordseq seq2seq train g2p/train.tsv --dev g2p/dev.tsv -o g2p
    wordseq seq2seq eval g2p/test.tsv -m g2p --beam 5
    echo phoneme | wordseq transduce -m g2p
    """


@seq2seq.command("train")
@click.argument("pairs", nargs=-1, required=True)
@click.option("-o", "--output", default=None, help="Model NAME or PATH. Default: 'default'.")
@click.option("--dev", "dev_file", default=None, help="Pairs for early stopping. Default: --dev-percent of the training sources.")
@_opt("source_level", click.Choice(LEVELS), "Source tokens: characters, or words separated by spaces.")
@_opt("target_level", click.Choice(LEVELS), "Target tokens (G2P: phonemes separated by spaces, 'word').")
@click.option("--lower/--no-lower", "lower", default=_default("lower"), show_default=True, help="Lowercase sources (targets are kept as written).")
@_opt("encoder", click.Choice(ENCODERS), "Encoder RNN; bi*: each direction gets --hidden / 2 units.")
@_opt("encoder_layers", click.IntRange(min=1), "Encoder layers.")
@_opt("decoder", click.Choice(DECODERS), "Decoder RNN.")
@_opt("decoder_layers", click.IntRange(min=1), "Decoder layers.")
@_opt("emb", click.IntRange(min=1), "Embedding size (both sides).")
@_opt("hidden", click.IntRange(min=1), "Encoder output and decoder state size.")
@_opt("dropout", click.FloatRange(0, 1, max_open=True), "Dropout on embeddings, between layers, before the output layer.")
@_opt("attention", click.Choice(ATTENTIONS), "Luong dot / general, Bahdanau additive, or none.")
@click.option("--input-feeding/--no-input-feeding", "input_feeding", default=_default("input_feeding"), show_default=True, help="Feed the last attentional vector into the next step (Luong).")
@_opt("teacher_forcing", click.FloatRange(0, 1), "Probability of feeding the gold previous token (else the model's guess).")
@_opt("epochs", click.IntRange(min=1), "Total epochs (with --resume: including those done).")
@_opt("batch_size", click.IntRange(min=1), "Pairs per batch.")
@_opt("optimizer", click.Choice(OPTIMIZERS), "Optimizer.")
@click.option("--lr", "lr", type=click.FloatRange(min=0, min_open=True), default=None, help="Learning rate. Default: 0.003 for Adam, 1.0 for SGD.")
@_opt("lr_schedule", click.Choice(LR_SCHEDULES), "cosine: from --lr down to 0 over --epochs; plateau: halve the lr after an epoch without a better dev WER.")
@_opt("clip", click.FloatRange(min=0), "Gradient-norm clipping (0: off).")
@_opt("patience", click.IntRange(min=0), "Stop after this many epochs without a better dev WER (0: never).")
@_opt("min_count", click.IntRange(min=1), "Source tokens seen fewer times become <unk>.")
@_opt("dev_percent", click.FloatRange(0, 100, min_open=True, max_open=True), "Without --dev: share of training sources held out (by a hash of the source).")
@_DEVICE
@_opt("seed", int, "Same seed, same model (on CPU).")
@click.option("--resume", is_flag=True, help="Continue the training saved at -o: network, tokenization and vocabularies from it, training options from this command line.")
@_ENCODING
def train(pairs: tuple[str, ...], output: str | None, dev_file: str | None, device: str, resume: bool,
          encoding_errors: str, **options: Any) -> None:
    """Train an encoder-decoder on PAIRS files of 'source<TAB>target' lines.

    Shows per epoch the training loss and the dev loss, WER (share of sources with any
    error, greedy search) and token error rate; keeps the weights with the best dev WER
    and saves after every epoch. Ctrl-C stops after the current batch and saves a state
    that --resume continues.

    \b
    wordseq seq2seq train g2p/train.tsv --dev g2p/dev.tsv -o g2p
    wordseq seq2seq train pairs.tsv --source-level word --target-level word --attention additive
    wordseq seq2seq train g2p/train.tsv --dev g2p/dev.tsv -o g2p --resume --epochs 20
    """
    from wordseq.seq2seq.train import train_seq2seq
    from wordseq.store import model_dir

    target = model_dir(output, "seq2seq")
    with progress("epoch", total=1, unit="batches") as bar:
        def on_batch(done: int, total: int, loss: float) -> None:
            bar.update(completed=done, total=total, info=f"loss {loss:.3f}")

        def on_epoch(rec: Any) -> None:
            log(f"epoch {rec.epoch:3d}  train loss {rec.train_loss:.4f}  dev loss {rec.dev_loss:.4f}  "
                f"dev WER {rec.dev_wer:.2%}  token errors {rec.dev_ter:.2%}  lr {rec.lr:g}  "
                f"{rec.tokens_per_s:,.0f} tokens/s  {rec.seconds:.1f}s" + ("  (best)" if rec.best else ""))
            bar.update(completed=0, description=f"epoch {rec.epoch + 1}")

        model = train_seq2seq(list(pairs), dev_file, output=str(target), resume=resume, device=device,
                              encoding_errors=encoding_errors, log=log, warn=warn, on_batch=on_batch,
                              on_epoch=on_epoch, **options)
    _report_training(model.training, target, pairs)


def _report_training(training: dict[str, Any], target: Any, pairs: tuple[str, ...]) -> None:
    if not training["complete"]:
        log(f"interrupted: saved to {target}; continue with 'wordseq seq2seq train {' '.join(pairs)} -o {target} --resume'")
        raise KeyboardInterrupt
    if training["stopped_early"]:
        log(f"stopped early: no better dev WER for {training['settings']['patience']} epochs")
    best = training["best"]
    if best:
        log(f"best dev WER {best['dev_wer']:.2%} (token errors {best['dev_ter']:.2%}) after epoch {best['epoch']}")
    log(f"saved {target}")


def _load(model_name: str | None, device: str) -> Any:
    from wordseq.seq2seq.storage import load_seq2seq
    from wordseq.store import find_model

    path, meta = find_model(model_name, "seq2seq")
    return load_seq2seq(path, meta, device)


@seq2seq.command("eval")
@click.argument("pairs", nargs=-1, required=True)
@_MODEL
@_BEAM
@_LENGTH_PENALTY
@_BATCH
@_DEVICE
@_ENCODING
@json_option
def eval_(pairs: tuple[str, ...], model_name: str | None, beam: int, length_penalty: float, batch_size: int,
          device: str, encoding_errors: str, as_json: bool) -> None:
    """Exact match, WER, token error rate (PER for G2P) and BLEU on PAIRS files.

    Pairs with the same source are one source with several references: an output is
    right if it equals any of them, and its token errors count against the closest.
    WER is the share of sources with any error; BLEU (corpus BLEU-4) is shown for
    word-level targets.
    """
    model = _load(model_name, device)
    with progress("decoding", unit="sources"):
        result = model.evaluate(list(pairs), beam=beam, length_penalty=length_penalty, batch_size=batch_size,
                                encoding_errors=encoding_errors)
    if as_json:
        echo_json(result.to_dict())
    else:
        for line in result.lines():
            click.echo(line)


@seq2seq.command("convert-cmudict")
@click.argument("dictionary", default="-")
@click.option("-o", "--output", "out_dir", required=True, help="Folder for train.tsv, dev.tsv and test.tsv.")
@click.option("--stress/--no-stress", default=False, show_default=True, help="Keep the stress digits (AH0) of the vowels.")
@click.option("--all-words", is_flag=True, help="Keep entries that are not spellings (&AMPERSAND, A42128).")
@click.option("--dev-percent", type=click.FloatRange(0, 100, max_open=True), default=5.0, show_default=True, help="Share of the words in dev.")
@click.option("--test-percent", type=click.FloatRange(0, 100, max_open=True), default=10.0, show_default=True, help="Share of the words in test.")
@_ENCODING
def convert_cmudict(dictionary: str, out_dir: str, stress: bool, all_words: bool, dev_percent: float,
                    test_percent: float, encoding_errors: str) -> None:
    """Turn the CMU Pronouncing Dictionary into G2P pairs split by word.

    Each word goes to train, dev or test by a hash of the word, so all its
    pronunciations share a part and the split is the same everywhere. Prints
    'part<TAB>words<TAB>pairs<TAB>file' for each part.
    """
    from pathlib import Path

    from wordseq.seq2seq.cmudict import PARTS
    from wordseq.seq2seq.cmudict import convert_cmudict as convert
    from wordseq.text.reader import CorpusReader

    reader = CorpusReader([dictionary], encoding_errors)
    label = "<stdin>" if dictionary == "-" else dictionary
    summary = convert(reader, Path(out_dir), label=label, stress=stress, all_words=all_words,
                      dev_percent=dev_percent, test_percent=test_percent)
    for part in PARTS:
        click.echo(f"{part}\t{summary.words[part]}\t{summary.pairs[part]}\t{summary.files[part]}")
    if summary.skipped_words:
        log(f"left out {summary.skipped_words} entries that are not spellings (use --all-words to keep them)")


@click.command()
@click.argument("files", nargs=-1)
@_MODEL
@_BEAM
@click.option("--num", type=click.IntRange(min=1), default=1, show_default=True, help="Outputs per line (the best beams), tab-separated.")
@click.option("--max-tokens", type=click.IntRange(min=1), default=None, help="Output length limit. Default: twice the source's tokens plus 10.")
@_LENGTH_PENALTY
@_BATCH
@click.option("--json", "mode", flag_value="json", help="One JSON document with tokens and scores.")
@click.option("--nl", "mode", flag_value="nl", help="One JSON object per input line.")
@click.option("--plot-attention", "plot_word", metavar="TEXT", default=None, help="Draw the attention behind TEXT's output as a heat map into -o.")
@click.option("-o", "--output", "picture", default=None, help="The picture for --plot-attention (.png, .pdf, .svg).")
@_DEVICE
@_ENCODING
def transduce(files: tuple[str, ...], model_name: str | None, beam: int, num: int, max_tokens: int | None,
              length_penalty: float, batch_size: int, mode: str | None, plot_word: str | None, picture: str | None,
              device: str, encoding_errors: str) -> None:
    """Transduce each line of FILES (or stdin) with a seq2seq model: one output line per
    input line, blank lines included; with --num N the N outputs are tab-separated.

    \b
    echo phoneme | wordseq transduce -m g2p --beam 5
    wordseq transduce words.txt -m g2p --num 3 --beam 5 --nl
    wordseq transduce -m g2p --plot-attention phoneme -o attention.png
    """
    from wordseq.seq2seq.transducer import SearchSettings
    from wordseq.text.reader import CorpusReader

    if (plot_word is None) != (picture is None):
        raise click.UsageError("--plot-attention TEXT and -o FILE go together")
    if plot_word is not None and files:
        raise click.UsageError("--plot-attention draws one text: give no FILES with it")
    if num > beam:
        warn(f"--num {num} is more than --beam {beam}: showing up to {beam}")
    search = SearchSettings(beam=beam, num=min(num, beam), max_tokens=max_tokens, length_penalty=length_penalty,
                            batch_size=batch_size)
    model = _load(model_name, device)
    if plot_word is not None:
        return _plot(model, plot_word, picture, beam)  # type: ignore[arg-type]
    reader = CorpusReader(list(files), encoding_errors)
    results = []
    for result in model.transduce_stream(reader, search):
        if mode == "json":
            results.append(result.to_dict())
            continue
        click.echo(_json_line(result) if mode == "nl" else "\t".join(c.text for c in result.candidates))
        sys.stdout.flush()
    if mode == "json":
        echo_json({"beam": beam, "results": results})
    if reader.replaced:
        warn(f"replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")


def _json_line(result: Any) -> str:
    import json

    return json.dumps(result.to_dict(), ensure_ascii=False)


def _plot(model: Any, text: str, picture: str, beam: int) -> None:
    from wordseq.seq2seq.plot import plot_attention

    attention = model.attention(text, beam=beam)
    shown = model.target_text([t for t in attention.target_tokens if t != "</s>"])
    plot_attention(attention, picture, title=f"{text} → {shown}")
    click.echo(shown)
    log(f"wrote {picture}")
