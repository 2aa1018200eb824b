"""Scores of transductions: edit distance, error rates with several references, BLEU."""

from __future__ import annotations

import random

import pytest

from wordseq.seq2seq.metrics import corpus_bleu, edit_distance, score


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("", "", 0), ("abc", "", 3), ("", "ab", 2), ("kitten", "sitting", 3), ("flaw", "lawn", 2), ("abc", "abc", 0)],
)
def test_edit_distance_counts_insertions_deletions_and_substitutions(a: str, b: str, distance: int) -> None:
    assert edit_distance(list(a), list(b)) == distance == edit_distance(list(b), list(a))


def test_a_source_is_right_if_it_matches_any_reference_and_errors_count_against_the_closest() -> None:
    refs = [[["HH", "AH", "L", "OW"], ["HH", "EH", "L", "OW"]], [["W", "ER", "L", "D"]], [["T", "UW"]]]
    hyps = [["HH", "EH", "L", "OW"], ["W", "ER", "D"], ["T", "UW", "Z", "Z"]]
    e = score(hyps, refs)
    assert e.sources == 3 and e.pairs == 4
    assert e.exact_match == pytest.approx(1 / 3) and e.word_error_rate == pytest.approx(2 / 3)
    assert e.token_errors == 0 + 1 + 2 and e.reference_tokens == 4 + 4 + 2
    assert e.token_error_rate == pytest.approx(3 / 10)
    assert e.bleu is None and score(hyps, refs, with_bleu=True).bleu is not None
    assert e.lines()[:2] == ["sources\t3", "pairs\t4"]


@pytest.mark.filterwarnings("ignore:\\s*The hypothesis contains 0 counts:UserWarning")
def test_bleu_agrees_with_nltk_on_random_corpora() -> None:
    from nltk.translate.bleu_score import corpus_bleu as nltk_bleu

    rng = random.Random(0)
    words = "a b c d e f g".split()
    for _ in range(20):
        refs, hyps = [], []
        for _ in range(rng.randint(1, 6)):
            refs.append([[rng.choice(words) for _ in range(rng.randint(4, 12))] for _ in range(rng.randint(1, 3))])
            hyps.append([rng.choice(words) for _ in range(rng.randint(4, 12))])
        assert corpus_bleu(hyps, refs) == pytest.approx(nltk_bleu(refs, hyps), abs=1e-9)


def test_bleu_is_one_for_perfect_output_and_zero_without_any_four_gram() -> None:
    assert corpus_bleu([list("abcde")], [[list("abcde")]]) == 1.0
    assert corpus_bleu([list("abcde")], [[list("edcba")]]) == 0.0
