"""The README's "From Python" blocks run as they are, in order, in one interpreter (as a
notebook runs them), from a folder holding the shipped data."""

from __future__ import annotations

import pytest

from tests.readme_runs import Run, python_blocks


def test_the_readme_shows_every_kind_of_model_from_python() -> None:
    code = "\n".join(python_blocks())
    for call in ("train_embeddings", "train_ngram", "train_lm", "train_classifier", "wordseq.load", "generate"):
        assert call in code


@pytest.mark.docs
@pytest.mark.xdist_group("readme")
def test_readme_python_blocks_run(readme_python_run: Run) -> None:
    out = readme_python_run.outputs
    neighbours = eval(out[0])  # noqa: S307 - our own printed list of (word, similarity)
    assert len(neighbours) == 3 and all(isinstance(w, str) and -1 <= s <= 1 for w, s in neighbours)
    # the trigram's figures do not depend on a seed: log10 p and the two lines' perplexity
    assert float(out[1]) == pytest.approx(-10.033716, rel=1e-6)
    assert float(out[2]) == pytest.approx(108.932923, rel=1e-6)
    assert out[-3] == "pos"
    assert out[-1] == "['embeddings/news', 'ngram/news3', 'lm/news-lstm', 'classifier/mr']"
