"""The store: names, the meta.json schema, atomic replace, locks, checksums, output files."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from wordseq import store
from wordseq.errors import InputError, ModelError

ROOT = Path(__file__).resolve().parent.parent


def _save(name: str, kind: str = "ngram", content: str = "1", summary: str = "") -> Path:
    def write(folder: Path) -> None:
        (folder / "x.txt").write_text(content)

    return store.save_model(store.model_dir(name, kind), store.new_meta(kind, summary=summary), write)


def test_names_live_under_home_and_paths_are_paths(wordseq_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert store.model_dir(None, "lm") == wordseq_home / "lm" / "default"
    assert store.model_dir("mine", "ngram") == wordseq_home / "ngram" / "mine"
    assert store.model_dir("lm/mine", "lm") == wordseq_home / "lm" / "mine"
    assert store.model_dir("./here", "lm") == Path("./here")
    with pytest.raises(ModelError, match="invalid model name"):
        store.model_dir("bad name", "lm")
    with pytest.raises(ModelError, match="empty"):
        store.model_dir("", "lm")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lee5.arpa").write_text("x")
    assert store.is_path("lee5.arpa")  # an existing file here is a path, not a NAME


def test_meta_has_one_schema_and_is_checked_on_load(tmp_path: Path) -> None:
    path = _save("m", summary="toy")
    meta = store.read_meta(path)
    for key in ("kind", "format_version", "wordseq_version", "libraries", "created", "command", "preprocessing",
                "config", "corpus", "training", "payload", "complete", "summary"):
        assert key in meta
    assert meta["payload"] == {"x.txt": hashlib.sha256(b"1").hexdigest()}
    bad = dict(meta, config=[1, 2])
    (path / "meta.json").write_text(json.dumps(bad))
    with pytest.raises(ModelError, match="'config' should be an object"):
        store.read_meta(path)
    (path / "meta.json").write_text(json.dumps(dict(meta, format_version=1)))
    with pytest.raises(ModelError, match="older wordseq"):
        store.read_meta(path)
    (path / "meta.json").write_text("{not json")
    with pytest.raises(ModelError, match="damaged"):
        store.read_meta(path)


def test_a_changed_payload_file_is_refused_by_name() -> None:
    path = _save("m")
    (path / "x.txt").write_text("2")
    with pytest.raises(ModelError, match=r"x\.txt does not match the checksum"):
        store.find_model("m", "ngram")


def test_failed_save_keeps_the_old_model_and_leaves_nothing(wordseq_home: Path) -> None:
    path = _save("m", content="old")

    def crash(folder: Path) -> None:
        (folder / "x.txt").write_text("half")
        raise RuntimeError("crash mid-save")

    with pytest.raises(ModelError, match="could not write the model"):
        store.save_model(path, store.new_meta("ngram"), crash)
    assert (path / "x.txt").read_text() == "old"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock")]


def test_replace_swaps_in_one_step_and_the_marker_is_written() -> None:
    path = _save("m", content="old")
    _save("m", content="new")
    assert (path / "x.txt").read_text() == "new"
    assert (path / store.MARKER_FILE).is_file()


def test_a_model_saved_at_a_path_leaves_nothing_beside_it(tmp_path: Path) -> None:
    _save(str(tmp_path / "model"))
    _save(str(tmp_path / "model"), content="again")
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_a_second_writer_to_the_same_name_fails_at_once() -> None:
    target = store.model_dir("busy", "lm")
    with store.ModelWriter(target, "lm"):
        with pytest.raises(ModelError, match="another wordseq process .* is writing"):
            with store.ModelWriter(target, "lm"):
                pass
    with store.ModelWriter(target, "lm"):  # free again
        pass


def test_writers_refuse_folders_wordseq_did_not_make(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "important.txt").write_text("keep me")
    (project / "meta.json").write_text('{"kind": "lm"}')
    with pytest.raises(ModelError, match="not a wordseq model"):
        store.save_model(project, store.new_meta("lm"), lambda d: None)
    assert (project / "important.txt").read_text() == "keep me" and (project / "src").is_dir()
    other = _save(str(tmp_path / "n"), kind="ngram")
    with pytest.raises(ModelError, match="holds a ngram model"):
        store.save_model(other, store.new_meta("lm"), lambda d: None)


def test_remove_refuses_foreign_folders_and_empty_names(tmp_path: Path) -> None:
    folder = tmp_path / "looks-like-a-model"
    folder.mkdir()
    (folder / "meta.json").write_text('{"kind": "lm"}')
    with pytest.raises(ModelError, match="not a model directory wordseq made"):
        store.remove_model(str(folder))
    assert folder.is_dir()
    _save("default")
    with pytest.raises(ModelError, match="empty"):
        store.remove_model("")
    assert store.find_model(None, "ngram")


def test_remove_takes_damaged_models_and_names_of_one_kind() -> None:
    path = _save("m")
    (path / "meta.json").write_text("{damaged")
    store.remove_model("m")
    assert not path.exists()
    _save("both", "ngram")
    _save("both", "lm")
    with pytest.raises(ModelError, match="several kinds .*lm/both, ngram/both"):
        store.remove_model("both", ("lm", "ngram"))
    store.remove_model("lm/both")
    assert store.find_model("both", ("lm", "ngram"))[1]["kind"] == "ngram"


def test_a_remove_that_fails_halfway_leaves_no_half_model(monkeypatch: pytest.MonkeyPatch, wordseq_home: Path) -> None:
    path = _save("m")
    import shutil

    real_rmtree = shutil.rmtree

    def fail(p: object, *args: object, **kwargs: object) -> None:
        if ".rm-" not in str(p):
            return real_rmtree(p, *args, **kwargs)  # type: ignore[arg-type]
        raise OSError(13, "Permission denied", str(Path(str(p)) / "x.txt"))

    monkeypatch.setattr(shutil, "rmtree", fail)
    with pytest.raises(ModelError, match="is removed, but deleting its files stopped"):
        store.remove_model("m")
    monkeypatch.undo()
    assert not path.exists()  # the name no longer resolves to a half-deleted model
    states = [(m.name, m.state) for m in store.list_models(wordseq_home, show_all=True)]
    assert ("m", "leftover") in states or ("m", "in use") in states


def test_bare_names_held_by_several_kinds_are_ambiguous() -> None:
    _save("same", "lm")
    _save("same", "ngram")
    with pytest.raises(ModelError, match="several kinds"):
        store.find_model("same", ("lm", "ngram"))
    assert store.find_model("ngram/same", ("lm", "ngram"))[1]["kind"] == "ngram"
    assert store.find_model("same", "lm")[1]["kind"] == "lm"


def test_space_is_checked_before_the_work() -> None:
    with store.ModelWriter(store.model_dir("big", "lm"), "lm") as writer:
        with pytest.raises(ModelError, match="not enough free space"):
            writer.ensure_space(1 << 60)


def test_model_folders_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = _save(str(tmp_path / "m"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o750
    assert stat.S_IMODE((path / "x.txt").stat().st_mode) == 0o640


# -- a kill between the steps of a replace ---------------------------------------------------

_KILLED_SAVE = """
import sys
from pathlib import Path
from wordseq import store
from wordseq.store import transaction
if sys.argv[2] == "fallback":  # a filesystem without renameat2's RENAME_EXCHANGE
    def no_exchange(a, b):
        raise OSError(38, "Function not implemented")
    transaction._exchange = no_exchange
