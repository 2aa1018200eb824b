"""ngram eval: one output line per input line, KenLM query's per-token view, JSON lines,
bits per character; and every number of an ARPA file or an option checked."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest

from tests.conftest import invoke
from wordseq.errors import InputError, OptionError
from wordseq.ngram import NgramConfig
from wordseq.ngram.arpa import read_arpa

GOLDEN = Path(__file__).resolve().parent / "data" / "kenlm"
ARPA = str(GOLDEN / "garden.o3.arpa")


def kenlm_tokens(line: str) -> tuple[list[tuple[str, int, int, float]], float, int]:
    *tokens, total = line.split("\t")
    parsed = []
    for t in tokens:
        word_id, n, lp = t.rsplit(" ", 2)
        word, i = word_id.rsplit("=", 1)
        parsed.append((word, int(i), int(n), float(lp)))
    _, value, _, oov = total.split()
    return parsed, float(value), int(oov)


def test_per_token_output_is_kenlm_querys(runner) -> None:  # type: ignore[no-untyped-def]
    """garden.o3.query.txt is `query garden.o3.arpa < query.txt` (KenLM 0.3.0)."""
    result = invoke(runner, ["-q", "ngram", "eval", str(GOLDEN / "query.txt"), "-m", ARPA, "--per-token"])
    assert result.exit_code == 0, result.output
    mine = result.stdout.splitlines()
    theirs = (GOLDEN / "garden.o3.query.txt").read_text(encoding="utf-8").splitlines()
    assert len(mine) == 4 and theirs[4].startswith("Perplexity including OOVs")
    for a, b in zip(mine, theirs[:4]):
        (ta, total_a, oov_a), (tb, total_b, oov_b) = kenlm_tokens(a), kenlm_tokens(b)
        assert [t[:3] for t in ta] == [t[:3] for t in tb]  # word, id, n-gram length
        assert [t[3] for t in ta] == pytest.approx([t[3] for t in tb], abs=1e-6)
        assert total_a == pytest.approx(total_b, abs=1e-5) and oov_a == oov_b
    doc = json.loads(invoke(runner, ["ngram", "eval", str(GOLDEN / "query.txt"), "-m", ARPA, "--json"]).stdout)
    assert doc["perplexity"] == pytest.approx(float(theirs[4].split("\t")[1]), rel=1e-6)
    assert doc["perplexity_excl_oov"] == pytest.approx(float(theirs[5].split("\t")[1]), rel=1e-6)
    assert doc["tokens"] == int(theirs[7].split("\t")[1]) and doc["oov"] == int(theirs[6].split("\t")[1])


def test_per_line_keeps_one_line_per_input_line(runner) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, ["-q", "ngram", "eval", "-", "-m", ARPA, "--per-line"], input="a\n\nb\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[1].split("\t")[2:] == ["1", "0"]  # the blank line: </s> alone, no OOV
    assert float(lines[1].split("\t")[0]) == pytest.approx(-1.8104348, abs=1e-4)  # as query scores it


def test_nl_gives_one_json_object_per_line_with_its_number(runner) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, ["ngram", "eval", "-m", ARPA, "--nl"], input="the cat\n\nthe garden is green\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3]
    assert [r["tokens"] for r in rows] == [3, 1, 5]
    assert "perplexity\t" in result.stderr  # the summary goes to stderr


def test_sentences_of_one_line_share_its_output_line(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "c.txt"
    corpus.write_text("The cat sat. The dog ran.\nA cat ran.\n" * 5, encoding="utf-8")
    assert invoke(runner, ["ngram", "train", str(corpus), "--sentences", "--order", "2", "--discount-fallback",
                           "-o", "s"]).exit_code == 0
    result = invoke(runner, ["-q", "ngram", "eval", "-m", "s", "--per-line"], input="The cat sat. The dog ran.\n\nA cat.\n")
    tokens = [int(line.split("\t")[2]) for line in result.stdout.splitlines()]
    assert tokens == [5 + 5, 1, 4]  # two sentences with their </s>; the blank line; one sentence


def test_character_models_report_bits_per_character(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    names = tmp_path / "names.txt"
    names.write_text("anna\nhannah\nhanna\nanne\n", encoding="utf-8")
    assert invoke(runner, ["ngram", "train", str(names), "--level", "char", "--order", "3",
                           "--smoothing", "witten-bell", "-o", "chars"]).exit_code == 0
    doc = json.loads(invoke(runner, ["ngram", "eval", str(names), "-m", "chars", "--json"]).stdout)
    assert doc["bits_per_char"] == pytest.approx(-doc["logprob_ln"] / (doc["tokens"] * math.log(2)))
    plain = invoke(runner, ["ngram", "eval", str(names), "-m", "chars"]).stdout
    assert f"bits_per_char\t{doc['bits_per_char']:.4f}" in plain.splitlines()
    word_doc = json.loads(invoke(runner, ["ngram", "eval", ARPA.replace("garden.o3.arpa", "garden.txt"), "-m", ARPA, "--json"]).stdout)
    assert "bits_per_char" not in word_doc


GOOD = (GOLDEN / "garden.o2.arpa").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("-0.7770093\n", "inf\n", r"backoff weight inf is not finite"),
        ("-0.7770093\n", "nan\n", r"backoff weight nan is not finite"),
        ("\n-0.9865261\t", "\nnan\t", r"log10 probability nan is not finite"),
        ("\n-0.9865261\t", "\n-inf\t", r"log10 probability -inf is not finite"),
        ("\n-0.9865261\t", "\n0.5\t", r"log10 probability 0.5 is above 0"),
    ],
)
def test_every_number_of_an_arpa_file_is_checked(tmp_path, old: str, new: str, message: str) -> None:  # type: ignore[no-untyped-def]
    assert old in GOOD
    bad = tmp_path / "bad.arpa"
    bad.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    line = GOOD[: GOOD.index(old) + (1 if old.startswith("\n") else 0)].count("\n") + 1
    with pytest.raises(InputError, match=rf"bad.arpa: line {line}: {message}"):
        read_arpa(str(bad))


def test_a_corrupt_gzip_arpa_is_one_clear_error(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = gzip.compress(GOOD.encode())
    bad = tmp_path / "bad.arpa.gz"
    bad.write_bytes(data[:20] + bytes(b ^ 0x55 for b in data[20:60]) + data[60:])
    for args in (["ngram", "import", str(bad)], ["ngram", "eval", ARPA.replace(".o3.arpa", ".txt"), "-m", str(bad)]):
        result = invoke(runner, args)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: {bad}: damaged compressed file") and "internal error" not in result.stderr
    truncated = tmp_path / "cut.arpa.gz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="damaged compressed file"):
        read_arpa(str(truncated))


def test_gzipped_arpa_reads_like_the_plain_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    packed = tmp_path / "g.arpa.gz"
    packed.write_bytes(gzip.compress(GOOD.encode()))
    a, b = read_arpa(str(packed)), read_arpa(str(GOLDEN / "garden.o2.arpa"))
    assert a.vocab.itos == b.vocab.itos and all((x == y).all() for x, y in zip(a.prob + a.keys, b.prob + b.keys))


@pytest.mark.parametrize("field,value", [("k", math.inf), ("k", math.nan), ("k", -1.0), ("discount", math.nan),
                                         ("discount", math.inf), ("discount", 1.0)])
def test_config_rejects_non_finite_and_out_of_range_values(field: str, value: float) -> None:
    with pytest.raises(OptionError, match=f"--{field}"):
        NgramConfig(smoothing="kneser-ney" if field == "discount" else "add-k", **{field: value})


@pytest.mark.parametrize("value,code", [("nan", 2), ("inf", 2), ("0", 2)])
def test_non_finite_k_on_the_command_line(runner, value: str, code: int) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, ["ngram", "train", str(GOLDEN / "garden.txt"), "--smoothing", "add-k", "--k", value])
    assert result.exit_code == code and "--k" in result.stderr


def test_vocab_pad_divides_the_unk_probability_among_the_unseen_words(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """KenLM's answer to kpu/kenlm#67: p(<unk>) is shared by N - |vocab| words, so each OOV
    costs log10(N - |vocab|) more and perplexities over different vocabularies compare."""
    from tests.test_ngram_mix import ARPA_A

    arpa = tmp_path / "a.arpa"
    arpa.write_text(ARPA_A)  # words: a, b
    text = tmp_path / "t.txt"
    text.write_text("a c b\nd\n")  # c and d are not in the vocabulary

    def scores(*extra: str) -> dict:  # type: ignore[type-arg]
        result = invoke(runner, ["ngram", "eval", str(text), "-m", str(arpa), "--pretokenized", "--json", *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    plain, padded = scores(), scores("--vocab-pad", "10")
    assert plain["oov"] == padded["oov"] == 2 and plain["tokens"] == padded["tokens"] == 6
    log10_plain = -plain["tokens"] * math.log10(plain["perplexity"])
    expected = log10_plain - 2 * math.log10(10 - 2)
    assert padded["perplexity"] == pytest.approx(10 ** (-expected / 6), rel=1e-6)
    assert padded["perplexity_excl_oov"] == pytest.approx(plain["perplexity_excl_oov"], rel=1e-9)
    assert padded["vocab_pad"] == 10

    def c_score(*extra: str) -> float:
        line = invoke(runner, ["ngram", "eval", str(text), "-m", str(arpa), "--pretokenized", "--per-token",
                               *extra]).stdout.splitlines()[0]
        (c_token,) = [t for t in kenlm_tokens(line)[0] if t[0] == "c"]
        return c_token[3]

    assert c_score() == pytest.approx(-0.2 - 1.0, abs=1e-6)  # backoff(a) + p(<unk>) in ARPA_A
    assert c_score("--vocab-pad", "10") == pytest.approx(-0.2 - 1.0 - math.log10(8), abs=1e-6)


@pytest.mark.parametrize("pad", ["2", "1", "0", "-5"])
def test_vocab_pad_must_exceed_the_vocabulary(runner, tmp_path, pad: str) -> None:  # type: ignore[no-untyped-def]
    from tests.test_ngram_mix import ARPA_A

    arpa = tmp_path / "a.arpa"
    arpa.write_text(ARPA_A)
    result = invoke(runner, ["ngram", "eval", "-", "-m", str(arpa), "--vocab-pad", pad], input="a b\n")
    assert result.exit_code == 2 and "--vocab-pad" in result.stderr
    assert "2 words" in result.stderr
