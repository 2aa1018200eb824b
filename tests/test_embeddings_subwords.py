"""fastText subword vectors: hashing as fastText / gensim do it, vectors for unseen words
equal to gensim's, the store's arrays loaded without gensim, and Facebook .bin imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from wordseq.embeddings.subwords import char_ngrams, fasttext_hash, ngram_buckets

TEXT = ("the cats sat on the mats while the dogs ran to the logs . "
        "a quick brown fox jumps over the lazy dogs and the sleepy cats . "
        "walking talking running jumping swimming singing dancing reading writing . ") * 40
HELD_OUT = ["catsitter", "dogged", "runner", "swimmer", "unreadable", "matsu", "naïveté", "straße", "日本語", "x"]
SMALL: dict[str, Any] = {"dim": 16, "epochs": 2, "min_count": 2, "workers": 1, "buckets": 5000, "seed": 3}


def test_ngrams_and_hashes_are_gensims() -> None:
    from gensim.models.fasttext import ft_ngram_hashes
    from gensim.models.fasttext_inner import compute_ngrams_bytes, ft_hash_bytes

    for word in ["hello", "naïve", "日本語", "a", "", "x🙂y", "straße", "Ünïcödé-wörd"]:
        for min_n, max_n in [(3, 6), (1, 1), (1, 3), (2, 10), (5, 5)]:
            ours = char_ngrams(word, min_n, max_n)
            assert ours == compute_ngrams_bytes(word, min_n, max_n), (word, min_n, max_n)
            assert [fasttext_hash(g) for g in ours] == [ft_hash_bytes(g) for g in ours]
            assert ngram_buckets(word, min_n, max_n, 2_000_003) == list(ft_ngram_hashes(word, min_n, max_n, 2_000_003))


def test_the_hash_reads_bytes_as_signed_chars() -> None:
    # fastText's int8_t cast: a byte >= 0x80 is xor-ed in sign-extended; plain FNV-1a differs
    plain = (2166136261 ^ 0xC3) * 16777619 & 0xFFFFFFFF
    assert fasttext_hash(b"\xc3") != plain
    assert fasttext_hash(b"\xc3") == (2166136261 ^ 0xFFFFFFC3) * 16777619 & 0xFFFFFFFF


def _gensim_fasttext(tokens: Path, config: object) -> object:
    from gensim.models import FastText

    g = FastText(**config.gensim_kwargs())  # type: ignore[attr-defined]
    g.build_vocab(corpus_file=str(tokens))
    g.train(corpus_file=str(tokens), total_words=g.corpus_total_words, epochs=config.epochs)  # type: ignore[attr-defined]
    return g


def test_unseen_words_get_gensims_vectors(tmp_path: Path) -> None:
    """Same corpus, settings, one thread, one seed: wordseq's saved and reloaded model holds
    gensim's vectors, and every held-out word gets the vector gensim's wv[word] gives."""
    import wordseq
    from wordseq.embeddings.config import Word2VecConfig
    from wordseq.text.preprocess import PreprocessConfig

    tokens = tmp_path / "tokens.txt"
    tokens.write_text(TEXT.replace(" . ", " .\n"))
    config = Word2VecConfig(subwords=True, **SMALL)
    wordseq.train_embeddings(str(tokens), tmp_path / "ft", model=config, preprocess=PreprocessConfig(pretokenized=True))
    model = wordseq.load(str(tmp_path / "ft"))
    g = _gensim_fasttext(tokens, config)
    assert model.vectors.words == g.wv.index_to_key  # type: ignore[attr-defined]
    np.testing.assert_allclose(model.vectors.vectors, g.wv.vectors, atol=1e-5)  # type: ignore[attr-defined]
    unseen = [w for w in HELD_OUT if w not in model.vectors.index]
    assert len(unseen) == len(HELD_OUT)
    for word in unseen:  # 100 % of them get a vector
        np.testing.assert_allclose(model.vector(word), g.wv[word], atol=1e-5)  # type: ignore[attr-defined]
    assert model.most_similar("catsitter", topn=3)


def test_a_word_level_model_still_refuses_unseen_words() -> None:
    import wordseq
    from wordseq.errors import UnknownWordError

    model = wordseq.train_embeddings(TEXT.split(" . "), dim=8, epochs=1, min_count=2, workers=1)
    with pytest.raises(UnknownWordError, match="not in the vocabulary"):
        model.vector("catsitter")


def test_a_word_without_ngrams_is_one_clear_error() -> None:
    import wordseq
    from wordseq.errors import UnknownWordError

    model = wordseq.train_embeddings(TEXT.split(" . "), subwords=True, min_n=5, max_n=6, **{**SMALL, "epochs": 1})
    with pytest.raises(UnknownWordError, match="no character n-gram of 5 to 6"):
        model.most_similar("ox")  # '<ox>' is 4 characters


def test_loading_needs_no_gensim(tmp_path: Path) -> None:
    import wordseq

    wordseq.train_embeddings(TEXT.split(" . "), tmp_path / "ft", subwords=True, **SMALL)
    code = ("import sys, wordseq; m = wordseq.load(sys.argv[1]); m.vector('catsitter'); "
            "m.most_similar('dogsled'); assert 'gensim' not in sys.modules, 'gensim imported'")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ft")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "ft").iterdir() if not p.name.startswith(".")) == [
        "meta.json", "ngrams.npy", "subwords.json", "vectors.npy", "words.txt"]


def _run(*args: object, ok: bool = True) -> object:
    from wordseq.cli import cli

    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_cli_subwords_answer_unseen_words(tmp_path: Path) -> None:
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT.replace(" . ", " .\n"))
    _run("train-embeddings", corpus, "-o", "ft", "--subwords", "--min-n", "2", "--max-n", "5", "--buckets", "3000",
         "--dim", "8", "--epochs", "1", "--min-count", "2", "--workers", "1")
    similar = _run("similar", "Catsitter", "-m", "ft", "--topn", "2", "--json")
    assert '"word": "catsitter"' in similar.stdout  # type: ignore[attr-defined]
    assert len(_run("analogy", "catsitter", "cats", "dogs", "-m", "ft", "--topn", "2").stdout.splitlines()) == 2  # type: ignore[attr-defined]
    assert "catsitter" not in _run("analogy", "catsitter", "cats", "dogs", "-m", "ft", "--topn", "50").stdout  # type: ignore[attr-defined]
    _run("train-embeddings", corpus, "-o", "w2v", "--dim", "8", "--epochs", "1", "--min-count", "2", "--workers", "1")
    refused = _run("similar", "catsitter", "-m", "w2v", ok=False)
    assert refused.exit_code == 1 and "not in the vocabulary" in refused.stderr  # type: ignore[attr-defined]


def _fasttext_bin(folder: Path, **settings: object) -> tuple[Path, object]:
    """A .bin written by Facebook's fastText package (the ``fasttext`` module)."""
    fasttext = pytest.importorskip("fasttext")
    corpus = folder / "ft-corpus.txt"
    corpus.write_text(TEXT.replace(" . ", " .\n"))
    options = {"dim": 8, "epoch": 1, "minCount": 2, "bucket": 2000, "thread": 1, "minn": 3, "maxn": 5, **settings}
    model = fasttext.train_unsupervised(str(corpus), verbose=0, **options)
    path = folder / "model.bin"
    model.save_model(str(path))
    return path, model


