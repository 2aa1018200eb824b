"""ngram mix: linear interpolation equals the hand-computed sum, stays normalised over the
union vocabulary, EM finds the best weights, and a stored mixture works as a model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CORPUS, HELDOUT, invoke
from tests.ngram_toy import all_context_states
from wordseq.errors import OptionError
from wordseq.ngram import NgramConfig, train_ngram
from wordseq.ngram.arpa import tables_from_arpa_text
from wordseq.ngram.mix import MixedNgramModel, tune_weights
from wordseq.ngram.model import NgramModel
from wordseq.text.preprocess import PreprocessConfig

# Two order-2 models over the same words; the numbers are chosen to be easy to add up.
ARPA_A = """\\data\\
ngram 1=5
ngram 2=2

\\1-grams:
-1.0\t<unk>
-99\t<s>\t-0.5
-0.5\t</s>
-0.6\ta\t-0.2
-0.7\tb\t-0.1

\\2-grams:
-0.3\t<s> a
-0.2\ta b

\\end\\
"""
ARPA_B = """\\data\\
ngram 1=5
ngram 2=1

\\1-grams:
-1.2\t<unk>
-99\t<s>\t-0.4
-0.4\t</s>
-0.8\ta\t-0.3
-0.5\tb

\\2-grams:
-0.25\tb </s>

