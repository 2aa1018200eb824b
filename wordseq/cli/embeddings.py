"""wordseq train-embeddings, analogy, similar, eval analogies / similarity, embeddings export / import."""

from __future__ import annotations

from typing import Any

import click

from wordseq.cli.console import echo_json, log, progress, warn
from wordseq.cli.options import json_option, preprocessing_options
from wordseq.text.preprocess import PreprocessConfig

_MODEL_HELP = "Embeddings model NAME or PATH. Default: 'default'."


def _default_workers() -> int:
    from wordseq.embeddings.config import default_workers

    return default_workers()


@click.command("train-embeddings")
@click.argument("corpus", nargs=-1, required=True)
@click.option("-o", "--output", default=None, help="Model NAME or PATH to save to. Default: 'default'.")
@click.option("--dim", type=int, default=100, show_default=True, help="Vector size.")
@click.option("--window", type=int, default=5, show_default=True, help="Context words on each side.")
@click.option("--negative", type=int, default=None, help="Negative samples per word [default: 5; 0 with --hs].")
@click.option("--min-count", type=int, default=5, show_default=True, help="Ignore words seen fewer times.")
@click.option("--epochs", type=int, default=5, show_default=True)
@click.option("--sample", type=float, default=1e-3, show_default=True, help="Down-sampling threshold for frequent words (0: off).")
@click.option("--cbow", is_flag=True, help="CBOW instead of skip-gram.")
@click.option("--hs", is_flag=True, help="Hierarchical softmax instead of negative sampling.")
@click.option("--alpha", type=float, default=0.025, show_default=True, help="Initial learning rate.")
@click.option("--workers", type=click.IntRange(min=1), default=_default_workers, show_default="CPU cores, at most 8",
              help="Training threads and tokenizing processes.")
@click.option("--seed", type=int, default=1, show_default=True, help="With --workers 1 the vectors are identical run to run.")
@preprocessing_options
def train_embeddings(corpus: tuple[str, ...], output: str | None, dim: int, window: int, negative: int | None,
                     min_count: int, epochs: int, sample: float, cbow: bool, hs: bool, alpha: float, workers: int,
                     seed: int, preprocess: PreprocessConfig, encoding_errors: str) -> None:
    """Train Word2Vec vectors (skip-gram, negative sampling by default) on CORPUS files.

    \b
    wordseq train-embeddings corpus.txt -o news --dim 200 --epochs 10
    wordseq train-embeddings tokens.txt --pretokenized --cbow
    wordseq analogy king man woman -m news
    """
    from wordseq.embeddings.config import Word2VecConfig
    from wordseq.embeddings.train import train_word2vec
    from wordseq.embeddings.vectors import KIND, save_vectors
    from wordseq.store import model_dir, new_meta, save_model
    from wordseq.text.reader import CorpusReader

    if negative is None:
        negative = 0 if hs else 5
    config = Word2VecConfig(dim=dim, window=window, negative=negative, min_count=min_count, epochs=epochs,
                            sample=sample, cbow=cbow, hs=hs, alpha=alpha, workers=workers, seed=seed)
    target = model_dir(output, KIND)
    reader = CorpusReader(list(corpus), encoding_errors)
    with progress("tokenize", unit="lines") as read_bar:
        with progress("train", total=config.epochs, unit="epochs") as bar:
            def on_epoch(e: Any) -> None:
                loss = f", probe loss {e.probe_loss:.4f}" if e.probe_loss is not None else ""
                bar.advance(1)
                bar.update(info=f"{e.words_per_second:,.0f} words/s{loss}")
                log(f"epoch {e.epoch}/{config.epochs}: {e.seconds:.2f} s, {e.words_per_second:,.0f} words/s{loss}")

            label = ", ".join("<stdin>" if c == "-" else c for c in corpus)
            result = train_word2vec(reader, preprocess, config, on_epoch=on_epoch, on_lines=read_bar.advance, label=label)
    if reader.replaced:
        warn(f"replaced {reader.replaced} invalid UTF-8 byte(s) with U+FFFD")
    if result.corpus.split_sequences:
        warn(f"{result.corpus.split_sequences} sequence(s) longer than 10,000 tokens were split (gensim's limit)")
    summary = (f"word2vec {config.architecture}, {config.dim}d, {result.vocab_size:,} words, "
               f"{result.corpus.tokens:,} tokens, {preprocess.describe()}")
    meta = new_meta(
        KIND,
        summary=summary,
        preprocessing=preprocess.to_dict(),
        config=config.to_dict(),
        corpus={"sources": [s.to_dict() for s in reader.sources], **result.corpus.to_dict()},
        training=result.figures(),
    )
    save_model(target, meta, lambda folder: save_vectors(result.keyed_vectors, folder))
    log(f"{result.vocab_size:,} words × {config.dim} from {result.corpus.tokens:,} tokens; "
        f"{result.words_per_second:,.0f} words/s, {result.train_seconds:.1f} s training "
        f"(+{result.prepare_seconds:.1f} s tokenizing and vocabulary); saved to {target}")


