"""Subword units: `wordseq subword train` (and --tokenizer import), --level subword on
every training command, the model keeping its tokenizer, round trips, per-word perplexity."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CORPUS, HELDOUT
from wordseq.text.preprocess import SPACE_TOKEN, PreprocessConfig, Preprocessor
from wordseq.text.subword import SubwordTokenizer, train_sentencepiece

SMALL_LM = ["--layers", "1", "--emb", "8", "--hidden", "8", "--bptt", "8", "--batch-size", "4", "--epochs", "1"]


def run(*args: object, input: str | None = None) -> Result:
    from wordseq.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def ok(*args: object, input: str | None = None) -> Result:
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return result


@cache
def lee_tokenizer(model_type: str = "bpe") -> SubwordTokenizer:
    return SubwordTokenizer(train_sentencepiece(CORPUS.read_text().splitlines(), 500, model_type), "sentencepiece")


def unseen_char_bytes(train: str, text: str) -> int:
    """UTF-8 bytes of the characters of ``text`` that ``train`` never has: byte units no
    model trained on ``train`` can know (all other units of ``text`` it knows)."""
    known = set(train)
    return sum(len(c.encode()) for c in text if c not in known and not c.isspace())


@pytest.fixture
def bpe(wordseq_home: Path) -> str:
    ok("subword", "train", CORPUS, "-o", "bpe", "--vocab", 500)
    return "bpe"


def hf_tokenizer_file(path: Path) -> Path:
    """A tokenizer.json as Hugging Face's tokenizers writes it (BPE, Metaspace)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator(CORPUS.read_text().splitlines(),
                            trainers.BpeTrainer(vocab_size=400, special_tokens=["<unk>"], show_progress=False))
    tok.save(str(path))
    return path


# -- the subword model ------------------------------------------------------------------


def test_subword_train_saves_data_that_models_list_show_and_rm_know(bpe: str, wordseq_home: Path) -> None:
    folder = wordseq_home / "subword" / bpe
    assert sorted(p.name for p in folder.iterdir()) == [".wordseq-model", "meta.json", "tokenizer.model"]
    assert f"subword\t{bpe}\t" in ok("models", "list").stdout
    meta = json.loads(ok("models", "show", bpe).stdout)
    assert meta["kind"] == "subword" and meta["config"]["units"] == 500 and meta["config"]["type"] == "bpe"
    ok("models", "rm", bpe, "--yes")
    assert not folder.exists()


@pytest.mark.parametrize("model_type", ["bpe", "unigram"])
def test_units_split_words_and_join_back(model_type: str) -> None:
    pre = Preprocessor(PreprocessConfig(level="subword", subword=lee_tokenizer(model_type), lower=False))
    units = pre.tokens("Unbelievably, the  government's ☃ plans")
    assert len(units) > 5 and all(" " not in u for u in units)
    assert units[0].startswith(SPACE_TOKEN)
    assert pre.detokenize(units) == "Unbelievably, the government's ☃ plans"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters=SPACE_TOKEN), max_size=80))
def test_detokenized_units_give_the_text_back(text: str) -> None:
    # runs of whitespace count as one space (as at char level); a character the units never
    # saw becomes its UTF-8 bytes, so nothing is lost
    pre = Preprocessor(PreprocessConfig(level="subword", subword=lee_tokenizer(), lower=False))
    assert pre.detokenize(pre.tokens(text)) == " ".join(text.split())


def test_tokenize_writes_units_that_detokenize_to_each_line(bpe: str, tmp_path: Path) -> None:
    out = ok("tokenize", HELDOUT, "--level", "subword", "--subword", bpe, "--no-lower").stdout.splitlines()
    lines = HELDOUT.read_text().splitlines()
    assert len(out) == len(lines)
    tok = lee_tokenizer()
    assert all(tok.decode(units.split()) == " ".join(line.split()) for units, line in zip(out, lines))


# -- models over subword units ------------------------------------------------------------


