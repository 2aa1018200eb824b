"""wordseq subword train: BPE / unigram units (or an imported tokenizer.json) as a model."""

from __future__ import annotations

import click

from wordseq.cli.console import log, warn
from wordseq.cli.options import output_model_option
from wordseq.text.reader import ENCODING_ERRORS
from wordseq.text.subword import SUBWORD_TYPES


@click.group()
def subword() -> None:
    """Subword units (BPE, unigram) for --level subword."""


@subword.command("train")
@click.argument("corpus", nargs=-1, metavar="[CORPUS|-]...")
@output_model_option("subword")
@click.option("--vocab", "vocab_size", type=int, default=8000, show_default=True, help="Number of units (at least 300: 256 are the byte fallback).")
@click.option("--type", "model_type", type=click.Choice(SUBWORD_TYPES), default="bpe", show_default=True, help="Byte-pair encoding or a unigram language model (SentencePiece).")
@click.option("--tokenizer", default=None, metavar="FILE", help="Import a Hugging Face tokenizer.json instead of training (no CORPUS).")
@click.option("--encoding-errors", type=click.Choice(ENCODING_ERRORS), default="strict", show_default=True,
              help="On invalid UTF-8: stop with an error, or replace the bytes and go on.")
def train(corpus: tuple[str, ...], output: str | None, vocab_size: int, model_type: str, tokenizer: str | None,
          encoding_errors: str) -> None:
    """Train subword units on CORPUS files (or stdin) with SentencePiece, or import a
    Hugging Face tokenizer.json with --tokenizer; saved as a subword model.

    The units keep every character: text never seen becomes its UTF-8 bytes as units, and
    detokenizing gives the text back. Use them with --level subword --subword NAME on
    tokenize, vocab build, ngram train, lm train, train-embeddings, classify train and
    seq2seq train.

    \b
    wordseq subword train reviews.txt -o bpe8k --vocab 8000 --type bpe
    wordseq subword train --tokenizer tokenizer.json -o gpt2
    wordseq ngram train reviews.txt --level subword --subword bpe8k -o units5
    """
    from wordseq.subwords import import_tokenizer, train_subwords
    from wordseq.text.reader import CorpusReader

    if tokenizer is not None:
        if corpus:
            raise click.UsageError("give CORPUS to train, or --tokenizer FILE to import; not both")
        ctx = click.get_current_context()
        given = [f"--{name}" for name, param in (("vocab", "vocab_size"), ("type", "model_type"),
                                                 ("encoding-errors", "encoding_errors"))
                 if ctx.get_parameter_source(param) is not click.core.ParameterSource.DEFAULT]
        if given:  # the imported file fixes its units, their number and its encoding
            raise click.UsageError(f"{', '.join(given)}: for training on CORPUS; --tokenizer imports the units as "
                                   "they are")
        tok = import_tokenizer(tokenizer, output)
        log(f"imported {tok.size:,} units from {tokenizer} as subword/{tok.name}")
        return
    reader = CorpusReader(corpus, encoding_errors)
    tok = train_subwords(reader, output, vocab_size=vocab_size, model_type=model_type)
    if reader.replaced:
        warn(f"replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")
    log(f"{model_type}: {tok.size:,} units saved as subword/{tok.name}")
