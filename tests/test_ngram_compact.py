"""The compact form of n-gram tables: split keys score exactly as int64 keys, 8-bit
values stay close, the CLI's --compact / --quantize / ngram compact, and models saved
before the compact form keep loading."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import invoke
from wordseq.ngram.compact import compact_tables, table_format
from wordseq.ngram.model import NgramModel
from wordseq.ngram.packed import SplitKeys, quantize
from wordseq.ngram.storage import load_arpa_file, load_ngram_lm
from wordseq.ngram.tables import find_keys

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "data" / "kenlm"
OLD_MODEL = HERE / "data" / "ngram_v020_trains3"  # saved by wordseq 0.2.0, before the compact form
DATA = HERE.parent / "data"


def compacted(model: NgramModel, bits: int | None = None) -> NgramModel:
    return NgramModel(compact_tables(model.tables, bits), model.preprocess, model.smoothing, model.config)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 5 << 32), min_size=1, max_size=60, unique=True),
       st.lists(st.integers(0, 7 << 32), max_size=80))
def test_split_keys_find_what_int64_keys_find(keys: list[int], queries: list[int]) -> None:
    table = np.array(sorted(keys), dtype=np.int64)
    split = SplitKeys.of(table)
    q = np.array(queries + keys[:5], dtype=np.int64)
    assert find_keys(split, q).tolist() == find_keys(table, q).tolist()
    assert split[np.arange(len(table))].tolist() == table.tolist() and np.asarray(split).tolist() == table.tolist()
    for value in queries[:10]:
        assert split.search(value) == int(np.searchsorted(table, value))


@pytest.mark.parametrize("arpa", ["names.o5.arpa", "trains.o4.prune012.arpa", "garden.o3.arpa"])
def test_compact_tables_score_exactly_as_the_plain_ones(arpa: str) -> None:
    plain = load_arpa_file(GOLDEN / arpa)
    small = compacted(plain)
    for line in (GOLDEN / "query.txt").read_text().splitlines() + (GOLDEN / "trains.txt").read_text().splitlines():
        assert list(small.full_scores(line.split())) == list(plain.full_scores(line.split()))
    state = plain.start(plain.vocab.encode(["the", "train"]))
    assert np.array_equal(small.next_log10(state), plain.next_log10(state))  # generation's continuations


def test_quantized_values_keep_zeros_and_stay_within_their_bin() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([-rng.gamma(2.0, 0.8, 5000), np.zeros(700)]).astype(np.float32)
    q = quantize(values, keep_zero=True)
    back = np.asarray(q)
    assert len(q.bins) <= 256 and q.codes.dtype == np.uint8
    assert np.all(back[values == 0] == 0) and np.all(back[values != 0] < 0)
    assert np.max(np.abs(back - values)) < 0.1
    for code in np.unique(q.codes[values != 0]):  # a bin's value is its values' mean: no bias
        members = values[q.codes == code]
        assert q.bins[code] == pytest.approx(float(members.mean()), abs=1e-5)


def test_quantized_lee_model_keeps_its_perplexity_within_half_a_percent() -> None:
    from wordseq.ngram import train_ngram

    model = train_ngram(DATA / "lee_background.txt", order=3)
    test = DATA / "lee_test.txt"
    plain = model.evaluate(test)[0].perplexity
    assert compacted(model, 8).evaluate(test)[0].perplexity == pytest.approx(plain, rel=5e-3)
    assert compacted(model).evaluate(test)[0].perplexity == plain


def _bytes_per_ngram(folder: Path) -> float:
    """Bytes of the arrays per n-gram, less what does not grow with the model (the .npy
    headers, the 256 bins of each order)."""
    meta = json.loads((folder / "meta.json").read_text())
    data = sum(np.load(f, mmap_mode="r").nbytes for f in folder.glob("*.npy") if not f.name.endswith(".bins.npy"))
    return data / sum(meta["tables"]["model"]["sizes"])


def test_ngram_compact_stores_a_smaller_model_that_scores_the_same(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    invoke(runner, ["ngram", "import", str(GOLDEN / "names.o5.arpa"), "-o", str(tmp_path / "plain"), "--pretokenized"])
    for extra in ([], ["--quantize", "8"]):
        out = tmp_path / f"small{len(extra)}"
        result = invoke(runner, ["ngram", "compact", str(tmp_path / "plain"), "-o", str(out), *extra])
        assert result.exit_code == 0 and "bytes per n-gram" in result.stderr, result.output
        meta = json.loads((out / "meta.json").read_text())
        assert meta["tables"]["model"]["format"] == "compact"
        assert meta["tables"]["model"]["quantize"] == (8 if extra else None)
        assert not list(out.glob("keys*[0-9].npy")) and _bytes_per_ngram(out) < _bytes_per_ngram(tmp_path / "plain")
    text = str(GOLDEN / "names.txt")
    plain, small, q8 = (json.loads(invoke(runner, ["ngram", "eval", text, "-m", str(tmp_path / m), "--json"]).stdout)
                        for m in ("plain", "small0", "small2"))
    assert small["perplexity"] == plain["perplexity"]
    assert q8["perplexity"] == pytest.approx(plain["perplexity"], rel=0.05)


def test_train_and_import_take_compact_and_quantize(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    invoke(runner, ["ngram", "train", str(GOLDEN / "trains.txt"), "--order", "3", "--quantize", "8", "-o", str(tmp_path / "t")])
    invoke(runner, ["ngram", "import", str(GOLDEN / "trains.o4.arpa"), "--compact", "-o", str(tmp_path / "i")])
    trained, imported = load_ngram_lm(tmp_path / "t"), load_ngram_lm(tmp_path / "i")
    assert table_format(trained.tables) == {"format": "compact", "quantize": 8}
    assert table_format(imported.tables) == {"format": "compact", "quantize": None}
    assert json.loads((tmp_path / "t" / "meta.json").read_text())["tables"]["model"]["quantize"] == 8
    bad = runner.invoke(__import__("wordseq.cli", fromlist=["cli"]).cli,
                        ["ngram", "train", str(GOLDEN / "trains.txt"), "--quantize", "4", "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "--quantize: 4 is not supported" in bad.stderr


def test_a_model_saved_before_the_compact_form_keeps_loading(tmp_path: Path) -> None:
    old = load_ngram_lm(Path(shutil.copytree(OLD_MODEL, tmp_path / "old")))
    assert table_format(old.tables) == {"format": "sorted-keys"}
    arpa = load_arpa_file(GOLDEN / "trains.o4.arpa")  # same text; the old model is order 3
    assert old.order == 3 and set(old.vocab.itos) == set(arpa.vocab.itos)
    assert old.score("the train leaves the station at nine") == pytest.approx(
        compacted(old).score("the train leaves the station at nine"))


def test_an_unknown_table_format_is_refused_in_one_line(tmp_path: Path) -> None:
    from wordseq.errors import ModelError

    folder = Path(shutil.copytree(OLD_MODEL, tmp_path / "m"))
    meta = json.loads((folder / "meta.json").read_text())
    meta["tables"]["model"]["format"] = "trie-9"
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="unknown n-gram table format 'trie-9'"):
        load_ngram_lm(folder)


def test_a_mixture_is_compacted_part_by_part(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    invoke(runner, ["-q", "ngram", "mix", str(GOLDEN / "trains.o4.arpa"), str(GOLDEN / "garden.o3.arpa"),
                    "--weights", "0.5", "0.5", "-o", str(tmp_path / "mix")])
    invoke(runner, ["ngram", "compact", str(tmp_path / "mix"), "-o", str(tmp_path / "small")])
    meta = json.loads((tmp_path / "small" / "meta.json").read_text())
    assert {e["format"] for e in meta["tables"].values()} == {"compact"} and len(meta["tables"]) == 2
    mix, small = load_ngram_lm(tmp_path / "mix"), load_ngram_lm(tmp_path / "small")
    text = (GOLDEN / "trains.txt").read_text().splitlines()
    assert small.evaluate(text)[0].perplexity == mix.evaluate(text)[0].perplexity
