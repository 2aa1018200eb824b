"""kenlm's Python API on wordseq n-gram models: full_scores equals KenLM query's per-word
figures and ``ngram eval --per-token``; the incremental scorer equals whole sentences."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import invoke
from tests.test_ngram_eval import kenlm_tokens
from wordseq.ngram.kenlm_api import NgramState
from wordseq.ngram.storage import load_arpa_file

GOLDEN = Path(__file__).resolve().parent / "data" / "kenlm"
QUERY = Path.home() / ".cache" / "wordseq-peers" / "kenlm" / "bin" / "query"
GARDEN = load_arpa_file(GOLDEN / "garden.o3.arpa")
NAMES = load_arpa_file(GOLDEN / "names.o5.arpa")


def test_full_scores_are_kenlm_querys_stored_figures() -> None:
    """garden.o3.query.txt is `query garden.o3.arpa < query.txt` (KenLM 0.3.0)."""
    lines = (GOLDEN / "query.txt").read_text(encoding="utf-8").splitlines()
    theirs = (GOLDEN / "garden.o3.query.txt").read_text(encoding="utf-8").splitlines()[: len(lines)]
    for line, expected in zip(lines, theirs):
        tokens, total, oov = kenlm_tokens(expected)
        mine = list(GARDEN.full_scores(line.split()))
        assert [n for _, n, _ in mine] == [n for _, _, n, _ in tokens]
        assert [p for p, _, _ in mine] == pytest.approx([p for *_, p in tokens], abs=1e-6)
        assert [o for *_, o in mine] == [i == 0 for _, i, _, _ in tokens]  # KenLM's id 0 is <unk>
        assert GARDEN.score(line) == pytest.approx(total, abs=1e-5) and sum(o for *_, o in mine) == oov


@pytest.mark.parametrize("arpa, text", [("names.o5.arpa", "names.txt"), ("trains.o4.arpa", "trains.txt")])
def test_full_scores_equal_per_token_output(runner, arpa: str, text: str) -> None:  # type: ignore[no-untyped-def]
    out = invoke(runner, ["-q", "ngram", "eval", str(GOLDEN / text), "-m", str(GOLDEN / arpa), "--pretokenized",
                          "--no-lower", "--per-token"]).stdout.splitlines()
    model = load_arpa_file(GOLDEN / arpa)
    for line, printed in zip((GOLDEN / text).read_text(encoding="utf-8").splitlines(), out, strict=True):
        tokens, total, _ = kenlm_tokens(printed)
        mine = list(model.full_scores(line.split()))
        assert [(n, p) for p, n, _ in mine] == [(n, pytest.approx(p, abs=1e-6)) for _, _, n, p in tokens]


@pytest.mark.skipif(not QUERY.exists(), reason="KenLM's query is not built (benchmarks/peers/kenlm.sh)")
def test_full_scores_equal_live_kenlm_query() -> None:
    text = (GOLDEN / "trains.txt").read_text(encoding="utf-8")
    out = subprocess.run([str(QUERY), str(GOLDEN / "trains.o4.arpa")], input=text, text=True,
                         capture_output=True, check=True).stdout.splitlines()
    model = load_arpa_file(GOLDEN / "trains.o4.arpa")
    for line, printed in zip(text.splitlines(), out):
        tokens, _, _ = kenlm_tokens(printed)
        assert [(n, pytest.approx(p, abs=1e-6)) for _, _, n, p in tokens] == \
            [(n, p) for p, n, _ in model.full_scores(line.split())]


def test_without_bos_the_first_word_has_no_context_and_without_eos_no_end() -> None:
    unigram = GARDEN.tables.prob[0][GARDEN.vocab.id("the")]
    first = next(GARDEN.full_scores("the cat", bos=False))
    assert first == (pytest.approx(float(unigram)), 1, False)
    assert len(list(GARDEN.full_scores("the cat", eos=False))) == 2
    assert GARDEN.score("the cat", bos=False, eos=False) == pytest.approx(
        sum(p for p, _, _ in GARDEN.full_scores("the cat", bos=False, eos=False)))


def test_words_in_model_and_order() -> None:
    assert "garden" in GARDEN and "<s>" in GARDEN and "</s>" in GARDEN
    assert "zebra" not in GARDEN and "<unk>" not in GARDEN and 3 not in GARDEN
    assert GARDEN.order == 3 and NAMES.order == 5


WORDS = sorted(set(NAMES.vocab.itos[4:]) | {"q", "zz"})  # and two the model never saw


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=12), st.booleans())
def test_incremental_scorer_equals_whole_sentence_scoring(words: list[str], bos: bool) -> None:
    state = NAMES.begin() if bos else NAMES.null_state()
    total, steps = 0.0, []
    for w in [*words, "</s>"]:
        p, state = NAMES.advance(state, w)
        assert isinstance(state, NgramState) and len(state.ids) <= NAMES.order - 1
        steps.append(p)
        total += p
    assert steps == pytest.approx([p for p, _, _ in NAMES.full_scores(words, bos=bos)], abs=1e-6)
    assert total == pytest.approx(NAMES.score(" ".join(words), bos=bos), abs=1e-5)


def test_states_are_immutable_and_equal_after_the_same_last_words() -> None:
    a, b = NAMES.begin(), NAMES.null_state()
    for w in "a n n a h".split():
        _, a = NAMES.advance(a, w)
    for w in "h a n n a h".split():
        _, b = NAMES.advance(b, w)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    with pytest.raises(AttributeError):
        a.ids = ()  # type: ignore[misc]
    assert math.isfinite(NAMES.advance(a, "zz")[0])


def test_score_refuses_a_non_text() -> None:
    from wordseq.errors import InputError

    with pytest.raises(InputError, match="a text is a str"):
        GARDEN.score(["the", "cat"])



def _kenlm_binary(tmp_path: Path) -> Path:
    """A real build_binary output when KenLM is built, else its header (what is detected)."""
    out = tmp_path / "garden.binary"
    build = QUERY.parent / "build_binary"
    if build.exists():
        subprocess.run([str(build), str(GOLDEN / "garden.o3.arpa"), str(out)], capture_output=True, check=True)
    else:
        out.write_bytes(b"mmap lm http://kheafield.com/code format version 5\n\x00\x00\x00\x00")
    return out


def test_kenlm_binary_models_are_refused_in_one_line_pointing_to_the_arpa_file(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from wordseq.errors import InputError
    from wordseq.store import load

    binary = _kenlm_binary(tmp_path)
    for args in (["ngram", "eval", str(GOLDEN / "query.txt"), "-m", str(binary)], ["ngram", "import", str(binary)]):
        result = runner.invoke(__import__("wordseq.cli", fromlist=["cli"]).cli, args)
        assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
        assert "is a KenLM binary model (build_binary)" in result.stderr and "give the ARPA file" in result.stderr
    with pytest.raises(InputError, match="KenLM binary model"):
        load(str(binary), "ngram")
