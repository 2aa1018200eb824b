from __future__ import annotations

from pathlib import Path

import pytest

from wordseq import store
from wordseq.errors import ModelError


def test_names_live_under_home_and_paths_are_paths(wordseq_home: Path) -> None:
    assert store.model_dir(None, "lm") == wordseq_home / "lm" / "default"
    assert store.model_dir("mine", "ngram") == wordseq_home / "ngram" / "mine"
    assert store.model_dir("./here", "lm") == Path("./here")
    with pytest.raises(ModelError, match="invalid model name"):
        store.model_dir("bad name", "lm")


def test_save_is_atomic_and_keeps_the_old_model_on_failure(wordseq_home: Path) -> None:
    target = store.model_dir("m", "embeddings")
    store.save_model(target, store.new_meta("embeddings", summary="first"), lambda d: (d / "x").write_text("1"))
    with pytest.raises(RuntimeError):
        with store.atomic_model_dir(target) as tmp:
            (tmp / "x").write_text("half")
            raise RuntimeError("crash mid-save")
    assert (target / "x").read_text() == "1"
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]


def test_find_list_and_remove(wordseq_home: Path) -> None:
    for kind in ("lm", "ngram"):
        store.save_model(store.model_dir("default", kind), store.new_meta(kind), lambda d: None)
    path, meta = store.find_model(None, ("lm", "ngram"))
    assert meta["kind"] == "lm"
    assert [(m.kind, m.name) for m in store.list_models()] == [("ngram", "default"), ("lm", "default")]
    with pytest.raises(ModelError, match="no embeddings model named 'default'"):
        store.find_model(None, "embeddings")
    store.remove_model(str(path))
    assert store.find_model(None, ("lm", "ngram"))[1]["kind"] == "ngram"


def test_damaged_meta_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "meta.json").write_text("{not json")
    with pytest.raises(ModelError, match="damaged"):
        store.read_meta(tmp_path)