def _print_scored(results: list[dict[str, Any]]) -> None:
    for r in results:
        click.echo(f"{r['word']}\t{r['score']:.4f}")


@click.command()
@click.argument("words", nargs=3, metavar="A B C")
@click.option("-m", "--model", "model_name", default=None, help=_MODEL_HELP)
@click.option("--topn", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--method", type=click.Choice(["add", "mul"]), default="add", show_default=True, help="3CosAdd or 3CosMul.")
@json_option
def analogy(words: tuple[str, str, str], model_name: str | None, topn: int, method: str, as_json: bool) -> None:
    """The word D with A − B + C ≈ D: "king man woman" → queen (A is to B as D is to C).

    Query words go through the model's preprocessing and are never given as answers.
    """
    import numpy as np

    from wordseq.embeddings.analogy import analogy_query, analogy_scores, top_k
    from wordseq.embeddings.vectors import load_embeddings

    model = load_embeddings(model_name)
    q = analogy_query(words)
    plus = [model.lookup(q.plus[0]), model.lookup(q.plus[1])]
    minus = model.lookup(q.minus)
    scores = analogy_scores(model.vectors.unit(), np.array([plus]), np.array([minus]), method)
    idx, best = top_k(scores, topn)
    results = [{"word": model.vectors.words[i], "score": float(s)} for i, s in zip(idx[0], best[0]) if np.isfinite(s)]
    if as_json:
        echo_json({"query": {"plus": [model.vectors.words[i] for i in plus], "minus": model.vectors.words[minus]},
                   "method": method, "results": results})
    else:
        _print_scored(results)


@click.command()
@click.argument("word")
@click.option("-m", "--model", "model_name", default=None, help=_MODEL_HELP)
@click.option("--topn", type=click.IntRange(min=1), default=10, show_default=True)
@json_option
def similar(word: str, model_name: str | None, topn: int, as_json: bool) -> None:
    """The words nearest to WORD by cosine similarity."""
    import numpy as np

    from wordseq.embeddings.analogy import nearest_scores, top_k
    from wordseq.embeddings.vectors import load_embeddings

    model = load_embeddings(model_name)
    row = model.lookup(word)
    idx, best = top_k(nearest_scores(model.vectors.unit(), np.array([row])), topn)
    results = [{"word": model.vectors.words[i], "score": float(s)} for i, s in zip(idx[0], best[0]) if np.isfinite(s)]
    if as_json:
        echo_json({"word": model.vectors.words[row], "results": results})
    else:
        _print_scored(results)


@click.group("eval")
def eval_() -> None:
    """Evaluate embeddings on analogy and word-similarity sets."""


def _report_malformed(malformed: list[Any], path: Any) -> None:
    for m in malformed[:10]:
        warn(f"{path}: line {m.line}: {m.reason}: {m.text[:80]!r} (skipped)")
    if len(malformed) > 10:
        warn(f"{path}: {len(malformed) - 10} more malformed line(s) skipped")


@eval_.command("analogies")
@click.argument("file", required=False, metavar="[FILE|google]")
@click.option("-m", "--model", "model_name", default=None, help=_MODEL_HELP)
@click.option("--restrict", type=click.IntRange(min=0), default=30000, show_default=True,
              help="Use only the N most frequent words (0: all), like word2vec's compute-accuracy.")
@click.option("--method", type=click.Choice(["add", "mul"]), default="add", show_default=True, help="3CosAdd or 3CosMul.")
@json_option
def eval_analogies(file: str | None, model_name: str | None, restrict: int, method: str, as_json: bool) -> None:
    """Accuracy per section and in total on the Google analogy set (default) or FILE.

    FILE has lines 'a b c d' (b − a + c ≈ d) in sections started by ': name'. Output lines:
    section, correct, attempted, accuracy, skipped (a word outside the vocabulary).
    """
    from wordseq.embeddings.evaluation import ANALOGY_SETS, dataset_path, evaluate_analogies
    from wordseq.embeddings.vectors import load_embeddings

    path = dataset_path(file, ANALOGY_SETS)
    model = load_embeddings(model_name)
    report = evaluate_analogies(model, path, restrict=restrict or None, method=method)
    _report_malformed(report.malformed, path)
    if as_json:
        echo_json(report.to_dict())
    else:
        for s in report.sections:
            acc = f"{s.accuracy:.4f}" if s.accuracy is not None else "n/a"
            click.echo(f"{s.name}\t{s.correct}\t{s.attempted}\t{acc}\t{s.skipped_oov}")
        acc = f"{report.accuracy:.4f}" if report.accuracy is not None else "n/a"
        click.echo(f"total\t{report.correct}\t{report.attempted}\t{acc}\t{report.skipped_oov}")
    if report.attempted == 0:
        warn(f"no question has all its words among the {report.restrict:,} most frequent words; accuracy is undefined")
    log(f"{method}: {report.correct:,}/{report.attempted:,} correct"
        + (f" ({report.accuracy:.2%})" if report.accuracy is not None else "")
        + f"; {report.skipped_oov:,} of {report.questions:,} questions skipped (words outside the {report.restrict:,} most frequent)")


@eval_.command("similarity")
@click.argument("file", required=False, metavar="[FILE|wordsim353|simlex999]")
@click.option("-m", "--model", "model_name", default=None, help=_MODEL_HELP)
@json_option
def eval_similarity(file: str | None, model_name: str | None, as_json: bool) -> None:
    """Spearman correlation with human judgements: WordSim-353 (default), SimLex-999 or FILE.

    FILE has lines 'word1<TAB>word2<TAB>score'; '#' lines are comments.
    """
    from wordseq.embeddings.evaluation import SIMILARITY_SETS, dataset_path, evaluate_similarity
    from wordseq.embeddings.vectors import load_embeddings

    path = dataset_path(file, SIMILARITY_SETS)
    model = load_embeddings(model_name)
    report = evaluate_similarity(model, path)
    _report_malformed(report.malformed, path)
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(f"spearman\t{report.spearman:.4f}")
        click.echo(f"pearson\t{report.pearson:.4f}")
        click.echo(f"pairs\t{report.used}\t{report.pairs}")
    log(f"{report.used:,} of {report.pairs:,} pairs used; {report.skipped_oov:,} skipped (word outside the vocabulary)")


@click.group()
def embeddings() -> None:
    """Move vectors to and from word2vec, gensim and fastText files."""


@embeddings.command("export")
@click.argument("model_name", metavar="MODEL")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["word2vec-text", "word2vec-bin"]), default="word2vec-text", show_default=True)
def export(model_name: str, out: str, fmt: str) -> None:
    """Write MODEL's vectors to OUT in word2vec format (most frequent word first)."""
    from pathlib import Path

    from wordseq.embeddings.formats import export_word2vec
    from wordseq.embeddings.vectors import load_embeddings

    model = load_embeddings(model_name)
    export_word2vec(model.vectors, Path(out), fmt)
    log(f"wrote {len(model.vectors):,} vectors × {model.vectors.dim} to {out} ({fmt})")