def test_a_facebook_bin_imports_with_its_subwords(tmp_path: Path) -> None:
    path, ft = _fasttext_bin(tmp_path)
    result = _run("embeddings", "import", path, "-o", "fb")
    assert "imported" in result.stderr  # type: ignore[attr-defined]
    assert len(_run("similar", "catsitter", "-m", "fb", "--topn", "3").stdout.splitlines()) == 3  # type: ignore[attr-defined]
    import wordseq

    model = wordseq.load("fb")
    assert model.subwords.min_n == 3 and model.subwords.max_n == 5 and model.subwords.buckets == 2000
    for word in ["catsitter", "swimmer", "naïveté", "cats", "the"]:  # unseen and seen: fastText's own vectors
        np.testing.assert_allclose(model.vector(word), ft.get_word_vector(word), atol=1e-5)  # type: ignore[attr-defined]
    # export back to .vec: fastText's words, in its order, with its vectors
    vec = tmp_path / "back.vec"
    _run("embeddings", "export", "fb", vec)
    lines = vec.read_text().splitlines()
    assert lines[0] == f"{len(ft.words)} 8"  # type: ignore[attr-defined]
    for line, word in zip(lines[1:], ft.words):  # type: ignore[attr-defined]
        name, *values = line.split(" ")
        assert name == word
        np.testing.assert_allclose(np.array(values, dtype=np.float32), ft.get_word_vector(word), atol=1e-6)  # type: ignore[attr-defined]