def test_an_ngram_model_keeps_its_tokenizer_and_reports_per_word_perplexity(bpe: str, wordseq_home: Path) -> None:
    ok("ngram", "train", CORPUS, "--level", "subword", "--subword", bpe, "-o", "units")
    folder = wordseq_home / "ngram" / "units"
    copies = list(folder.glob("subword-*.model"))
    assert len(copies) == 1 and copies[0].read_bytes() == (wordseq_home / "subword" / bpe / "tokenizer.model").read_bytes()
    ok("models", "rm", f"subword/{bpe}", "--yes")  # the model keeps its own copy
    doc = json.loads(ok("ngram", "eval", HELDOUT, "-m", "units", "--json").stdout)
    assert doc["level"] == "subword"
    assert doc["oov"] == unseen_char_bytes(CORPUS.read_text().lower(), HELDOUT.read_text().lower()) == 6  # '%' and '£'
    words = sum(len(line.split()) for line in HELDOUT.read_text().splitlines())
    assert doc["words"] == words and doc["tokens"] > words + doc["sentences"]
    assert doc["perplexity_per_word"] == pytest.approx(math.exp(-doc["logprob_ln"] / (words + doc["sentences"])))
    assert doc["perplexity_per_word"] > doc["perplexity"]
    text = ok("ngram", "eval", HELDOUT, "-m", "units").stdout
    assert "perplexity_per_word\t" in text and f"words\t{words}\n" in text


def test_generate_prints_detokenized_text(bpe: str) -> None:
    ok("ngram", "train", CORPUS, "--level", "subword", "--subword", bpe, "-o", "units")
    out = ok("generate", "-m", "units", "--prompt", "The government", "--max-tokens", 30, "--seed", 3).stdout
    assert out.startswith("the government") and SPACE_TOKEN not in out and "<0x" not in out


def test_units_a_model_never_saw_whole_are_split_into_units_it_knows() -> None:
    from wordseq.ngram import train_ngram

    tok = lee_tokenizer()
    pre = PreprocessConfig(level="subword", subword=tok)
    # trained on little text: many BPE units of the held-out text never occur in it
    model = train_ngram(CORPUS.read_text().splitlines()[:20], order=3, preprocess=pre, discount_fallback=True)
    unrestricted = Preprocessor(pre).tokens(HELDOUT.read_text())
    assert any(u not in model.vocab for u in unrestricted)
    report, _ = model.evaluate(HELDOUT.read_text().splitlines())
    train = "\n".join(CORPUS.read_text().splitlines()[:20]).lower()
    assert report.oov == unseen_char_bytes(train, HELDOUT.read_text().lower()) > 0
    assert report.words == sum(len(line.split()) for line in HELDOUT.read_text().splitlines())


def test_kenlm_style_scores_split_unseen_units_as_eval_does() -> None:
    """full_scores / score go through the same restricted units as ``evaluate``: no more
    OOVs, and the same log10 total for a line."""
    from wordseq.ngram import train_ngram

    pre = PreprocessConfig(level="subword", subword=lee_tokenizer())
    model = train_ngram(CORPUS.read_text().splitlines()[:20], order=3, preprocess=pre, discount_fallback=True)
    unseen = Preprocessor(pre)  # the units the model never saw make the difference
    line = next(t for t in HELDOUT.read_text().splitlines() if any(u not in model.vocab for u in unseen.tokens(t)))
    report, _ = model.evaluate([line])
    scores = list(model.full_scores(line))
    assert sum(oov for _, _, oov in scores) == report.oov == 0
    assert math.isclose(model.score(line), report.logprob / math.log(10), rel_tol=1e-6)


def test_an_lstm_over_units_reports_per_word_perplexity(bpe: str, tmp_path: Path) -> None:
    ok("lm", "train", HELDOUT, "--level", "subword", "--subword", bpe, "-o", "ulm", *SMALL_LM)
    doc = json.loads(ok("lm", "eval", HELDOUT, "-m", "ulm", "--json").stdout)  # trained on the same text
    words = sum(len(line.split()) for line in HELDOUT.read_text().splitlines())
    assert doc["oov"] == 0 and doc["words"] == words
    assert doc["perplexity_per_word"] == pytest.approx(math.exp(-doc["logprob_ln"] / (words + doc["sentences"])))
    out = ok("generate", "-m", "ulm", "--prompt", "the", "--max-tokens", 10).stdout
    assert SPACE_TOKEN not in out