@embeddings.command("import")
@click.argument("file")
@click.option("-o", "--output", default=None, help="Model NAME or PATH to save to. Default: 'default'.")
@click.option("--format", "fmt", type=click.Choice(["auto", "word2vec-text", "word2vec-bin"]), default="auto", show_default=True)
def import_(file: str, output: str | None, fmt: str) -> None:
    """Make a model from a word2vec-format FILE (text or binary; fastText .vec and GloVe too).

    Queries are then lowercased only if every word of the file is lowercase.
    """
    from pathlib import Path

    from wordseq.embeddings.formats import import_word2vec
    from wordseq.embeddings.vectors import KIND, save_vectors
    from wordseq.store import model_dir, new_meta, save_model
    from wordseq.text.reader import SourceStats

    target = model_dir(output, KIND)
    kv = import_word2vec(Path(file), fmt)
    words = kv.index_to_key
    lower = all(w == w.lower() for w in words)
    preprocess = PreprocessConfig(lower=lower, pretokenized=True)
    source = SourceStats(name=file, bytes=Path(file).stat().st_size)
    meta = new_meta(
        KIND,
        summary=f"imported from {Path(file).name}, {kv.vector_size}d, {len(kv):,} words",
        preprocessing=preprocess.to_dict(),
        imported={"source": source.to_dict(), "format": fmt, "words": len(kv), "dim": kv.vector_size},
    )
    save_model(target, meta, lambda folder: save_vectors(kv, folder))
    log(f"imported {len(kv):,} vectors × {kv.vector_size} ({'lowercase' if lower else 'cased'} words) to {target}")
