"""ARPA: exact round trip, backoff form equals the interpolated model, readable errors."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from tests.conftest import CORPUS
from tests.ngram_toy import all_context_states, train
from wordseq.errors import InputError
from wordseq.ngram.arpa import read_arpa, tables_from_arpa_text, write_arpa
from wordseq.ngram.model import NgramModel

# As KenLM's lmplz writes it (order 2, toy corpus "a b" / "b"; values rounded by hand).
KENLM_STYLE = """\\data\\
ngram 1=5
ngram 2=4

\\1-grams:
-0.90309\t<unk>\t0
-99\t<s>\t-0.30103
-0.60206\t</s>\t0
-0.4259687\tb\t-0.30103
-0.60206\ta\t-0.30103

\\2-grams:
-0.4259687\t<s> b
-0.4259687\t<s> a
-0.1627428\ta b
-0.2041200\tb </s>

\\end\\
"""


def _lines(n_sentences: int = 40) -> list[list[str]]:
    lines = CORPUS.read_text(encoding="utf-8", errors="replace").splitlines()[:n_sentences]
    return [line.lower().split() for line in lines]


@pytest.mark.parametrize("smoothing", ["modified-kneser-ney", "kneser-ney", "witten-bell", "mle", "stupid-backoff"])
def test_backoff_arpa_gives_the_models_probabilities(smoothing: str) -> None:
    model = train(_lines(), order=3, smoothing=smoothing, discount_fallback=True)
    buf = io.StringIO()
    write_arpa(model.tables, buf)
    text = buf.getvalue()
    again = NgramModel(tables_from_arpa_text(text.splitlines()), smoothing=smoothing)
    states = all_context_states(model)[:400]
    a, b = model.next_logprobs(states) / math.log(10), again.next_logprobs(states) / math.log(10)
    assert np.array_equal(np.isfinite(a), np.isfinite(b))
    # 7 significant digits, and a backed-off value adds up to 3 rounded terms
    assert np.allclose(a[np.isfinite(a)], b[np.isfinite(b)], rtol=2e-6, atol=2e-6)
    out = io.StringIO()
    write_arpa(again.tables, out)
    assert out.getvalue() == text  # exact to printed precision


def test_reads_a_kenlm_style_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "toy.arpa"
    path.write_text(KENLM_STYLE, encoding="utf-8")
    model = NgramModel(read_arpa(str(path)))
    assert model.vocab.itos[:6] == ["<pad>", "<unk>", "<s>", "</s>", "b", "a"]
    state = model.start(model.vocab.encode(["a"]))
    lp = model.next_logprobs(state)[0] / math.log(10)
    assert lp[model.vocab.id("b")] == pytest.approx(-0.1627428)
    assert lp[model.vocab.id("a")] == pytest.approx(-0.30103 - 0.60206)  # backoff(a) + p(a)
    assert lp[model.vocab.bos_id] == -np.inf


def test_reads_gzipped_arpa(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import gzip

    path = tmp_path / "toy.arpa.gz"
    path.write_bytes(gzip.compress(KENLM_STYLE.encode()))
    assert read_arpa(str(path)).order == 2


@pytest.mark.parametrize(
    "broken,line,message",
    [
        (KENLM_STYLE.replace("-0.1627428\ta b", "oops\ta b"), 15, "not a number"),
        (KENLM_STYLE.replace("-0.1627428\ta b", "-0.16\ta b c d"), 15, "2-gram line"),
        (KENLM_STYLE.replace("ngram 2=4", "ngram 2=5"), 3, "header says 'ngram 2=5' but .* has 4 line"),
        (KENLM_STYLE.replace("ngram 1=5", "ngram 1=4"), 10, r"more 1-grams than the header's 'ngram 1=4' \(line 2\)"),
        (KENLM_STYLE.replace("-0.2041200\tb </s>", "-0.2\tz </s>"), 16, "not among the unigrams"),
        (KENLM_STYLE.replace("\\2-grams:", "\\3-grams:"), 12, "expected '\\\\2-grams:'"),
        (KENLM_STYLE.replace("\\end\\", "trailing"), 18, "2-gram line .* got 'trailing'"),
        (KENLM_STYLE.replace("\\end\\\n", ""), 18, "expected \\\\end\\\\ after the 2-grams, got the end of the file"),
        (KENLM_STYLE.replace("-0.4259687\t<s> a", "-0.4259687\t<s> b"), 14, "listed twice"),
        (KENLM_STYLE.replace("ngram 1=5", "ngram x"), 2, "ngram 1=COUNT"),
    ],
)
def test_malformed_arpa_names_the_line(tmp_path, broken: str, line: int, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.arpa"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(InputError, match=rf"line {line}: .*{message}|line {line}:.*{message}"):
        read_arpa(str(path))


def test_not_an_arpa_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "text.arpa"
    path.write_text("hello world\n", encoding="utf-8")
    with pytest.raises(InputError, match="no \\\\data\\\\"):
        read_arpa(str(path))


def test_missing_unk_gets_kenlm_stand_in() -> None:
    text = KENLM_STYLE.replace("-0.90309\t<unk>\t0\n", "").replace("ngram 1=5", "ngram 1=4")
    model = NgramModel(tables_from_arpa_text(text.splitlines()))
    assert model.tables.prob[0][model.vocab.unk_id] == -100.0


def test_blank_and_indented_lines_inside_a_section_are_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    regular = tables_from_arpa_text(KENLM_STYLE.splitlines())
    odd = KENLM_STYLE.replace("-0.1627428\ta b\n", "\n   -0.1627428\ta b\n\n").replace("\\2-grams:\n", "\\2-grams:\n\n")
    path = tmp_path / "odd.arpa"
    path.write_text(odd, encoding="utf-8")
    again = read_arpa(str(path))
    assert all(np.array_equal(a, b) for a, b in zip(regular.prob + regular.keys, again.prob + again.keys))


def test_srilm_style_backoffs_on_some_lines_only() -> None:
    mixed = KENLM_STYLE.replace("\t<unk>\t0", "\t<unk>").replace("\t</s>\t0", "\t</s>")
    a, b = tables_from_arpa_text(mixed.splitlines()), tables_from_arpa_text(KENLM_STYLE.splitlines())
    assert all(np.array_equal(x, y) for x, y in zip(a.prob + a.backoff + a.keys, b.prob + b.backoff + b.keys))


MIXED = KENLM_STYLE.replace("\t<unk>\t0", "\t<unk>").replace("\t</s>\t0", "\t</s>")


@pytest.mark.parametrize(
    "broken,line,message",
    [
        (MIXED.replace("-0.4259687\tb\t-0.30103", "oops\tb\t-0.30103"), 9, "not a number"),
        (MIXED.replace("-0.4259687\tb\t-0.30103", "-0.4259687\tb\tnan?"), 9, "not a number"),
        (MIXED.replace("-0.4259687\tb\t-0.30103", "-0.4259687\tb c\t-0.30103"), 9, "1-gram line"),
        (MIXED.replace("-0.60206\ta\t-0.30103", "-0.60206 a -0.30103 x"), 10, "1-gram line"),
    ],
)
def test_faults_in_a_section_that_leaves_out_zero_backoffs_name_their_line(broken: str, line: int, message: str) -> None:
    """Such sections (SRILM's, wordseq's own) are read as columns with the zeros written in
    (2x faster on 3.6 M n-grams); a fault still falls back to the line-by-line reader."""
    with pytest.raises(InputError, match=rf"line {line}: .*{message}"):
        tables_from_arpa_text(broken.splitlines())


def test_an_exported_model_with_left_out_backoffs_reads_back_as_written() -> None:
    model = train(_lines(), order=3, smoothing="modified-kneser-ney")
    out = io.StringIO()
    write_arpa(model.tables, out)
    assert "\t" in out.getvalue() and any(line.count("\t") == 1 for line in out.getvalue().split("\\2-grams:")[0].splitlines()[5:])
    again = tables_from_arpa_text(out.getvalue().splitlines())
    for x, y in zip(model.tables.prob + model.tables.backoff, again.prob + again.backoff):
        assert np.allclose(np.asarray(x), np.asarray(y), atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("compress", [False, True])
def test_a_header_declaring_more_than_the_file_can_hold_is_refused(tmp_path, compress: bool) -> None:  # type: ignore[no-untyped-def]
    """Memory follows the declared counts, so counts the bytes cannot hold are refused
    before any section is read (a gzip byte gives at most 1032 bytes of text)."""
    import gzip

    text = KENLM_STYLE.replace("ngram 2=4", "ngram 2=400000000").encode()
    path = tmp_path / "big.arpa"
    path.write_bytes(gzip.compress(text) if compress else text)
    with pytest.raises(InputError, match=r"line 2: the header declares 400,000,005 n-grams, more than the file's \d+ bytes"):
        read_arpa(str(path))


def test_text_beyond_what_the_counts_can_fill_stops_the_read(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import wordseq.ngram.arpa as arpa

    monkeypatch.setattr(arpa, "_HEAD_BYTES", 64)
    monkeypatch.setattr(arpa, "_READ_BYTES", 16)
    monkeypatch.setattr(arpa, "_BYTES_PER_NGRAM", 8)
    path = tmp_path / "long.arpa"
    path.write_text(KENLM_STYLE.replace("\\1-grams:\n", "\\1-grams:\n" + "\t" * 400 + "\n"))
    with pytest.raises(InputError, match="more text than the 9 n-grams its header declares can fill"):
        read_arpa(str(path))


def test_a_byte_order_mark_and_stdin_are_read(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    data = b"\xef\xbb\xbf" + KENLM_STYLE.encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert read_arpa("-").sizes() == [5, 4]
