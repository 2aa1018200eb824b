"""Issue 20's cases of values, inputs and names: each an internal error, a hang or a
refusal before its fix, now one clear line (or the expected result)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner


def run(args: list[object], input: str | bytes | None = None):  # type: ignore[no-untyped-def]
    from wordseq.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def assert_one_clear_error(result: object, code: int = 1) -> None:
    assert result.exit_code == code, result.output  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert "internal error" not in result.stderr and "Traceback" not in result.output, result.output  # type: ignore[attr-defined]
    assert lines and lines[-1].startswith("Error: "), result.output  # type: ignore[attr-defined]


def _with_preprocessing(models: dict[str, Path], kind: str, tmp_path: Path, **fields: object) -> Path:
    """A copy of the ``kind`` model whose meta.json says ``fields`` about its preprocessing."""
    folder = tmp_path / kind
    shutil.copytree(models[kind], folder)
    meta = json.loads((folder / "meta.json").read_text())
    if kind == "seq2seq":
        meta["preprocessing"]["source"].update(fields)
    else:
        meta["preprocessing"].update(fields)
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder


COMMAND_OF = {
    "ngram": ["ngram", "eval", "{corpus}", "-m", "{model}"],
    "lm": ["lm", "eval", "{corpus}", "-m", "{model}"],
    "embeddings": ["similar", "cat", "-m", "{model}"],
    "classifier": ["classify", "predict", "{corpus}", "-m", "{model}"],
    "seq2seq": ["transduce", "{corpus}", "-m", "{model}"],
}
BAD_PREPROCESSING = [
    {"stopwords": "words.txt", "stopword_list": 5},
    {"stopwords": "words.txt", "stopword_list": [1, 2]},
    {"lower": "yes"},
    {"stem": 3},
    {"stem": "quantum"},
    {"level": ["word"]},
    {"lang": "tlh"},
    {"lang": 5},
    {"level": "subword", "subword": "bpe"},
    {"level": "subword", "subword": {"name": "bpe", "format": "sentencepiece", "sha256": "0" * 64}},
    {"level": "subword"},
]


@pytest.mark.parametrize("fields", BAD_PREPROCESSING, ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()))
@pytest.mark.parametrize("kind", list(COMMAND_OF))
def test_damaged_preprocessing_in_meta_is_a_model_error(kind: str, fields: dict[str, object], models: dict[str, Path],
                                                        tmp_path: Path) -> None:
    folder = _with_preprocessing(models, kind, tmp_path, **fields)
    result = run([a.format(corpus=models["corpus"], model=folder) for a in COMMAND_OF[kind]])
    assert_one_clear_error(result)
    assert "preprocessing" in result.stderr


@pytest.mark.parametrize("option", [["--min-count", str(10**12)], ["--vocab", "{nowords}"]])
def test_an_ngram_vocabulary_of_only_the_specials_is_refused(option: list[str], models: dict[str, Path],
                                                            tmp_path: Path, wordseq_home: Path) -> None:
    from tests.robustness.conftest import snapshot

    nowords = tmp_path / "nowords.txt"
    nowords.write_text("zebra giraffe\n")
    before = snapshot(wordseq_home)
    result = run(["ngram", "train", models["corpus"], "--discount-fallback", "-o", "only-specials",
                  *[o.format(nowords=nowords) for o in option]])
    assert_one_clear_error(result)
    assert option[0] in result.stderr and "no word" in result.stderr
    assert snapshot(wordseq_home) == before


def test_transduce_refuses_a_source_line_too_long_to_decode(models: dict[str, Path], tmp_path: Path) -> None:
    from wordseq.errors import InputError
    from wordseq.seq2seq.model import MAX_SOURCE_TOKENS
    from wordseq.store import load

    text = tmp_path / "long.txt"
    text.write_text("cat\n" + "cat " * 50_000 + "\n")  # 200,000 characters on line 2
    result = run(["transduce", text, "-m", models["seq2seq"]])
    assert_one_clear_error(result)
    assert "line 2" in result.stderr and f"{MAX_SOURCE_TOKENS:,}" in result.stderr
    model = load(str(models["seq2seq"]), "seq2seq")
    unit = "c" if model.source_preprocess.level == "char" else "c "  # one token
    for call in (lambda: model.transduce([unit * (MAX_SOURCE_TOKENS + 1)]),
                 lambda: model.attention(unit * (MAX_SOURCE_TOKENS + 1))):
        with pytest.raises(InputError, match="tokens"):
            call()
    assert len(model.transduce([unit * MAX_SOURCE_TOKENS])[0].source_tokens) == MAX_SOURCE_TOKENS


ANALOGIES = ": family\nthe cat the dog\ncat mat dog log\n: other\nsat met on and\n"
SIMILARITY = "cat\tdog\t3\nmat\tlog\t2\nthe\ta\t1\nsat\tmet\t2.5\n"


@pytest.mark.parametrize("what,body", [("analogies", ANALOGIES), ("similarity", SIMILARITY)])
def test_eval_sets_are_read_from_stdin_and_fifos(what: str, body: str, models: dict[str, Path], tmp_path: Path) -> None:
    import os
    import threading

    plain = tmp_path / "set.txt"
    plain.write_text(body)
    expected = run(["eval", what, plain, "-m", models["embeddings"]])
    assert expected.exit_code == 0, expected.output
    from_stdin = run(["eval", what, "-", "-m", models["embeddings"]], input=body)
    assert (from_stdin.exit_code, from_stdin.stdout) == (0, expected.stdout), from_stdin.output
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(body))
    writer.start()
    from_fifo = run(["eval", what, fifo, "-m", models["embeddings"]])
    writer.join(5)
    assert (from_fifo.exit_code, from_fifo.stdout) == (0, expected.stdout), from_fifo.output
    missing = run(["eval", what, tmp_path / "nothing.txt", "-m", models["embeddings"]])
    assert_one_clear_error(missing)
    assert "no such file" in missing.stderr


def test_eval_sets_are_read_from_process_substitution(models: dict[str, Path], tmp_path: Path) -> None:
    import subprocess
    import sys

    plain = tmp_path / "sim.tsv"
    plain.write_text(SIMILARITY)
    cmd = f"{sys.executable} -m wordseq eval similarity <(cat {plain}) -m {models['embeddings']}"
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("spearman\t"), out.stderr


def test_ngram_import_reads_stdin_and_files_with_a_bom(models: dict[str, Path], tmp_path: Path) -> None:
    arpa = tmp_path / "m.arpa"
    assert run(["ngram", "export", models["ngram"], arpa]).exit_code == 0
    text = arpa.read_text()
    vocab = run(["ngram", "vocab", models["ngram"]]).stdout
    from_stdin = run(["ngram", "import", "-", "-o", "from-stdin"], input=text)
    assert from_stdin.exit_code == 0, from_stdin.output
    with_bom = tmp_path / "bom.arpa"
    with_bom.write_bytes(b"\xef\xbb\xbf" + arpa.read_bytes())
    from_bom = run(["ngram", "import", with_bom, "-o", "from-bom"])
    assert from_bom.exit_code == 0, from_bom.output
    for name in ("from-stdin", "from-bom"):
        assert run(["ngram", "vocab", name]).stdout == vocab
    assert run(["ngram", "vocab", with_bom]).stdout == vocab  # -m FILE.arpa reads the same way


@pytest.mark.parametrize("fmt", ["word2vec-text", "word2vec-bin"])
def test_embeddings_import_reads_a_file_with_a_bom(fmt: str, models: dict[str, Path], tmp_path: Path) -> None:
    exported = tmp_path / "v.vec"
    assert run(["embeddings", "export", models["embeddings"], exported, "--format", fmt]).exit_code == 0
    with_bom = tmp_path / "bom.vec"
    with_bom.write_bytes(b"\xef\xbb\xbf" + exported.read_bytes())
    plain = run(["embeddings", "import", exported, "-o", "plain"])
    bom = run(["embeddings", "import", with_bom, "-o", "bom"])
    assert plain.exit_code == 0 and bom.exit_code == 0, bom.output
    a = run(["embeddings", "export", "plain", "-"]).stdout
    assert a and run(["embeddings", "export", "bom", "-"]).stdout == a


# -- the Python API: wrong values are wordseq errors with the CLI's words -------------------

API_MISUSES = [
    ("load-kind", lambda m: __import__("wordseq").load(str(m["ngram"]), kinds="virus"), "unknown model kind 'virus'"),
    ("load-int", lambda m: __import__("wordseq").load(5), "NAME, kind/NAME or PATH"),
    ("mix-lm", lambda m: __import__("wordseq").mix_ngrams([_load(m, "ngram"), _load(m, "lm")], [0.5, 0.5]),
     "n-gram models"),
    ("mix-names", lambda m: __import__("wordseq").mix_ngrams(["a", "b"], [0.5, 0.5]), "n-gram models"),
    ("most-similar-none", lambda m: _load(m, "embeddings").most_similar(None), "a word is a str"),
    ("most-similar-int", lambda m: _load(m, "embeddings").most_similar(123), "a word is a str"),
    ("analogy-none", lambda m: _load(m, "embeddings").analogy("cat", None, "dog"), "a word is a str"),
    ("vector-int", lambda m: _load(m, "embeddings").vector(3), "a word is a str"),
    ("ngram-score-int", lambda m: _load(m, "ngram").score(123), "a text is a str"),
    ("ngram-score-none", lambda m: _load(m, "ngram").score(None), "a text is a str"),
    ("lm-score-int", lambda m: _load(m, "lm").score(123), "a text is a str"),
    ("ngram-perplexity-int", lambda m: _load(m, "ngram").perplexity(5), "texts"),
    ("lm-perplexity-int", lambda m: _load(m, "lm").perplexity(5), "texts"),
    ("ngram-perplexity-ints", lambda m: _load(m, "ngram").perplexity([1, 2]), "got int"),
    ("ngram-beam-0", lambda m: _load(m, "ngram").generate(beam=0), "--beam"),
    ("lm-beam-0", lambda m: _load(m, "lm").generate(beam=0), "--beam"),
    ("ngram-prompt-none", lambda m: _load(m, "ngram").generate(None), "a prompt is a str"),
    ("lm-prompt-int", lambda m: _load(m, "lm").generate(5), "a prompt is a str"),
]


def _load(models: dict[str, Path], kind: str):  # type: ignore[no-untyped-def]
    import wordseq

    return wordseq.load(str(models[kind]))


@pytest.mark.parametrize("call,expected", [(c, e) for _, c, e in API_MISUSES], ids=[i for i, _, _ in API_MISUSES])
def test_python_api_misuse_raises_a_wordseq_error(call, expected: str, models: dict[str, Path]) -> None:  # type: ignore[no-untyped-def]
    from wordseq.errors import WordseqError

    with pytest.raises(WordseqError, match=expected):
        call(models)


def test_load_takes_a_pathlib_path(models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import wordseq

    for kind in ("ngram", "embeddings"):
        assert type(wordseq.load(models[kind])) is type(wordseq.load(str(models[kind])))
    # a Path is a path even without a '/': the model folder in the working directory
    shutil.copytree(models["ngram"], tmp_path / "here")
    monkeypatch.chdir(tmp_path)
    assert wordseq.load(Path("here")).order == wordseq.load(str(models["ngram"])).order


def test_dot_dot_in_a_kind_name_is_refused(models: dict[str, Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import wordseq
    from wordseq.errors import ModelError
    from wordseq.store import model_dir

    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    for call in (lambda: wordseq.train_ngram(["a b c", "b c a"], "ngram/../../x", discount_fallback=True),
                 lambda: wordseq.load("ngram/../../x"),
                 lambda: model_dir("lm/../x", "lm")):
        with pytest.raises(ModelError, match=r"'\.\.'"):
            call()
    result = run(["ngram", "train", models["corpus"], "-o", "ngram/../../x", "--discount-fallback"])
    assert_one_clear_error(result)
    assert "'..'" in result.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "a" / "x").exists()


# -- naming a model: what it is, what was meant, what there is ------------------------------


@pytest.fixture
def store(models: dict[str, Path], wordseq_home: Path) -> Path:
    """A store with the n-gram model as ngram/reviews5, the LM as lm/news and lm/newswire."""
    import shutil

    shutil.copytree(models["ngram"], wordseq_home / "ngram" / "reviews5")
    shutil.copytree(models["lm"], wordseq_home / "lm" / "news")
    shutil.copytree(models["lm"], wordseq_home / "lm" / "newswire")
    return wordseq_home


def test_a_model_of_another_kind_is_named_as_what_it_is(store: Path, models: dict[str, Path]) -> None:
    result = run(["lm", "eval", models["corpus"], "-m", "reviews5"])
    assert_one_clear_error(result)
    assert "'reviews5' is an ngram model" in result.stderr and "lm" in result.stderr
    result = run(["similar", "cat", "-m", "news"])
    assert_one_clear_error(result)
    assert "'news' is an lm model" in result.stderr


def test_a_misspelled_model_name_gets_a_did_you_mean(store: Path, models: dict[str, Path]) -> None:
    result = run(["lm", "eval", models["corpus"], "-m", "nwes"])
    assert_one_clear_error(result)
    assert "did you mean" in result.stderr and "news" in result.stderr and "reviews5" not in result.stderr
    result = run(["models", "rm", "lm/nwes"])  # was: "'lm/nwes' names a lm model; this command writes embeddings models"
    assert_one_clear_error(result)
    assert "did you mean news" in result.stderr
    result = run(["generate", "-m", "reveiws5"])  # generate takes lm or ngram models
    assert_one_clear_error(result)
    assert "did you mean" in result.stderr and "reviews5" in result.stderr


def test_a_missing_default_lists_the_models_there_are(store: Path, models: dict[str, Path]) -> None:
    result = run(["lm", "eval", models["corpus"]])
    assert_one_clear_error(result)
    assert "'default'" in result.stderr and "news, newswire" in result.stderr
    result = run(["generate"])
    assert_one_clear_error(result)
    assert "lm/news" in result.stderr and "ngram/reviews5" in result.stderr
    # with no model of the kind at all, how to make one
    result = run(["transduce", "-m", "g2p"], input="cat\n")
    assert_one_clear_error(result)
    assert "wordseq seq2seq train" in result.stderr


# -- --resume keeps the saved network: a different one asked for is refused ----------------


def _copy_model(models: dict[str, Path], kind: str, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / f"resumed-{kind}"
    shutil.copytree(models[kind], target)
    return target


def test_lm_resume_refuses_network_options_that_differ(models: dict[str, Path], tmp_path: Path) -> None:
    from tests.robustness.conftest import SMALL_LM, snapshot

    target = _copy_model(models, "lm", tmp_path)  # trained with --layers 1 --emb 8 --hidden 8
    before = snapshot(target)
    result = run(["lm", "train", models["corpus"], "-o", target, "--resume", "--hidden", "64", "--layers", "2",
                  "--emb", "8", "--epochs", "2"])
    assert result.exit_code == 2, result.output
    assert "--hidden 64 (saved: 8)" in result.stderr and "--layers 2 (saved: 1)" in result.stderr
    assert "--emb" not in result.stderr.split("Error:")[1]  # the same value as saved is no difference
    assert snapshot(target) == before
    # the same network options as saved (and training options) are accepted
    result = run(["lm", "train", models["corpus"], "-o", target, "--resume", *SMALL_LM[:-2], "--epochs", "2"])
    assert result.exit_code == 0, result.output


def test_seq2seq_resume_refuses_network_options_given_that_differ(models: dict[str, Path], tmp_path: Path) -> None:
    import wordseq.seq2seq.train as s2s
    from tests.robustness.conftest import snapshot
    from wordseq.errors import OptionError

    target = _copy_model(models, "seq2seq", tmp_path)  # trained with --emb 8 --hidden 8
    before = snapshot(target)
    result = run(["seq2seq", "train", models["pairs"], "-o", target, "--resume", "--hidden", "16", "--no-lower"])
    assert result.exit_code == 2, result.output
    assert "--hidden 16 (saved: 8)" in result.stderr and "--no-lower (saved: --lower)" in result.stderr
    assert snapshot(target) == before
    with pytest.raises(OptionError, match="--attention dot"):
        s2s.train_seq2seq([("cat", "t a c")] * 20, output=target, resume=True, attention="dot")
    # options left at their defaults (--hidden 256, --emb 64 ...) are not differences
    result = run(["seq2seq", "train", models["pairs"], "-o", target, "--resume", "--epochs", "2", "--batch-size", "8",
                  "--dev-percent", "30"])
    assert result.exit_code == 0, result.output