def test_word_models_report_no_per_word_figures(tmp_path: Path) -> None:
    ok("ngram", "train", CORPUS, "-o", "words")
    doc = json.loads(ok("ngram", "eval", HELDOUT, "-m", "words", "--json").stdout)
    assert "perplexity_per_word" not in doc and "words" not in doc


@pytest.mark.parametrize("command", [
    ["vocab", "build", "{corpus}", "-o", "{tmp}/v.tsv"],
    ["train-embeddings", "{corpus}", "-o", "emb", "--dim", "8", "--epochs", "1", "--min-count", "1"],
    ["classify", "train", "--class", "a={corpus}", "--class", "b={heldout}", "-o", "clf", "--encoder", "bow",
     "--emb", "8", "--epochs", "1"],
])
def test_training_commands_take_subword_units(command: list[str], bpe: str, tmp_path: Path, wordseq_home: Path) -> None:
    args = [a.format(corpus=CORPUS, heldout=HELDOUT, tmp=tmp_path) for a in command]
    ok(*args, "--level", "subword", "--subword", bpe)
    if command[0] == "vocab":
        words = [line.split("\t")[0] for line in (tmp_path / "v.tsv").read_text().splitlines()]
        assert f"{SPACE_TOKEN}the" in words
        return
    kind, name = ("embeddings", "emb") if command[0] == "train-embeddings" else ("classifier", "clf")
    meta = json.loads((wordseq_home / kind / name / "meta.json").read_text())
    assert meta["preprocessing"]["level"] == "subword" and meta["preprocessing"]["subword"]["name"] == bpe
    assert meta["preprocessing"]["subword"]["file"] in meta["payload"]
    ok("models", "rm", f"subword/{bpe}", "--yes")
    if kind == "embeddings":
        assert ok("similar", "the", "-m", name, "--topn", 3).stdout.count("\n") == 3
    else:
        assert ok("classify", "predict", "-m", name, input="the government said\n").stdout.split("\t")[0] in ("a", "b")


@pytest.mark.parametrize("family", ["classify", "lm"])
def test_vectors_of_other_units_are_refused_as_a_start(family: str, bpe: str, wordseq_home: Path) -> None:
    """Found by review: word vectors started a subword classifier (units such as '▁the' got
    vectors built from meaningless n-grams, 1,643 whole words were added that can never
    occur) with nothing said; the vectors must be of the units the model reads."""
    ok("train-embeddings", CORPUS, "-o", "words", "--dim", "8", "--epochs", "1", "--min-count", "1", "--workers", "1")
    train = (["classify", "train", "--class", f"a={CORPUS}", "--class", f"b={HELDOUT}", "--encoder", "bow"]
             if family == "classify" else ["lm", "train", CORPUS, "--epochs", "1", "--hidden", "8", "--layers", "1"])
    result = run(*train, "--level", "subword", "--subword", bpe, "--init-embeddings", "words", "-o", "m")
    assert result.exit_code == 2, result.output
    assert "--init-embeddings: the vectors of" in result.stderr and "are of words, but the model reads subword units" \
        in result.stderr
    ok("train-embeddings", CORPUS, "-o", "units", "--dim", "8", "--epochs", "1", "--min-count", "1", "--workers", "1",
       "--level", "subword", "--subword", bpe)
    result = run(*train, "--init-embeddings", "units", "-o", "m2")  # and the other way round
    assert result.exit_code == 2 and "are of subword units, but the model reads words" in result.stderr


def test_seq2seq_over_subword_units_transduces_to_text(bpe: str, tmp_path: Path, wordseq_home: Path) -> None:
    lines = [" ".join(line.split()[:6]) for line in CORPUS.read_text().splitlines()[:40]]
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{s}\t{s}\n" for s in lines if s))
    ok("seq2seq", "train", pairs, "-o", "s2s", "--source-level", "subword", "--target-level", "subword",
       "--subword", bpe, "--emb", "8", "--hidden", "8", "--epochs", "1", "--dev-percent", "20")
    assert list((wordseq_home / "seq2seq" / "s2s").glob("subword-*.model"))
    ok("models", "rm", f"subword/{bpe}", "--yes")
    out = ok("transduce", "-m", "s2s", "--max-tokens", 5, input="the government\n").stdout
    assert out.strip() and SPACE_TOKEN not in out


