"""wordseq seq2seq train / eval / convert-cmudict and wordseq transduce."""

from __future__ import annotations

import sys
from typing import Any

import click

from wordseq.cli.console import echo_report, log, reporter, warn
from wordseq.cli.options import (
    device_option,
    json_option,
    log_interval_option,
    model_option,
    output_model_option,
    threads_option,
)
from wordseq.seq2seq.config import (
    ARCHS,
    ATTENTIONS,
    DECODERS,
    ENCODERS,
    LEVELS,
    LR_SCHEDULES,
    OPTIMIZERS,
    Seq2SeqConfig,
    Seq2SeqTrainConfig,
)
from wordseq.text.reader import ENCODING_ERRORS


def _default(name: str) -> Any:
    for cls in (Seq2SeqConfig, Seq2SeqTrainConfig):
        if name in cls.__dataclass_fields__:
            return cls.__dataclass_fields__[name].default
    raise KeyError(name)


def _opt(name: str, kind: Any, help: str) -> Any:
    """An option whose default is the config field's, so the two never disagree; values
    are checked by the config (a bad one is a usage error naming the option)."""
    return click.option("--" + name.replace("_", "-"), name, type=kind, default=_default(name), show_default=True,
                        help=help)


_ENCODING = click.option("--encoding-errors", type=click.Choice(ENCODING_ERRORS), default="strict", show_default=True,
                         help="On invalid UTF-8: stop with an error, or replace the bytes and go on.")
_BEAM = click.option("--beam", type=click.IntRange(1, 1_000), default=1, show_default=True, help="1: greedy search; K: beam search with K beams.")
_LENGTH_PENALTY = click.option("--length-penalty", type=click.FloatRange(min=0), default=1.0, show_default=True, help="Beam scores are logprob / length**P (0: raw log-prob).")
_BATCH = click.option("--batch-size", type=click.IntRange(1, 100_000), default=64, show_default=True, help="Sources decoded together.")


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
@click.argument("pairs", nargs=-1, metavar="[PAIRS|-]...")
@output_model_option("seq2seq")
@click.option("--dev", default=None, metavar="FILE", help="Pairs for early stopping. Default: --dev-percent of the training sources.")
@_opt("arch", click.Choice(ARCHS), "rnn: recurrent encoder-decoder with attention; transformer: encoder-decoder Transformer (size --hidden).")
@_opt("source_level", click.Choice(LEVELS), "Source tokens: characters, words separated by spaces, or subword units (with --subword).")
@_opt("target_level", click.Choice(LEVELS), "Target tokens (G2P: phonemes separated by spaces, 'word').")
@click.option("--subword", "subword_name", default=None, metavar="NAME", help="The units of this subword model for the side(s) at subword level.")
@click.option("--lower/--no-lower", "lower", default=_default("lower"), show_default=True, help="Lowercase sources (targets are kept as written).")
@_opt("encoder", click.Choice(ENCODERS), "Encoder RNN; bi*: each direction gets --hidden / 2 units.")
@_opt("encoder_layers", click.IntRange(1, 100), "Encoder layers.")
@_opt("decoder", click.Choice(DECODERS), "Decoder RNN.")
@_opt("decoder_layers", click.IntRange(1, 100), "Decoder layers.")
@_opt("emb", click.IntRange(1, 100_000), "Embedding size (both sides).")
@_opt("hidden", click.IntRange(1, 100_000), "Encoder output and decoder state size.")
@_opt("dropout", click.FloatRange(0, 1, max_open=True), "On embeddings, between layers, before the output layer.")
@_opt("attention", click.Choice(ATTENTIONS), "Luong dot / general, Bahdanau additive, or none.")
@_opt("heads", click.IntRange(1, 1_000), "Transformer: attention heads (--hidden a multiple of it).")
@_opt("ff", click.IntRange(0, 1_000_000), "Transformer: feed-forward size (0: 4 x --hidden).")
@_opt("label_smoothing", click.FloatRange(0, 1, max_open=True), "Share of each training target's probability spread over the other tokens.")
@click.option("--input-feeding/--no-input-feeding", "input_feeding", default=_default("input_feeding"), show_default=True, help="Feed the last attentional vector into the next step (Luong).")
@_opt("teacher_forcing", click.FloatRange(0, 1), "Probability of feeding the gold previous token (else the model's guess).")
@_opt("epochs", click.IntRange(1, 100_000), "Total epochs (with --resume: including those done).")
@_opt("batch_size", click.IntRange(1, 1_000_000), "Pairs per batch.")
@_opt("optimizer", click.Choice(OPTIMIZERS), "Optimizer.")
@click.option("--lr", "lr", type=click.FloatRange(0, 1e4, min_open=True), default=None, help="Learning rate. Default: 0.003 for Adam, 1.0 for SGD.")
@_opt("lr_schedule", click.Choice(LR_SCHEDULES), "cosine: from --lr down to 0 over --epochs; plateau: halve the lr after an epoch without a better dev WER.")
@_opt("clip", click.FloatRange(min=0), "Gradient-norm clipping (0: off).")
@_opt("patience", click.IntRange(0, 100_000), "Stop after this many epochs without a better dev WER (0: never).")
@_opt("min_count", click.IntRange(min=1), "Source tokens seen fewer times become <unk>.")
@_opt("dev_percent", click.FloatRange(0, 100, min_open=True, max_open=True), "Without --dev: percentage of the training sources held out (by a hash of the source).")
@device_option
@threads_option
@_opt("seed", click.IntRange(0, 2**63 - 1), "Same seed, same model (on CPU).")
@click.option("--resume", is_flag=True, help="Continue the run saved at -o: network, tokenization and vocabularies from it, training options from this command line.")
@log_interval_option
@_ENCODING
def train(pairs: tuple[str, ...], output: str | None, dev: str | None, device: str, threads: int, resume: bool,
          log_interval: int, encoding_errors: str, subword_name: str | None, **options: Any) -> None:
    """Train an encoder-decoder on PAIRS files (or stdin) of 'source<TAB>target' lines.

    Shows per epoch the training loss and the dev loss, WER (share of sources with any
    error, greedy search) and TER (token error rate), and keeps the weights with the
    best dev WER. Each epoch's checkpoint is kept beside the model; the model itself is
    replaced only when the run ends. Ctrl-C stops after the current batch and keeps what
    was done for --resume.

    \b
    wordseq seq2seq train g2p/train.tsv --dev g2p/dev.tsv -o g2p
    wordseq seq2seq train pairs.tsv --source-level word --target-level word --attention additive
    wordseq seq2seq train g2p/train.tsv --dev g2p/dev.tsv -o g2p-tf --arch transformer --heads 4 --label-smoothing 0.1
    wordseq seq2seq train g2p/train.tsv --dev g2p/dev.tsv -o g2p --resume --epochs 20
    wordseq seq2seq train pairs.tsv --source-level subword --target-level subword --subword bpe8k
    """
    from wordseq.seq2seq.train import train_seq2seq
    from wordseq.store import DEFAULT_NAME, load
    from wordseq.training import Interrupted

    # only the options given: the library's defaults are the same values, and with --resume
    # a network option given (not a default) that differs from the saved run is refused
    ctx = click.get_current_context()
    given = {k: v for k, v in options.items() if ctx.get_parameter_source(k) != click.core.ParameterSource.DEFAULT}
    if subword_name is not None:
        given["subword"] = load(subword_name, "subword")
    try:
        train_seq2seq(list(pairs) or ["-"], dev, output=output or DEFAULT_NAME, resume=resume, device=device,
                      threads=threads, encoding_errors=encoding_errors, reporter=reporter(log_interval), **given)
    except Interrupted as stop:
        log(stop.message)
        raise KeyboardInterrupt from None