def test_a_bin_saved_by_gensim_imports_too(tmp_path: Path) -> None:
    from gensim.models.fasttext import save_facebook_model

    from wordseq.embeddings.config import Word2VecConfig

    tokens = tmp_path / "tokens.txt"
    tokens.write_text(TEXT.replace(" . ", " .\n"))
    g = _gensim_fasttext(tokens, Word2VecConfig(subwords=True, **SMALL))
    save_facebook_model(g, str(tmp_path / "g.bin"))
    _run("embeddings", "import", tmp_path / "g.bin", "-o", "g", "--format", "fasttext-bin")
    import wordseq

    model = wordseq.load("g")
    np.testing.assert_allclose(model.vector("unreadable"), g.wv["unreadable"], atol=1e-5)  # type: ignore[attr-defined]


def test_limit_is_refused_for_a_bin(tmp_path: Path) -> None:
    path, _ = _fasttext_bin(tmp_path)
    result = _run("embeddings", "import", path, "--limit", "3", ok=False)
    assert result.exit_code == 2 and "--limit" in result.stderr  # type: ignore[attr-defined]


def test_a_bin_given_a_word2vec_format_says_so(tmp_path: Path) -> None:
    """Found by review: --format word2vec-bin on a fastText .bin file said 'give its file
    name, not stdin', though a file name was given."""
    path, _ = _fasttext_bin(tmp_path)
    result = _run("embeddings", "import", path, "--format", "word2vec-bin", ok=False)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "a fastText .bin, not word2vec: leave --format out" in result.stderr  # type: ignore[attr-defined]


def test_a_bin_word_that_is_not_utf8_follows_encoding_errors(tmp_path: Path) -> None:
    """Found by review: a .bin trained on Latin-1 text imported 'caf\\xe9' (seven characters,
    gensim's backslash escapes) without a word, where a .vec stops under --encoding-errors
    strict (the default)."""
    fasttext = pytest.importorskip("fasttext")
    corpus = tmp_path / "latin1.txt"
    corpus.write_bytes(("caf\xe9 na\xefve the cat sat " * 200).encode("latin-1"))
    model = fasttext.train_unsupervised(str(corpus), verbose=0, dim=4, epoch=1, minCount=1, bucket=200, thread=1)
    path = tmp_path / "latin1.bin"
    model.save_model(str(path))
    refused = _run("embeddings", "import", path, "-o", "lat", ok=False)
    assert refused.exit_code == 1  # type: ignore[attr-defined]
    assert "is not valid UTF-8; use --encoding-errors replace" in refused.stderr  # type: ignore[attr-defined]
    _run("embeddings", "import", path, "-o", "lat", "--encoding-errors", "replace")
    import wordseq

    words = wordseq.load("lat").vectors.words
    assert "caf\ufffd" in words and "na\ufffdve" in words and not any("\\x" in w for w in words)


