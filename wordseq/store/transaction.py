"""Writing and removing models so that a name always resolves to a complete model.

A writer takes the name's lock before any work starts (a second writer to the same name
fails at once with a clear line), checks that the place is writable, and only at the end
swaps the finished directory with the old one in one step (``renameat2`` with
``RENAME_EXCHANGE``; where a filesystem lacks it, a rename aside that the next writer or
reader undoes if the process died in between). Checkpoints of a long run go to a hidden
``.NAME.partial`` directory, so a killed retraining never replaces a finished model.
Temporary directories carry the writer's process id; the next writer to the same name
removes those of processes that no longer run.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from wordseq.errors import ModelError
from wordseq.sizes import human_size
from wordseq.store.meta import payload_digests, read_meta, write_meta, write_tokenizers
from wordseq.store.output import current_umask, leftover_pid, pid_alive, remove_stale_siblings, temp_name
from wordseq.store.paths import MARKER_FILE, MARKER_TEXT, META_FILE, made_by_wordseq, model_dir, partial_dir, wordseq_home

_LEFTOVER_TAGS = ("tmp", "old", "rm")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
# Set by tests to kill the process between two steps of a replace (see fault()).
FAULT_ENV = "WORDSEQ_TEST_FAULT"


def fault(point: str) -> None:
    """Die here, as a SIGKILL would, when a test asks for it."""
    if os.environ.get(FAULT_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def _exchange(a: Path, b: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def replace_dir(new: Path, target: Path) -> None:
    """Put the finished directory ``new`` at ``target`` in one step; the old one is deleted."""
    if not target.exists():
        os.rename(new, target)
        return
    try:
        _exchange(new, target)
    except OSError as exc:
        if exc.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):
            raise
        aside = temp_name(target, "old")
        os.rename(target, aside)
        fault("replace-aside")
        os.rename(new, target)
        shutil.rmtree(aside, ignore_errors=True)
        return
    fault("replace-exchanged")
    shutil.rmtree(new, ignore_errors=True)


def recover(target: Path) -> None:
    """Undo a replace that died between its two renames (the fallback path only)."""
    if target.exists():
        return
    prefix = f".{target.name}.old-"
    try:
        asides = [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return
    for aside in asides:
        pid = leftover_pid(aside.name)
        if pid is not None and not pid_alive(pid) and (aside / META_FILE).exists():
            try:
                os.rename(aside, target)
            except OSError:
                continue
            return


def make_model_folder(path: Path) -> None:
    """A new directory with the permissions a plain ``mkdir`` would give it."""
    os.mkdir(path)
    os.chmod(path, 0o777 & ~current_umask())


class NameLock:
    """An exclusive lock on a model's place, released when the process ends however it
    ends. Lock files live in ``$WORDSEQ_HOME/.locks`` (named by the place's absolute
    path), so no file is left beside a model saved at a PATH."""

    def __init__(self, target: Path) -> None:
        key = hashlib.sha256(os.fsencode(os.path.realpath(target))).hexdigest()[:32]
        self.path = wordseq_home() / ".locks" / f"{key}.lock"
        self.target = target
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            # $WORDSEQ_HOME cannot be written: lock beside the target instead
            self.path = self.target.with_name(f".{self.target.name}.lock")
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as exc:
                raise ModelError(f"cannot write in {self.path.parent}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            raise ModelError(
                f"another wordseq process{who} is writing the model at {self.target}; "
                "wait for it to finish or choose another name"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def check_replaceable(target: Path, kind: str) -> None:
    """Refuse to replace anything but an empty folder or a wordseq model of this kind."""
    if target.is_symlink():
        raise ModelError(f"{target} is a symbolic link; give the directory itself")
    if not target.exists():
        return
    if not target.is_dir():
        raise ModelError(f"{target} is a file, not a model directory; choose another output")
    if not any(target.iterdir()):
        return
    if not made_by_wordseq(target):
        raise ModelError(
            f"{target} exists and is not a wordseq model (it holds no {MARKER_FILE}); "
            "refusing to replace it: choose another output or remove it yourself"
        )
    try:
        old_kind = read_meta(target)["kind"]
    except ModelError:
        return  # a damaged model of ours may be replaced
    if old_kind != kind:
        raise ModelError(
            f"{target} holds a {old_kind} model; remove it first ('wordseq models rm {target}') "
            "or choose another output"
        )


class ModelWriter:
    """Write one model to ``target`` (see the module docstring).

    Use as a context manager around the whole run::

        with ModelWriter(target, "lm") as writer:
            ...                      # training; writer.scratch is a folder for temp files
            writer.commit(meta, write_payload)
    """

    def __init__(self, target: Path, kind: str) -> None:
        self.target = Path(target)
        self.kind = kind
        self.scratch = Path()
        self._lock = NameLock(self.target)

    def __enter__(self) -> ModelWriter:
        parent = self.target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ModelError(f"cannot create {parent}: {exc.strerror}") from None
        self._lock.acquire()
        try:
            recover(self.target)
            check_replaceable(self.target, self.kind)
            for tag in _LEFTOVER_TAGS:
                remove_stale_siblings(self.target, tag)
            self.scratch = self._new_folder()
            _probe_writable(self.scratch)
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
        self._lock.release()

    def _new_folder(self) -> Path:
        folder = temp_name(self.target)
        try:
            make_model_folder(folder)
        except OSError as exc:
            raise ModelError(f"cannot write in {folder.parent}: {exc.strerror}") from None
        return folder

    def ensure_space(self, nbytes: int) -> None:
        """Fail now, before the work, if the disk cannot hold about ``nbytes`` more."""
        free = shutil.disk_usage(self.scratch).free
        if free < nbytes * 1.1 + (1 << 20):
            raise ModelError(
                f"not enough free space in {self.target.parent}: {human_size(free)} free, the model needs about "
                f"{human_size(nbytes)}; free some space or choose another output"
            )

    def _write(self, meta: dict[str, Any], write_payload: Callable[[Path], None]) -> Path:
        folder = self._new_folder()
        try:
            write_payload(folder)
            write_tokenizers(meta, folder)
            meta = {**meta, "payload": payload_digests(folder)}
            write_meta(folder, meta)
            (folder / MARKER_FILE).write_text(MARKER_TEXT, encoding="utf-8")
            _fsync_tree(folder)
        except BaseException as exc:
            shutil.rmtree(folder, ignore_errors=True)
            if isinstance(exc, (OSError, RuntimeError)) and not isinstance(exc, ModelError):
                raise _write_error(self.target, exc) from None
            raise
        return folder

    def commit(self, meta: dict[str, Any], write_payload: Callable[[Path], None], keep_partial: bool = False) -> Path:
        """Write the model and put it in place of any old one in one step (``keep_partial``:
        an unfinished run's checkpoint stays, as when a model is only rewritten)."""
        folder = self._write(meta, write_payload)
        fault("commit-written")
        replace_dir(folder, self.target)
        if not keep_partial:
            shutil.rmtree(partial_dir(self.target), ignore_errors=True)
        return self.target

    def save_partial(self, meta: dict[str, Any], write_payload: Callable[[Path], None]) -> Path:
        """Keep a checkpoint of an unfinished run beside the model, never in its place."""
        folder = self._write({**meta, "complete": False}, write_payload)
        replace_dir(folder, partial_dir(self.target))
        fault("partial-saved")
        return partial_dir(self.target)


@contextmanager
def writing(output: str | Path | None, kind: str) -> Iterator[ModelWriter | None]:
    """A ``ModelWriter`` for the model NAME or PATH ``output``, or None when ``output`` is
    None (the Python API's "keep it in memory")."""
    if output is None:
        yield None
        return
    with ModelWriter(model_dir(output, kind), kind) as writer:
        yield writer


def save_model(target: Path, meta: dict[str, Any], write_payload: Callable[[Path], None]) -> Path:
    """Write a model in one go (lock, checks, payload, atomic replace)."""
    with ModelWriter(Path(target), meta["kind"]) as writer:
        return writer.commit(meta, write_payload)


def remove_dir(path: Path) -> None:
    """Remove a model directory in one step: renamed away first, then deleted."""
    lock = NameLock(path)
    lock.acquire()
    try:
        aside = temp_name(path, "rm")
        os.rename(path, aside)
        shutil.rmtree(partial_dir(path), ignore_errors=True)
        try:
            shutil.rmtree(aside)
        except OSError as exc:
            raise ModelError(
                f"{path} is removed, but deleting its files stopped at {exc.filename}: {exc.strerror} "
                f"(they are in {aside.name}; 'wordseq models list --all' shows them)"
            ) from None
    finally:
        lock.release()


def _probe_writable(folder: Path) -> None:
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"x" * 4096)
        probe.unlink()
    except OSError as exc:
        raise ModelError(f"cannot write in {folder.parent}: {exc.strerror}") from None


def _fsync_tree(folder: Path) -> None:
    for path in [*folder.iterdir(), folder]:  # the files, then the folder's entries
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_error(target: Path, exc: BaseException) -> ModelError:
    code = getattr(exc, "errno", None)
    free = shutil.disk_usage(target.parent).free if target.parent.exists() else 0
    if code in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) or "unexpected pos" in str(exc) or free < (1 << 20):
        reason = "the disk is full (or a file-size limit was reached)"
    else:
        reason = getattr(exc, "strerror", None) or str(exc).strip().splitlines()[0]
    kept = "the previous model is kept" if target.exists() else "nothing was saved"
    return ModelError(f"could not write the model to {target}: {reason}; {kept}")