@seq2seq.command("eval")
@click.argument("pairs", nargs=-1, metavar="[PAIRS|-]...")
@model_option("seq2seq")
@_BEAM
@_LENGTH_PENALTY
@_BATCH
@device_option
@_ENCODING
@json_option
def eval_(pairs: tuple[str, ...], model_name: str | None, beam: int, length_penalty: float, batch_size: int,
          device: str, encoding_errors: str, as_json: bool) -> None:
    """Exact match, WER, token error rate (PER for G2P) and BLEU on PAIRS files (or stdin).

    Pairs with the same source are one source with several references: an output is
    right if it equals any of them, and its token errors count against the closest.
    WER is the share of sources with any error; BLEU (corpus BLEU-4) is shown for
    word-level targets.
    """
    from wordseq.seq2seq.config import SearchSettings
    from wordseq.store import load

    search = SearchSettings(beam=beam, length_penalty=length_penalty, batch_size=batch_size)  # checked before loading
    model = load(model_name, "seq2seq", device=device)
    with reporter().task("decoding", unit="sources"):
        result = model.evaluate(list(pairs) or ["-"], beam=search.beam, length_penalty=search.length_penalty,
                                batch_size=search.batch_size, encoding_errors=encoding_errors)
    echo_report(result, as_json, model=str(model.path))