def test_buckets_past_the_memory_are_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by review: --buckets 2000000000 under a 6 GB memory limit gave 'internal error
    (MemoryError: Unable to allocate 59.6 GiB ...)'. The allocation gensim makes is failed
    here as the memory limit failed it there."""
    from gensim.models import FastText

    def no_memory(self: object) -> None:
        raise MemoryError("Unable to allocate 59.6 GiB")

    monkeypatch.setattr(FastText, "prepare_weights", no_memory)
    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT)
    result = _run("train-embeddings", corpus, "-o", "h", "--subwords", "--dim", "8", "--buckets", "2000000000",
                  "--epochs", "1", "--workers", "1", ok=False)
    assert result.exit_code == 2 and "Traceback" not in result.output  # type: ignore[attr-defined]
    assert "--buckets: 2,000,000,000 n-gram rows of --dim 8 and the words' need about 119.2 GB of memory" \
        in result.stderr  # type: ignore[attr-defined]


def test_export_words_builds_unseen_ones(tmp_path: Path) -> None:
    import wordseq

    corpus = tmp_path / "c.txt"
    corpus.write_text(TEXT.replace(" . ", " .\n"))
    _run("train-embeddings", corpus, "-o", "ft", "--subwords", "--buckets", "3000", "--dim", "8", "--epochs", "1",
         "--min-count", "2", "--workers", "1")
    words = tmp_path / "words.txt"
    words.write_text("catsitter cats\nswimmer catsitter\n")
    out = _run("embeddings", "export", "ft", "-", "--words", words).stdout  # type: ignore[attr-defined]
    lines = out.splitlines()
    assert lines[0] == "3 8" and [line.split(" ")[0] for line in lines[1:]] == ["catsitter", "cats", "swimmer"]
    model = wordseq.load("ft")
    np.testing.assert_allclose(np.array(lines[1].split(" ")[1:], dtype=np.float32), model.vector("catsitter"), atol=1e-6)
    _run("train-embeddings", corpus, "-o", "w2v", "--dim", "8", "--epochs", "1", "--min-count", "2", "--workers", "1")
    refused = _run("embeddings", "export", "w2v", "-", "--words", words, ok=False)
    assert refused.exit_code == 1 and "'catsitter' is not in the vocabulary" in refused.stderr  # type: ignore[attr-defined]


def test_the_fasttext_probe_loss_sees_composed_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between epochs gensim's wv.vectors are stale for fastText: the probe composes each
    word's row with its n-grams' (what wv.vectors hold once training ends), in slices
    that give the same numbers as one pass."""
    from wordseq.embeddings import probe_loss
    from wordseq.embeddings.config import Word2VecConfig

    tokens = tmp_path / "tokens.txt"
    tokens.write_text(TEXT.replace(" . ", " .\n"))
    g = _gensim_fasttext(tokens, Word2VecConfig(subwords=True, **SMALL))
    sequences = [line.split() for line in tokens.read_text().splitlines()]
    probe = probe_loss.ProbeLoss(g, sequences, seed=1)
    composed = probe_loss._input_rows(g, probe.context_ids)
    np.testing.assert_allclose(composed, g.wv.vectors[probe.context_ids], atol=1e-6)  # type: ignore[attr-defined]
    whole = probe(g)
    monkeypatch.setattr(probe_loss, "_PAIRS_AT_ONCE", 7)
    assert probe(g) == pytest.approx(whole, rel=1e-9)


def test_training_lets_gensims_stale_word_vectors_go(tmp_path: Path) -> None:
    """fastText's composed word vectors are stale until training ends: they are dropped
    when it begins (an empty array of their own, not a view that keeps them alive)."""
    from gensim.models import FastText

    from wordseq.embeddings.config import Word2VecConfig
    from wordseq.embeddings.train import _epoch_watch

    tokens = tmp_path / "tokens.txt"
    tokens.write_text(TEXT.replace(" . ", " .\n"))
    g = FastText(**Word2VecConfig(subwords=True, **SMALL).gensim_kwargs())
    g.build_vocab(corpus_file=str(tokens))
    _epoch_watch(lambda model: None, [], None).on_train_begin(g)  # type: ignore[arg-type]
    assert g.wv.vectors.size == 0 and g.wv.vectors.base is None
