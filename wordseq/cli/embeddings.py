"""wordseq train-embeddings, analogy, similar, eval analogies / similarity, embeddings export / import."""

from __future__ import annotations

from typing import Any

import click

from wordseq.cli.console import echo_json, log, reporter, warn
from wordseq.cli.options import json_option, model_option, output_model_option, preprocessing_options
from wordseq.config_checks import DEFAULT_SEED
from wordseq.text.preprocess import PreprocessConfig


def _default_workers() -> int:
    from wordseq.embeddings.config import default_workers

    return default_workers()


@click.command("train-embeddings")
@click.argument("corpus", nargs=-1, metavar="[CORPUS|-]...")
@output_model_option("embeddings")
@click.option("--dim", type=click.IntRange(1, 10_000), default=100, show_default=True, help="Vector size.")
@click.option("--window", type=click.IntRange(1, 1000), default=5, show_default=True, help="Context words on each side.")
@click.option("--negative", type=click.IntRange(0, 1000), default=None, help="Negative samples per word [default: 5; 0 with --hs].")
@click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True, help="Ignore words seen fewer times.")
@click.option("--epochs", type=click.IntRange(1, 10_000), default=5, show_default=True)
@click.option("--sample", type=float, default=1e-3, show_default=True, help="Down-sampling threshold for frequent words: a fraction of the tokens, or a count from 1 up to 1e12 (0: off).")
@click.option("--cbow", is_flag=True, help="CBOW instead of skip-gram.")
@click.option("--hs", is_flag=True, help="Hierarchical softmax instead of negative sampling.")
@click.option("--alpha", type=float, default=0.025, show_default=True, help="Initial learning rate, in (0, 1].")
@click.option("--workers", type=click.IntRange(min=1), default=_default_workers, show_default="CPU cores, at most 8",
              help="Training threads and tokenizing processes.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=DEFAULT_SEED, show_default=True, help="With --workers 1 the vectors are identical run to run.")
@click.option("--subwords", is_flag=True, help="fastText vectors (gensim's FastText): words are also made of character n-grams, so unseen words get vectors.")
@click.option("--min-n", type=int, default=None, help="With --subwords: shortest character n-gram [default: 3].")
@click.option("--max-n", type=int, default=None, help="With --subwords: longest character n-gram [default: 6].")
@click.option("--buckets", type=int, default=None, help="With --subwords: rows the n-grams are hashed into [default: 2000000].")
@preprocessing_options
def train_embeddings(corpus: tuple[str, ...], output: str | None, preprocess: PreprocessConfig, encoding_errors: str,
                     **options: Any) -> None:
    """Train Word2Vec vectors (skip-gram, negative sampling by default) on CORPUS files
    (or stdin); with --subwords, fastText vectors that give any word a vector.

    \b
    wordseq train-embeddings corpus.txt -o news --dim 200 --epochs 10
    wordseq train-embeddings tokens.txt --pretokenized --cbow
    wordseq train-embeddings corpus.txt -o news-ft --subwords --min-n 3 --max-n 6 --buckets 500000
    wordseq analogy king man woman -m news
    """
    from wordseq.embeddings.train import train_embeddings as train
    from wordseq.store import DEFAULT_NAME
    from wordseq.text.reader import CorpusReader

    given = {k: v for k, v in options.items() if not (k in ("min_n", "max_n", "buckets") and v is None)}
    train(CorpusReader(corpus, encoding_errors), output or DEFAULT_NAME, preprocess=preprocess,
          reporter=reporter(), **given)


def _print_scored(results: list[tuple[str, float]]) -> None:
    for word, score in results:
        click.echo(f"{word}\t{score:.4f}")


@click.command()
@click.argument("words", nargs=-1, metavar="[A B C]")
@model_option("embeddings")
@click.option("-p", "--positive", multiple=True, metavar="WORD", help="A word to add (repeatable), as gensim's most_similar(positive=...).")
@click.option("-n", "--negative", multiple=True, metavar="WORD", help="A word to subtract (repeatable).")
@click.option("--topn", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--method", type=click.Choice(["add", "mul"]), default="add", show_default=True, help="3CosAdd or 3CosMul.")
@json_option
def analogy(words: tuple[str, ...], model_name: str | None, positive: tuple[str, ...], negative: tuple[str, ...],
            topn: int, method: str, as_json: bool) -> None:
    """The word D with A − B + C ≈ D: "king man woman" → queen (A is to B as D is to C).

    A B C is --positive A --positive C --negative B (gensim's order: positive=[A, C],
    negative=[B]); any number of --positive / --negative words works too. (A line
    'a b c d' of an analogy file is the Google set's order: b − a + c ≈ d.) Query words go
    through the model's preprocessing and are never given as answers.

    \b
    wordseq analogy king man woman -m news --topn 3
    wordseq analogy -p king -p woman -n man -m news --topn 3
    """
    from wordseq.embeddings.model import load_embeddings

    if words and (positive or negative):
        raise click.UsageError("give either A B C or --positive / --negative words, not both")
    if words and len(words) != 3:
        raise click.UsageError(f"an analogy is A B C (A − B + C), got {len(words)} word(s)")
    if not words and not positive:
        raise click.UsageError("give A B C, or at least one --positive word")
    if words:
        positive, negative = (words[0], words[2]), (words[1],)
    model = load_embeddings(model_name)
    results = model.most_similar_to(positive, negative, topn=topn, method=method)
    if as_json:
        plus, minus = ([model.query_word(w) for w in ws] for ws in (positive, negative))
        query = {"plus": plus, "minus": minus[0]} if words else {"plus": plus, "minus": minus}
        echo_json({"query": query, "method": method, "results": [{"word": w, "score": s} for w, s in results]})
    else:
        _print_scored(results)


@click.command()
@click.argument("word")
@model_option("embeddings")
@click.option("--topn", type=click.IntRange(min=1), default=10, show_default=True)
@json_option
def similar(word: str, model_name: str | None, topn: int, as_json: bool) -> None:
    """The words nearest to WORD by cosine similarity. A fastText model (trained with
    --subwords, or an imported .bin) answers for words it never saw too.

    \b
    wordseq similar government -m news --topn 5
    wordseq similar governmentally -m news-ft
    """
    from wordseq.embeddings.model import load_embeddings

    model = load_embeddings(model_name)
    results = model.most_similar(word, topn=topn)
    if as_json:
        echo_json({"word": model.query_word(word),
                   "results": [{"word": w, "score": s} for w, s in results]})
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


def _accuracy(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "n/a"


@eval_.command("analogies")
@click.argument("file", required=False, metavar="[FILE|google]")
@model_option("embeddings")
@click.option("--restrict", type=click.IntRange(min=0), default=30000, show_default=True,
              help="Use only the N most frequent words (0: all), like word2vec's compute-accuracy.")
@click.option("--method", type=click.Choice(["add", "mul"]), default="add", show_default=True, help="3CosAdd or 3CosMul.")
@json_option
def eval_analogies(file: str | None, model_name: str | None, restrict: int, method: str, as_json: bool) -> None:
    """Accuracy per section and in total on the Google analogy set (default) or FILE.

    FILE has lines 'a b c d' (b − a + c ≈ d) in sections started by ': name'. Output lines:
    section, correct, attempted, accuracy, skipped (a word outside the vocabulary).

    \b
    wordseq eval analogies -m news --method mul
    """
    from wordseq.embeddings.model import load_embeddings

    report = load_embeddings(model_name).evaluate_analogies(file, restrict=restrict or None, method=method)
    _report_malformed(report.malformed, report.file)
    if as_json:
        echo_json(report.to_dict())
    else:
        for s in report.sections:
            click.echo(f"{s.name}\t{s.correct}\t{s.attempted}\t{_accuracy(s.accuracy)}\t{s.skipped_oov}")
        click.echo(f"total\t{report.correct}\t{report.attempted}\t{_accuracy(report.accuracy)}\t{report.skipped_oov}")
    if report.attempted == 0:
        warn(f"no question has all its words among the {report.restrict:,} most frequent words; accuracy is undefined")
    log(f"{method}: {report.correct:,}/{report.attempted:,} correct"
        + (f" ({report.accuracy:.2%})" if report.accuracy is not None else "")
        + f"; {report.skipped_oov:,} of {report.questions:,} questions skipped (words outside the {report.restrict:,} most frequent)")


@eval_.command("similarity")
@click.argument("file", required=False, metavar="[FILE|wordsim353|simlex999]")
@model_option("embeddings")
@json_option
def eval_similarity(file: str | None, model_name: str | None, as_json: bool) -> None:
    """Spearman correlation with human judgements: WordSim-353 (default), SimLex-999 or FILE.

    FILE has lines 'word1<TAB>word2<TAB>score'; '#' lines are comments.

    \b
    wordseq eval similarity simlex999 -m news
    """
    from wordseq.embeddings.model import load_embeddings

    report = load_embeddings(model_name).evaluate_similarity(file)
    _report_malformed(report.malformed, report.file)
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(f"spearman\t{report.spearman:.4f}")
        click.echo(f"pearson\t{report.pearson:.4f}")
        click.echo(f"pairs\t{report.used}\t{report.pairs}")
    log(f"{report.used:,} of {report.pairs:,} pairs used; {report.skipped_oov:,} skipped (word outside the vocabulary)")


@click.group()
def embeddings() -> None:
    """Move vectors to and from word2vec, gensim, fastText and TensorBoard files."""


@embeddings.command("export")
@click.argument("model_name", metavar="MODEL")
@click.argument("out", metavar="OUT|-")
@click.option("--format", "fmt", type=click.Choice(["word2vec-text", "word2vec-bin", "projector"]),
              default="word2vec-text", show_default=True,
              help="projector: OUT is a folder that gets TensorBoard's vectors.tsv and metadata.tsv.")
@click.option("--words", "words_file", default=None, metavar="FILE|-",
              help="Only these words (separated by spaces or lines); a fastText model builds unseen ones from n-grams.")
def export(model_name: str, out: str, fmt: str, words_file: str | None) -> None:
    """Write MODEL's vectors to OUT ('-' for stdout) in word2vec format (most frequent
    first); word2vec-text is fastText's .vec format too.

    \b
    wordseq embeddings export news news.bin --format word2vec-bin
    wordseq embeddings export news - | gzip > news.vec.gz
    wordseq embeddings export news-ft rare.vec --words rare-words.txt
    """
    from wordseq.embeddings.formats import export_vectors
    from wordseq.embeddings.model import load_embeddings
    from wordseq.text.reader import CorpusReader

    model = load_embeddings(model_name)
    vectors = model.vectors
    if words_file is not None:
        vectors = model.vectors_of([w for line in CorpusReader([words_file]) for w in line.split()])
    export_vectors(vectors, out, fmt)
    log(f"wrote {len(vectors):,} vectors × {vectors.dim} to {'<stdout>' if out == '-' else out} ({fmt})")


@embeddings.command("import")
@click.argument("file", metavar="FILE|-")
@output_model_option("embeddings")
@click.option("--format", "fmt", type=click.Choice(["auto", "word2vec-text", "word2vec-bin", "fasttext-bin"]), default="auto",
              show_default=True, help="auto tells them apart by their first bytes.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Keep only the first N vectors (the most frequent words).")
@click.option("--encoding-errors", type=click.Choice(["strict", "replace"]), default="strict", show_default=True,
              help="Words that are not valid UTF-8: stop, or replace the bytes.")
def import_(file: str, output: str | None, fmt: str, limit: int | None, encoding_errors: str) -> None:
    """Make a model from a word2vec-format FILE (text or binary, .gz/.bz2/.xz too;
    fastText .vec and GloVe files as well), or from a fastText .bin model: its subword
    n-grams come too, so `similar` answers for words it never saw.

    Queries are then lowercased only if every word of the file is lowercase.

    \b
    wordseq embeddings import GoogleNews-vectors-negative300.bin.gz -o google --limit 500000
    wordseq embeddings import cc.de.300.bin -o de && wordseq similar Donaudampfschifffahrt -m de
    """
    from wordseq.embeddings.model import import_embeddings
    from wordseq.store import DEFAULT_NAME

    model, report = import_embeddings(file, output or DEFAULT_NAME, fmt=fmt, limit=limit, encoding_errors=encoding_errors)
    for message in report.warnings():
        warn(message)
    lower = model.preprocess.lower
    log(f"imported {len(model.vectors):,} vectors × {model.vectors.dim} ({'lowercase' if lower else 'cased'} words) to {model.path}")


@embeddings.command("plot")
@click.argument("model_name", metavar="MODEL")
@click.argument("words", nargs=-1)
@click.option("-o", "--output", default="map.png", show_default=True, metavar="FILE.png", help="Where the picture goes.")
@click.option("--top", type=click.IntRange(3, 5000), default=100, show_default=True, help="Without WORDS: the N most frequent words.")
@click.option("--method", type=click.Choice(["pca", "tsne"]), default="pca", show_default=True, help="tsne needs scikit-learn.")
@click.option("--all-words", is_flag=True, help="With --top: keep punctuation and stopwords (left out by default).")
def plot(model_name: str, words: tuple[str, ...], output: str, top: int, method: str, all_words: bool) -> None:
    """A labelled 2-D map of MODEL's vectors: WORDS (red, with their neighbours in blue
    when only a few are given) or the --top most frequent words, punctuation and
    stopwords left out. Prints the share of the variance PCA's two axes explain. Needs
    matplotlib.

    \b
    wordseq embeddings plot news film movie actor director -o map.png
    """
    from wordseq.embeddings.model import load_embeddings
    from wordseq.plots import plot_embedding_map

    drawn = plot_embedding_map(load_embeddings(model_name), output, words, top, method, all_words)
    shown = ", ".join(drawn.words[:10]) + (", ..." if len(drawn.words) > 10 else "")
    log(f"wrote {output}: {len(drawn.words)} words ({method}): {shown}")
    if drawn.left_out:
        log(f"left out {drawn.left_out} punctuation / stopword entries (--all-words keeps them)")
    if drawn.explained is not None:
        log(f"the 2 axes explain {drawn.explained:.1%} of the variance (PCA)")