\\end\\
"""


def _model(text: str) -> NgramModel:
    return NgramModel(tables_from_arpa_text(text.splitlines()), PreprocessConfig(pretokenized=True))


def test_mixture_is_the_hand_computed_interpolation() -> None:
    a, b = _model(ARPA_A), _model(ARPA_B)
    mix = MixedNgramModel([a, b], [0.3, 0.7])
    # "a b": p(a|<s>), p(b|a), p(</s>|b) under each model, by the backoff rule
    pa = [10**-0.3, 10**-0.2, 10 ** (-0.1 - 0.5)]
    pb = [10 ** (-0.4 - 0.8), 10 ** (-0.3 - 0.5), 10**-0.25]
    expected = sum(math.log10(0.3 * x + 0.7 * y) for x, y in zip(pa, pb))
    from wordseq.ngram.evaluate import evaluate

    ev = evaluate(mix, [["a", "b"]], per_line=True)
    (line,) = list(ev.lines())
    assert line.logprob / math.log(10) == pytest.approx(expected, abs=1e-6)
    # the same numbers one step at a time, as generate sees them
    state = mix.start(mix.vocab.encode(["a"]))
    assert mix.next_log10(state)[0, mix.vocab.id("b")] == pytest.approx(math.log10(0.3 * pa[1] + 0.7 * pb[1]))


def _trained(lines: list[str], **kw) -> NgramModel:  # type: ignore[no-untyped-def]
    return train_ngram([line.split() for line in lines], model=NgramConfig(order=kw.pop("order", 3), discount_fallback=True, **kw))


def test_parts_with_different_words_give_a_distribution_over_the_union() -> None:
    text = CORPUS.read_text(encoding="utf-8").lower().splitlines()
    a = _trained(text[:30])
    b = _trained(text[30:60], order=2)
    mix = MixedNgramModel([a, b], [0.6, 0.4])
    assert set(mix.vocab.itos) == set(a.vocab.itos) | set(b.vocab.itos)
    states = all_context_states(a)[:200]
    totals = np.power(10.0, mix.next_log10(states)).sum(axis=1)
    assert np.allclose(totals, 1.0, atol=1e-5)


def test_em_weights_give_the_lowest_held_out_perplexity() -> None:
    text = CORPUS.read_text(encoding="utf-8").lower().splitlines()
    a, b = _trained(text[:120]), _trained(text[120:240])
    dev = [line.split() for line in text[240:270]]
    tuned = tune_weights([a, b], dev)
    assert sum(tuned.weights) == pytest.approx(1.0)

    def ppl(w: float) -> float:
        from wordseq.ngram.evaluate import evaluate

        return evaluate(MixedNgramModel([a, b], [w, 1 - w]), dev).finish().perplexity

    best = ppl(tuned.weights[0])
    assert best == pytest.approx(tuned.perplexity, rel=1e-6)
    assert all(best <= ppl(w) + 1e-9 for w in np.linspace(0.05, 0.95, 19))


def test_weights_are_checked() -> None:
    a = _model(ARPA_A)
    for weights, message in (([0.5, 0.6], "sum to 1"), ([1.0], "1 weight"), ([math.nan, 1.0], "finite"), ([1.5, -0.5], "at least 0")):
        with pytest.raises(OptionError, match=message):
            MixedNgramModel([a, a], weights)


def test_mix_on_the_command_line_works_for_eval_and_generate(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b = tmp_path / "a.arpa", tmp_path / "b.arpa"
    a.write_text(ARPA_A, encoding="utf-8")
    b.write_text(ARPA_B, encoding="utf-8")
    result = invoke(runner, ["ngram", "mix", str(a), str(b), "--weights", "0.3", "0.7", "-o", "both"])
    assert result.exit_code == 0, result.output
    a.unlink()  # the mixture holds copies of its parts
    text = tmp_path / "t.txt"
    text.write_text("a b\n", encoding="utf-8")
    doc = json.loads(invoke(runner, ["ngram", "eval", str(text), "-m", "both", "--json"]).stdout)
    pa = [10**-0.3, 10**-0.2, 10 ** (-0.1 - 0.5)]
    pb = [10 ** (-0.4 - 0.8), 10 ** (-0.3 - 0.5), 10**-0.25]
    assert doc["logprob_log10"] == pytest.approx(sum(math.log10(0.3 * x + 0.7 * y) for x, y in zip(pa, pb)), abs=1e-6)
    gen = invoke(runner, ["generate", "-m", "both", "--greedy", "--prompt", "a", "--max-tokens", "3", "--json"])
    assert gen.exit_code == 0, gen.output
    assert json.loads(gen.stdout)["results"][0]["tokens"]
    exported = invoke(runner, ["ngram", "export", "both", str(tmp_path / "x.arpa")])
    assert exported.exit_code == 1 and "mixture" in exported.stderr


def test_mix_tune_on_the_command_line(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("\n".join(lines[:100]) + "\n", encoding="utf-8")
    second.write_text("\n".join(lines[100:200]) + "\n", encoding="utf-8")
    for name, path in (("first", first), ("second", second)):
        assert invoke(runner, ["ngram", "train", str(path), "-o", name, "--discount-fallback"]).exit_code == 0
    result = invoke(runner, ["ngram", "mix", "first", "second", "--tune", str(HELDOUT), "-o", "tuned",
                             "--encoding-errors", "replace"])
    assert result.exit_code == 0, result.output
    assert "EM steps" in result.stderr
    meta = json.loads(invoke(runner, ["models", "show", "tuned"]).stdout)
    assert meta["config"]["mixture"] and sum(meta["config"]["weights"]) == pytest.approx(1.0)
    doc = json.loads(invoke(runner, ["ngram", "eval", str(HELDOUT), "-m", "tuned", "--json", "--encoding-errors", "replace"]).stdout)
    assert doc["perplexity"] == pytest.approx(2176.2455, rel=1e-4) and doc["oov"] == 727  # measured; no seed involved
    neither = invoke(runner, ["ngram", "mix", "first", "second", "-o", "x"])
    assert neither.exit_code == 1 and "--weights" in neither.stderr and "--tune" in neither.stderr


def test_vocab_lists_the_words_of_a_model_or_arpa_file(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a = tmp_path / "a.arpa"
    a.write_text(ARPA_A, encoding="utf-8")
    assert invoke(runner, ["ngram", "vocab", str(a)]).stdout.splitlines() == ["<unk>", "<s>", "</s>", "a", "b"]
    small = tmp_path / "s.txt"
    small.write_text("b a b\nb\n", encoding="utf-8")
    assert invoke(runner, ["ngram", "train", str(small), "--order", "2", "--discount-fallback", "-o", "s"]).exit_code == 0
    words = invoke(runner, ["ngram", "vocab", "s"]).stdout.splitlines()
    assert words == ["<unk>", "<s>", "</s>", "b", "a"]  # by count, as the ids go


ARPA_C = ARPA_B.replace("ngram 1=5", "ngram 1=6").replace("-0.5\tb\n", "-0.5\tb\n-0.9\tc\n")


def test_mixing_different_vocabularies_says_the_perplexities_do_not_compare(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.arpa").write_text(ARPA_A)
    (tmp_path / "c.arpa").write_text(ARPA_C)
    (tmp_path / "b.arpa").write_text(ARPA_B)
    result = invoke(runner, ["ngram", "mix", str(tmp_path / "a.arpa"), str(tmp_path / "c.arpa"), "--weights", "0.5",
                             "0.5", "-o", "ac"])
    assert result.exit_code == 0, result.output
    assert ("Warning: the models' vocabularies differ (2, 3 words; 3 together): the mixture's perplexity is not "
            "comparable with its parts'; compare them with 'ngram eval --vocab-pad N'") in result.stderr
    same = invoke(runner, ["ngram", "mix", str(tmp_path / "a.arpa"), str(tmp_path / "b.arpa"), "--weights", "0.5", "0.5",
                           "-o", "ab"])
    assert same.exit_code == 0 and "Warning" not in same.stderr