target = Path(sys.argv[1])
store.save_model(target, store.new_meta("ngram"), lambda d: (d / "x.txt").write_text("new"))
"""


@pytest.mark.parametrize("point,mode", [("commit-written", "exchange"), ("replace-exchanged", "exchange"),
                                        ("replace-aside", "fallback")])
def test_a_kill_between_the_steps_of_a_replace_leaves_a_complete_model(point: str, mode: str, wordseq_home: Path) -> None:
    path = _save("m", content="old")
    env = {**os.environ, store.transaction.FAULT_ENV: point, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(path), mode], env=env, capture_output=True)
    assert proc.returncode == -9
    # the name resolves to a complete model (the old one, or the new one once swapped in)
    found, meta = store.find_model("m", "ngram")
    assert (found / "x.txt").read_text() in ("old", "new")
    # what the killed run left is listed, and the next write to the name removes it
    assert any(m.state == "leftover" for m in store.list_models(wordseq_home, show_all=True))
    _save("m", content="third")
    assert [m.state for m in store.list_models(wordseq_home, show_all=True)] == ["complete"]
    assert (path / "x.txt").read_text() == "third"


# -- output files ---------------------------------------------------------------------------


def _write(target: str | Path, text: str = "hello\n") -> None:
    with store.output_file(target) as fh:
        fh.write(text)


def test_output_replaces_a_file_only_when_complete(tmp_path: Path) -> None:
    f = tmp_path / "out.txt"
    f.write_text("old\n")
    with pytest.raises(RuntimeError):
        with store.output_file(f) as fh:
            fh.write("half")
            raise RuntimeError("stop")
    assert f.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_output_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        _write(tmp_path / "new.txt")
        kept = tmp_path / "kept.txt"
        kept.write_text("x")
        kept.chmod(0o604)
        _write(kept)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604 and kept.read_text() == "hello\n"


def test_output_through_a_symlink_replaces_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    _write(link)
    assert link.is_symlink() and real.read_text() == "hello\n"


def test_output_keeps_hard_links_together(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    a.write_text("old")
    b = tmp_path / "b.txt"
    os.link(a, b)
    _write(a)
    assert b.read_text() == "hello\n" and os.stat(a).st_ino == os.stat(b).st_ino


def test_output_to_a_fifo_writes_into_it_and_keeps_it_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    _write(fifo)
    reader.join(5)
    assert got == [b"hello\n"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_output_to_a_symlinked_device_is_written_not_replaced(tmp_path: Path) -> None:
    # a FIFO behind a symlink stands in for /dev/null: never replaced by a regular file
    fifo = tmp_path / "dev"
    os.mkfifo(fifo)
    link = tmp_path / "null"
    link.symlink_to(fifo)
    threading.Thread(target=lambda: open(fifo, "rb").read(), daemon=True).start()
    _write(link)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and link.is_symlink()


def test_output_to_a_directory_or_a_missing_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        _write(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        _write(tmp_path / "no" / "such" / "file.txt")


def test_output_to_process_substitution_works() -> None:
    code = ("from wordseq.store import output_file; import sys\n"
            "with output_file(sys.argv[1]) as fh: fh.write('through a pipe\\n')")
    script = f"{sys.executable} -c \"{code}\" >(cat)"
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert "through a pipe" in proc.stdout


def test_large_payloads_are_hashed_once_then_trusted_until_they_change(monkeypatch: pytest.MonkeyPatch) -> None:
    from wordseq.store import meta as meta_module

    monkeypatch.setattr(meta_module, "_STAMP_BYTES", 1)  # every file counts as large
    path = _save("big", content="payload")
    hashed: list[Path] = []
    real = meta_module.sha256_file

    def counted(p: Path) -> str:
        hashed.append(p)
        return real(p)

    monkeypatch.setattr(meta_module, "sha256_file", counted)
    store.find_model("big", "ngram")
    store.find_model("big", "ngram")
    assert len(hashed) == 1  # the second load trusted the stamp
    before = (path / "x.txt").stat()
    (path / "x.txt").write_text("PAYLOAD")  # same size, mtime set back: only ctime tells
    os.utime(path / "x.txt", ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(ModelError, match="does not match the checksum"):
        store.find_model("big", "ngram")