@seq2seq.command("convert-cmudict")
@click.argument("dictionary", default="-", metavar="[DICTIONARY|-]")
@click.option("-o", "--output", "out_dir", required=True, metavar="FOLDER", help="Folder for train.tsv, dev.tsv and test.tsv.")
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

    from wordseq.seq2seq.cmudict import PARTS, SplitSettings
    from wordseq.seq2seq.cmudict import convert_cmudict as convert
    from wordseq.text.reader import CorpusReader

    settings = SplitSettings(stress=stress, all_words=all_words, dev_percent=dev_percent, test_percent=test_percent)
    reader = CorpusReader([dictionary], encoding_errors)
    summary = convert(reader, Path(out_dir), label=reader.label, settings=settings)
    for part in PARTS:
        click.echo(f"{part}\t{summary.words[part]}\t{summary.pairs[part]}\t{summary.files[part]}")
    if summary.skipped_words:
        log(f"left out {summary.skipped_words} entries that are not spellings (use --all-words to keep them)")


@click.command()
@click.argument("files", nargs=-1, metavar="[FILES|-]...")
@model_option("seq2seq")
@_BEAM
@click.option("--num", type=click.IntRange(1, 1_000), default=1, show_default=True, help="Outputs per line (the best beams), tab-separated.")
@click.option("--max-tokens", type=click.IntRange(1, 100_000), default=None, help="Output length limit. Default: twice the source's tokens plus 10 (a Transformer writes at most 1,023).")
@_LENGTH_PENALTY
@_BATCH
@click.option("--json", "mode", flag_value="json", help="One JSON document with tokens and scores.")
@click.option("--nl", "mode", flag_value="nl", help="One JSON object per input line.")
@click.option("--plot-attention", "plot_text", metavar="TEXT", default=None, help="Draw the attention behind TEXT's output as a heat map into -o (default attention.png).")
@click.option("-o", "--output", default=None, metavar="FILE", help="Write the outputs to FILE (default '-': stdout); with --plot-attention, the picture (default attention.png; PNG, or .pdf / .svg by extension).")
@device_option
@_ENCODING
def transduce(files: tuple[str, ...], model_name: str | None, beam: int, num: int, max_tokens: int | None,
              length_penalty: float, batch_size: int, mode: str | None, plot_text: str | None, output: str | None,
              device: str, encoding_errors: str) -> None:
    """Transduce each line of FILES (or stdin) with a seq2seq model: one output line per
    input line, blank lines included; with --num N the N outputs are tab-separated.

    \b
    echo phoneme | wordseq transduce -m g2p --beam 5
    wordseq transduce words.txt -m g2p --num 3 --beam 5 --nl
    wordseq transduce -m g2p --plot-attention phoneme -o attention.png
    """
    from wordseq.seq2seq.config import SearchSettings
    from wordseq.store import load
    from wordseq.text.reader import CorpusReader

    if plot_text is not None and files:
        raise click.UsageError("--plot-attention draws one text: give no FILES with it")
    if plot_text is not None and output == "-" and _stdout_is_terminal():
        raise click.UsageError("a picture is not sent to a terminal: give -o FILE or redirect stdout")
    search = SearchSettings(beam=beam, num=num, max_tokens=max_tokens, length_penalty=length_penalty,
                            batch_size=batch_size)
    if num > beam:
        warn(f"--num {num} is more than --beam {beam}: showing up to {beam}")
    model = load(model_name, "seq2seq", device=device)
    if plot_text is not None:
        return _plot(model, plot_text, output or PICTURE, search)
    reader = CorpusReader(files, encoding_errors)
    _write_transductions(model.transduce_stream(reader, search), output or "-", mode, beam, reader.label)
    if reader.replaced:
        warn(f"replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")


PICTURE = "attention.png"  # like `embeddings plot` and `models plot`: a file, never PNG bytes on a terminal


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _write_transductions(results: Any, output: str, mode: str | None, beam: int, label: str) -> None:
    import json

    from wordseq.errors import InputError
    from wordseq.store import output_file
    from wordseq.store.meta import json_safe

    with output_file(output) as out:
        if mode == "json":
            doc = {"beam": beam, "results": [r.to_dict() for r in results]}
            if not doc["results"]:
                raise InputError(f"{label}: input is empty")
            out.write(json.dumps(json_safe(doc), ensure_ascii=False, indent=2) + "\n")
            return
        lines = 0
        for r in results:
            line = (json.dumps(json_safe(r.to_dict()), ensure_ascii=False) if mode == "nl"
                    else "\t".join(c.text for c in r.candidates))
            out.write(line + "\n")
            out.flush()  # each batch's lines leave at once: a pipe sees them as they are made
            lines += 1
        if not lines:
            raise InputError(f"{label}: input is empty")


def _plot(model: Any, text: str, output: str, search: Any) -> None:
    from wordseq.seq2seq.plot import plot_attention

    attention = model.attention(text, beam=search.beam, max_tokens=search.max_tokens)
    shown = model.target_text([t for t in attention.target_tokens if t != "</s>"])
    plot_attention(attention, output, title=f"{text} → {shown}")
    log(f"{text} → {shown}: attention drawn to {'stdout' if output == '-' else output}")
