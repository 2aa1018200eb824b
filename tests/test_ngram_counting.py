"""Streaming counting: exact counts, chunk merging, input checks."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import wordseq.ngram.counting as counting
from tests.conftest import CORPUS
from wordseq.errors import InputError, OptionError
from wordseq.ngram.counting import count_ngrams
from wordseq.ngram.encode import sequence_chunks
from wordseq.ngram.tables import NgramTables


def _as_counter(counts) -> dict[int, Counter]:  # type: ignore[no-untyped-def]
    t = NgramTables(counts.vocab, counts.order, [], [], counts.keys)
    out = {1: Counter({(counts.vocab.itos[i],): int(c) for i, c in enumerate(counts.unigram) if c})}
    for n in range(2, counts.order + 1):
        grams = t.entry_words(n)
        out[n] = Counter({tuple(counts.vocab.decode(g)): int(c) for g, c in zip(grams.tolist(), counts.counts[n - 1])})
    return out


def _reference(sentences: list[list[str]], order: int) -> dict[int, Counter]:
    ref: dict[int, Counter] = {n: Counter() for n in range(1, order + 1)}
    for s in sentences:
        padded = ["<s>"] + s + ["</s>"]
        for j in range(1, len(padded)):
            for n in range(1, order + 1):
                if j - n + 1 >= 0:
                    ref[n][tuple(padded[j - n + 1 : j + 1])] += 1
    return ref


def test_counts_match_a_plain_python_count() -> None:
    sentences = [line.split() for line in CORPUS.read_text(encoding="utf-8").splitlines()[:30]]
    counts = count_ngrams(sentences, 4)
    assert _as_counter(counts) == _reference(sentences, 4)
    assert counts.sentences == 30
    assert counts.tokens == sum(len(s) for s in sentences)


def test_small_chunks_give_the_same_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    sentences = [line.split() for line in CORPUS.read_text(encoding="utf-8").splitlines()[:20]]
    whole = _as_counter(count_ngrams(sentences, 4))
    monkeypatch.setattr(counting, "CHUNK", 97)
    assert _as_counter(counting.count_chunks(sequence_chunks(sentences, per_chunk=3), 4)) == whole


def test_counting_memory_does_not_grow_with_repeated_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's measurement in small: the same text ten times has the same distinct
    n-grams, so counting it must not take much more memory than counting it once (it
    took 1.5x: a loop kept the last chunk's arrays while counting the next, and each
    merge sorted the whole table again)."""
    import tracemalloc

    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:100]  # 19 k tokens: one chunk
    monkeypatch.setattr(counting, "CHUNK", 8192)
    peaks = []
    for times in (1, 10):
        tracemalloc.start()
        counting.count_chunks(sequence_chunks((line.split() for line in lines * times), per_chunk=50), 3)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] <= 1.1 * peaks[0], peaks  # 1.03x now; 1.23x before


def test_min_count_maps_rare_words_to_unk_and_unk_in_input_is_unk() -> None:
    counts = count_ngrams([["a", "a", "b"], ["<unk>", "a"]], 2, min_count=2)
    assert counts.vocab.itos == ["<pad>", "<unk>", "<s>", "</s>", "a"]
    got = _as_counter(counts)
    assert got[1][("<unk>",)] == 2
    assert got[2][("<s>", "<unk>")] == 1


def test_literal_sentence_markers_are_skipped() -> None:
    counts = count_ngrams([["<s>", "a", "</s>"]], 2)
    assert counts.skipped_markers == 2
    assert _as_counter(counts)[2] == Counter({("<s>", "a"): 1, ("a", "</s>"): 1})


@pytest.mark.parametrize("order", [0, 10])
def test_order_out_of_range(order: int) -> None:
    with pytest.raises(OptionError, match="--order: must be between 1 and 9"):
        count_ngrams([["a"]], order)


def test_empty_corpus() -> None:
    with pytest.raises(InputError, match="no tokens"):
        count_ngrams([], 3)


def test_keys_are_sorted_and_unique() -> None:
    counts = count_ngrams([list("abracadabra"), list("cadabra")], 5)
    for k in counts.keys[1:]:
        assert np.all(np.diff(k) > 0)


def test_small_chunks_give_the_same_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from wordseq.ngram.smoothing import estimate

    sentences = [line.split() for line in CORPUS.read_text(encoding="utf-8").splitlines()[:20]]
    whole, _ = estimate(count_ngrams(sentences, 4), "modified-kneser-ney", discount_fallback=True)
    monkeypatch.setattr(counting, "CHUNK", 61)
    chunked, _ = estimate(counting.count_chunks(sequence_chunks(sentences, per_chunk=2), 4), "modified-kneser-ney",
                          discount_fallback=True)
    for a, b in zip(whole.prob + whole.backoff + whole.keys, chunked.prob + chunked.backoff + chunked.keys):
        assert np.array_equal(a, b)


def test_vocabulary_ids_follow_counts_then_words() -> None:
    from wordseq.vocab import Vocabulary

    sentences = [["b", "a", "c", "a"], ["d", "c", "e"], ["e", "b", "zz", "y"]]
    counts = count_ngrams(sentences, 2, min_count=1)
    assert counts.vocab.itos == Vocabulary.build(sentences).itos
    assert counts.vocab.itos[4:] == ["a", "b", "c", "e", "d", "y", "zz"]
