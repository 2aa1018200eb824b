"""Analogy maths on hand-made vectors: argument order, 3CosAdd, 3CosMul, exclusion."""

from __future__ import annotations

import numpy as np
import pytest

from wordseq.embeddings.analogy import analogy_query, analogy_scores, nearest_scores, top_k


def test_cli_order_is_a_minus_b_plus_c() -> None:
    q = analogy_query(["king", "man", "woman"])
    assert q.plus == ("king", "woman") and q.minus == "man" and q.expected is None


def test_question_line_order_is_b_minus_a_plus_c() -> None:
    q = analogy_query(["Athens", "Greece", "Baghdad", "Iraq"], question=True)
    assert q.plus == ("Greece", "Baghdad") and q.minus == "Athens" and q.expected == "Iraq"


def test_cli_and_question_orders_ask_the_same_analogy() -> None:
    # "man is to king as woman is to ?" as a question line, and as 'analogy king man woman'
    assert analogy_query(["man", "king", "woman", "queen"], question=True).plus == analogy_query(["king", "man", "woman"]).plus


def test_wrong_number_of_words_is_refused() -> None:
    with pytest.raises(ValueError):
        analogy_query(["a", "b"])
    with pytest.raises(ValueError):
        analogy_query(["a", "b", "c"], question=True)


def _unit(rows: list[list[float]]) -> np.ndarray:
    m = np.asarray(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


# words: 0 king, 1 man, 2 woman, 3 queen, 4 prince
ROYAL = _unit([[1, 1, 0], [0, 1, 0], [0, 1, 1], [1, 1, 1], [1, 2, 0]])


def test_add_finds_queen_and_excludes_the_query_words() -> None:
    scores = analogy_scores(ROYAL, np.array([[0, 2]]), np.array([1]), "add")
    assert np.isneginf(scores[0, [0, 1, 2]]).all()
    assert scores[0].argmax() == 3
    # the score is the cosine with the normalised offset vector king - man + woman
    target = ROYAL[0] - ROYAL[1] + ROYAL[2]
    assert scores[0, 3] == pytest.approx(float(ROYAL[3] @ target / np.linalg.norm(target)), rel=1e-5)


def test_mul_matches_levy_goldberg_formula() -> None:
    scores = analogy_scores(ROYAL, np.array([[0, 2]]), np.array([1]), "mul")
    cos = ROYAL @ ROYAL.T
    expected = ((cos[0] + 1) / 2) * ((cos[2] + 1) / 2) / ((cos[1] + 1) / 2 + 1e-3)
    assert scores[0, 3] == pytest.approx(expected[3], rel=1e-5)
    assert scores[0, 4] == pytest.approx(expected[4], rel=1e-5)


def test_add_and_mul_disagree_where_one_term_dominates() -> None:
    # 3CosMul divides by cos'(x, a): a word far from a (x) wins under mul although its
    # similarity to b and c is poor; 3CosAdd sums and prefers y, close to both b and c.
    # Words: 0 a, 1 b, 2 c, 3 x, 4 y.
    unit = _unit([[1, 0, 0], [0, 1, 0], [0, 0, 1], [-0.9, 0.2, 0.2], [0, 0.7, 0.7]])
    plus, minus = np.array([[1, 2]]), np.array([0])
    add = analogy_scores(unit, plus, minus, "add")[0]
    mul = analogy_scores(unit, plus, minus, "mul")[0]
    # add: x 0.21 + 0.21 + 0.95 = 1.38 < y 0.71 + 0.71 - 0 = 1.41
    assert add.argmax() == 4
    # mul: x 0.61 * 0.61 / (0.02 + 0.001) = 15 > y 0.85 * 0.85 / 0.501 = 1.5
    assert mul.argmax() == 3


def test_batched_scores_equal_one_at_a_time() -> None:
    rng = np.random.default_rng(0)
    unit = _unit(rng.normal(size=(50, 8)).tolist())
    plus = rng.integers(0, 50, size=(7, 2))
    minus = rng.integers(0, 50, size=7)
    for method in ("add", "mul"):
        batch = analogy_scores(unit, plus, minus, method)
        for i in range(7):
            one = analogy_scores(unit, plus[i:i + 1], minus[i:i + 1], method)
            np.testing.assert_allclose(batch[i], one[0], rtol=1e-5, atol=1e-6)


def test_nearest_excludes_the_word_and_ranks_by_cosine() -> None:
    idx, scores = top_k(nearest_scores(ROYAL, np.array([0])), 2)
    assert 0 not in idx[0]
    assert list(idx[0]) == [4, 3]  # prince (cos .95) before queen (cos .82)
    assert scores[0, 0] >= scores[0, 1]


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError):
        analogy_scores(ROYAL, np.array([[0, 2]]), np.array([1]), "max")
