"""wordseq lm train / eval: RNN, LSTM and GRU language models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from wordseq.cli.console import echo_json, log, progress, warn
from wordseq.cli.options import json_option, preprocessing_options
from wordseq.cli.startup import import_nltk_quickly
from wordseq.errors import InputError
from wordseq.text.preprocess import PreprocessConfig


@click.group()
def lm() -> None:
    """Train and evaluate neural (RNN / LSTM / GRU) language models."""


_DEVICE = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True, help="CUDA when present with auto.")


@lm.command("train")
@click.argument("corpus", nargs=-1, required=True)
@click.option("-o", "--output", default=None, help="Model NAME or PATH. Default: 'default'.")
@click.option("--valid", "valid_file", default=None, help="Validation text. Default: the last 10% of the corpus's sequences.")
@click.option("--test", "test_file", default=None, help="Test text scored with the best weights at the end.")
@click.option("--cell", type=click.Choice(["rnn", "lstm", "gru"]), default="lstm", show_default=True, help="Recurrent cell (rnn: tanh).")
@click.option("--layers", type=int, default=2, show_default=True)
@click.option("--emb", type=int, default=None, help="Embedding size. Default: 200, or the size of --init-embeddings.")
@click.option("--hidden", type=int, default=200, show_default=True)
@click.option("--dropout", type=float, default=0.2, show_default=True)
@click.option("--tie/--no-tie", default=False, show_default=True, help="Share input embedding and output weights (needs --emb = --hidden).")
@click.option("--bptt", type=int, default=35, show_default=True, help="Truncated back-propagation window (tokens).")
@click.option("--batch-size", type=int, default=20, show_default=True)
@click.option("--epochs", type=int, default=10, show_default=True, help="Total epochs (with --resume: including those done).")
@click.option("--optimizer", type=click.Choice(["sgd", "adam"]), default="sgd", show_default=True)
@click.option("--lr", type=float, default=None, help="Learning rate. Default: 20 for SGD, 0.001 for Adam; divided by 4 on a validation plateau.")
@click.option("--clip", type=float, default=0.25, show_default=True, help="Gradient-norm clipping (0: off).")
@click.option("--patience", type=int, default=3, show_default=True, help="Stop after this many epochs without a better validation perplexity (0: never).")
@click.option("--min-count", type=int, default=1, show_default=True, help="Words seen fewer times in training become <unk>.")
@click.option("--max-size", type=int, default=None, help="Keep at most this many words.")
@click.option("--init-embeddings", "init_embeddings", default=None, metavar="MODEL", help="Start input embeddings from a wordseq embeddings model.")
@_DEVICE
@click.option("--seed", type=int, default=1111, show_default=True, help="Same seed, same model (on CPU).")
@click.option("--resume", is_flag=True, help="Continue the interrupted or finished training saved at -o.")
@preprocessing_options
def train(corpus: tuple[str, ...], output: str | None, valid_file: str | None, test_file: str | None, cell: str, layers: int,
          emb: int | None, hidden: int, dropout: float, tie: bool, bptt: int, batch_size: int, epochs: int, optimizer: str,
          lr: float | None, clip: float, patience: int, min_count: int, max_size: int | None, init_embeddings: str | None,
          device: str, seed: int, resume: bool, preprocess: PreprocessConfig, encoding_errors: str) -> None:
    """Train a word- or character-level RNN language model on CORPUS files.

    Shows train / validation perplexity, tokens/s and learning rate per epoch, keeps the
    weights with the best validation perplexity, and saves after every epoch. Ctrl-C
    stops after the current batch and saves a checkpoint that --resume continues.

    \b
    wordseq lm train corpus.txt --epochs 6 -o news
    wordseq lm train corpus.txt --cell gru --tie --emb 256 --hidden 256
    wordseq lm train corpus.txt -o news --resume --epochs 10
    """
    import torch

    from wordseq.neural.checkpoint import RESUME_FILE, load_checkpoint
    from wordseq.neural.config import LMConfig
    from wordseq.neural.data import build_training_data
    from wordseq.neural.device import resolve_device
    from wordseq.neural.model import RNNModel
    from wordseq.neural.train import TrainConfig, Trainer
    from wordseq.store import find_model, model_dir, read_meta
    from wordseq.text.preprocess import Preprocessor
    from wordseq.text.reader import CorpusReader

    dev = resolve_device(device)
    target = model_dir(output, "lm")
    train_cfg = TrainConfig(epochs=epochs, optimizer=optimizer, lr=lr, clip=clip, bptt=bptt, batch_size=batch_size,
                            patience=patience or None, seed=seed)
    previous = None
    if resume:
        if not (target / RESUME_FILE).is_file():
            raise InputError(f"nothing to resume at {target} (no {RESUME_FILE}); train without --resume first")
        previous = load_checkpoint(target / RESUME_FILE)
        old_meta = read_meta(target)
        preprocess = PreprocessConfig.from_dict(old_meta.get("preprocessing", {}))
        log(f"resuming {target}: model and preprocessing settings come from the checkpoint")
    torch.manual_seed(seed)

    reader = CorpusReader(list(corpus), encoding_errors)
    valid_reader = CorpusReader([valid_file], encoding_errors) if valid_file else None
    pre = Preprocessor(preprocess)
    with progress("reading", unit="lines"):
        data = build_training_data(reader, pre, valid_reader, min_count=min_count, max_size=max_size,
                                   vocab=previous.vocab if previous else None)
    vocab = data.vocab
    if previous is not None:
        config = previous.config
    else:
        if init_embeddings and emb is None:
            from wordseq.neural.pretrained import embedding_dim

            emb = embedding_dim(find_model(init_embeddings, "embeddings")[0])
        config = LMConfig(vocab_size=len(vocab), cell=cell, layers=layers, emb=emb or 200, hidden=hidden,
                          dropout=dropout, tie=tie)
    model = RNNModel(config).to(dev)
    init_info: dict[str, Any] | None = None
    if init_embeddings and previous is None:
        from wordseq.neural.pretrained import init_embeddings as copy_vectors

        emb_path, _ = find_model(init_embeddings, "embeddings")
        got = copy_vectors(model, vocab, emb_path)
        init_info = {"model": str(emb_path), "found": got.found, "words": got.words}
        log(f"embeddings from {emb_path}: {got.found:,} of {got.words:,} words; "
            f"{got.words - got.found:,} start random")
    trainer = Trainer(model, data.train, data.valid, train_cfg, dev)
    if previous is not None:
        assert previous.trainer_state is not None
        model.load_state_dict(previous.model_state)
        trainer.load_state_dict(previous.trainer_state, keep_lr=lr is None)
        init_info = old_meta.get("init_embeddings")
        if old_meta.get("corpus") and [c.get("sha256") for c in old_meta["corpus"]] != [s.sha256 for s in reader.sources]:
            warn("the corpus differs from the one the checkpoint was trained on")

    test_stream = None
    if test_file:
        from wordseq.neural.data import encode_text

        # read before training, so a bad test file fails at once rather than after hours
        test_stream = encode_text(CorpusReader([test_file], encoding_errors), pre, vocab)
    cov = vocab.coverage()
    valid_name = valid_file or "held-out tail of the corpus (last 10% of sequences)"
    log(f"{config.describe()} on {dev.type}: {vocab.num_words:,} words + 4 specials, "
        f"{data.train.predicted:,} training tokens, validation: {valid_name} ({data.valid.predicted:,} tokens)")
    if data.valid.predicted == 0:
        raise InputError("the validation text is empty; give --valid FILE or a longer corpus")

    def save(complete: bool, test: dict[str, Any] | None = None) -> None:
        meta = _train_meta(config, train_cfg, trainer, preprocess, reader, valid_file, data, cov.ratio, dev.type,
                           complete, init_info, test)
        _save_model_dir(target, meta, config, vocab, trainer)

    with progress(f"epoch {trainer.epoch}", total=trainer.batches_per_epoch, unit="batches") as bar:
        bar.update(completed=trainer.batches_done)

        def on_batch(done: int, total: int, loss: float) -> None:
            bar.update(completed=done, info=f"loss {loss:.3f}  lr {trainer.lr:g}")

        def on_epoch(rec: Any) -> None:
            mark = "  (best)" if rec.best else ""
            log(f"epoch {rec.epoch:3d}  train ppl {rec.train_ppl:9.2f}  valid ppl {rec.valid_ppl:9.2f}  "
                f"lr {rec.lr:g}  {rec.tokens_per_s:,.0f} tokens/s  {rec.seconds:.1f}s{mark}")
            save(complete=False)
            bar.update(completed=0, description=f"epoch {trainer.epoch}")

        done = trainer.run(on_batch=on_batch, on_epoch=on_epoch)
    if not done:
        save(complete=False)
        log(f"interrupted in epoch {trainer.epoch}: saved to {target}; continue with "
            f"'wordseq lm train {' '.join(corpus)} -o {target} --resume'")
        raise KeyboardInterrupt
    if trainer.stopped_early:
        log(f"stopped early: no better validation perplexity for {train_cfg.patience} epochs")
    test = None
    if test_file and test_stream is not None:
        from wordseq.neural.evaluate import score_stream

        model.load_state_dict(trainer.best_model_state())
        report = score_stream(model, test_stream, dev, bptt=bptt)
        test = {"file": test_file, **report.to_dict()}
        click.echo(f"test_perplexity\t{report.perplexity:.4f}")
        log(f"test {test_file}: perplexity {report.perplexity:.2f}, OOV rate {report.oov_rate:.2%}")
    save(complete=True, test=test)
    log(f"saved {target}")


def _train_meta(config: Any, train_cfg: Any, trainer: Any, preprocess: PreprocessConfig, reader: Any, valid_file: str | None,
                data: Any, coverage: float, device: str, complete: bool, init_info: dict[str, Any] | None,
                test: dict[str, Any] | None) -> dict[str, Any]:
    import math

    from wordseq.store import new_meta

    best = math.exp(trainer.best_valid_loss) if trainer.best_valid_loss < 700 else None
    summary = f"{config.describe()}, {data.vocab.num_words:,} words" + (f", valid ppl {best:.1f}" if best else "")
    return new_meta(
        "lm",
        summary=summary,
        preprocessing=preprocess.to_dict(),
        config=config.to_dict(),
        training=train_cfg.to_dict(),
        corpus=[s.to_dict() for s in reader.sources],
        valid={"source": valid_file or "held-out tail", "tokens": data.valid.predicted, "sequences": data.valid.sequences},
        train_tokens=data.train.predicted,
        vocab={"size": len(data.vocab), "words": data.vocab.num_words, "coverage": coverage},
        init_embeddings=init_info,
        device=device,
        complete=complete,
        epochs_done=len(trainer.history),
        best_valid_ppl=best,
        history=trainer.history,
        test=test,
    )


def _save_model_dir(target: Path, meta: dict[str, Any], config: Any, vocab: Any, trainer: Any) -> None:
    from wordseq.neural.checkpoint import MODEL_FILE, RESUME_FILE, VOCAB_FILE, Checkpoint, save_checkpoint
    from wordseq.store import save_model

    def write(folder: Path) -> None:
        save_checkpoint(folder / MODEL_FILE, Checkpoint(config, vocab, trainer.best_model_state()))
        current = {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()}
        save_checkpoint(folder / RESUME_FILE, Checkpoint(config, vocab, current, trainer.state_dict()))
        vocab.save(folder / VOCAB_FILE)

    save_model(target, meta, write)


@lm.command("eval")
@click.argument("text", nargs=-1, required=True)
@click.option("-m", "--model", "model_name", default=None, help="Model NAME or PATH. Default: 'default'.")
@_DEVICE
@click.option("--encoding-errors", type=click.Choice(["strict", "replace"]), default="strict", show_default=True, help="On invalid UTF-8: stop with an error, or replace the bytes and go on.")
@json_option
def eval_(text: tuple[str, ...], model_name: str | None, device: str, encoding_errors: str, as_json: bool) -> None:
    """Perplexity of TEXT files under a neural LM, with OOVs counted (as KenLM's query).

    Every token and each sequence's </s> is predicted; words the model never saw are
    scored as <unk> and reported. Character-level models also give bits per character.
    """
    from wordseq.neural.data import encode_text
    from wordseq.neural.evaluate import score_stream
    from wordseq.neural.lm import load_neural_lm
    from wordseq.store import find_model
    from wordseq.text.preprocess import Preprocessor
    from wordseq.text.reader import CorpusReader

    path, meta = find_model(model_name, "lm")
    lm_ = load_neural_lm(path, device)
    reader = CorpusReader(list(text), encoding_errors)
    with progress("scoring", unit="lines"):
        import_nltk_quickly(lm_.preprocess)
        stream = encode_text(reader, Preprocessor(lm_.preprocess), lm_.vocab)
    if stream.predicted == 0:
        raise InputError(f"{', '.join(text)}: no tokens to score")
    bptt = int(meta.get("training", {}).get("bptt", 35))
    report = score_stream(lm_.model, stream, lm_.device, bptt=bptt)
    char = lm_.preprocess.level == "char"
    if as_json:
        doc: dict[str, Any] = {"model": str(path), "level": lm_.preprocess.level, **report.to_dict()}
        if char:
            doc["bits_per_char"] = report.bits_per_token
        echo_json(doc)
    else:
        for line in report.lines():
            click.echo(line)
        if char:
            click.echo(f"bits_per_char\t{report.bits_per_token:.4f}")
    if reader.replaced:
        warn(f"replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")
    if report.oov:
        log(f"{report.oov:,} of {report.tokens:,} tokens ({report.oov_rate:.2%}) are not in the model's vocabulary")