def test_python_api_takes_a_loaded_subword_model(bpe: str) -> None:
    import wordseq

    tok = wordseq.load(f"subword/{bpe}")
    model = wordseq.train_ngram(CORPUS, preprocess=wordseq.PreprocessConfig(level="subword", subword=tok))
    report, _ = model.evaluate(HELDOUT)
    assert report.oov == 6 and report.words > 0 and report.perplexity_per_word > report.perplexity
    assert report.to_dict()["perplexity_per_word"] == report.perplexity_per_word


# -- importing a Hugging Face tokenizer ----------------------------------------------------


def test_a_hugging_face_tokenizer_file_imports_as_a_subword_model(tmp_path: Path, wordseq_home: Path) -> None:
    file = hf_tokenizer_file(tmp_path / "tokenizer.json")
    ok("subword", "train", "--tokenizer", file, "-o", "hf")
    meta = json.loads((wordseq_home / "subword" / "hf" / "meta.json").read_text())
    assert meta["config"]["format"] == "tokenizers" and meta["config"]["type"] == "bpe"
    assert (wordseq_home / "subword" / "hf" / "tokenizer.json").read_bytes() == file.read_bytes()
    units = ok("tokenize", "--level", "subword", "--subword", "hf", input="the government said\n").stdout.split()
    assert len(units) >= 3
    ok("ngram", "train", CORPUS, "--level", "subword", "--subword", "hf", "-o", "hfgram")
    out = ok("generate", "-m", "hfgram", "--prompt", "the government", "--max-tokens", 10).stdout
    assert out.startswith("the government") and SPACE_TOKEN not in out


def test_pretokenized_units_given_to_a_subword_model_get_advice_that_helps() -> None:
    """Found by review: scoring units (the output of `tokenize --level subword`) with
    --pretokenized was refused with advice to run that very command first."""
    from wordseq.errors import OptionError

    with pytest.raises(OptionError, match="a subword model splits the text itself: give the text as it was"):
        PreprocessConfig(level="subword", subword=lee_tokenizer(), pretokenized=True)


def test_training_options_with_an_imported_tokenizer_are_refused(tmp_path: Path, wordseq_home: Path) -> None:
    """Found by review: --type, --vocab and --encoding-errors were ignored with --tokenizer."""
    file = hf_tokenizer_file(tmp_path / "tokenizer.json")
    for option in (["--type", "unigram"], ["--vocab", "8000"], ["--encoding-errors", "replace"]):
        result = run("subword", "train", "--tokenizer", file, "-o", "hf", *option)
        assert result.exit_code == 2 and f"{option[0]}: for training on CORPUS" in result.stderr
    assert not (wordseq_home / "subword").exists()


@pytest.mark.parametrize("content,says", [
    (b'{"version": "1.0", "model": {"type": "BPE", "vocab": ', "not JSON"),
    (b'{"kind": "ngram", "format_version": 2}', "not a Hugging Face tokenizer file"),
    (b'{"version": "1.0", "model": {"type": "Quantum"}}', "damaged Hugging Face tokenizer file"),
    (b"\x0a\x07\x0a\x03<unk>", "not JSON"),
])
def test_a_file_that_is_no_tokenizer_is_one_clear_error(content: bytes, says: str, tmp_path: Path,
                                                         wordseq_home: Path) -> None:
    bad = tmp_path / "tokenizer.json"
    bad.write_bytes(content)
    result = run("subword", "train", "--tokenizer", bad, "-o", "hf")
    assert result.exit_code == 1 and says in result.stderr and "Traceback" not in result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == result.stderr.splitlines()
    assert not (wordseq_home / "subword").exists() or not list((wordseq_home / "subword").iterdir())


def test_settings_store_the_tokenizer_by_digest_and_read_it_back() -> None:
    cfg = PreprocessConfig(level="subword", subword=lee_tokenizer())
    stored = json.loads(json.dumps(cfg.to_dict()))
    assert stored["subword"]["sha256"] == lee_tokenizer().sha256 and "data" not in stored["subword"]
    assert PreprocessConfig.from_dict(stored) == cfg
    assert "subword" not in PreprocessConfig().to_dict()  # word and char models' meta.json as before
