"""The one helper that writes every output file wordseq produces.

A file is written to a temporary sibling and put in place only when complete, so a failed
or interrupted run never leaves half a file where a good one was. What is *not* a plain
file is written directly, never replaced: ``-`` is stdout, and a device (``/dev/null``), a
FIFO or a ``/dev/fd/N`` pipe keeps being what it is. A symlink keeps pointing where it
did: its target is replaced. A file with several hard links is rewritten in place once the
new content is complete, so every link sees it. New files get ``0666 & ~umask``, replaced
files keep their mode.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from wordseq.errors import InputError

STDOUT = "-"
# Paths that name an open file of the process (process substitution, shell redirections):
# they are always written directly, whatever kind of file they lead to.
_DIRECT_PREFIXES = ("/dev/", "/proc/")


def current_umask() -> int:
    """The process umask, read without changing it where Linux allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temp_name(target: Path, tag: str = "tmp") -> Path:
    """A hidden sibling of ``target`` that names this process, so a later run can tell a
    leftover of a killed process from the work of a live one."""
    return target.with_name(f".{target.name}.{tag}-{os.getpid()}-{secrets.token_hex(4)}")


def leftover_pid(name: str) -> int | None:
    """The process id in a name made by ``temp_name``, if it is one."""
    parts = name.rsplit("-", 2)
    if len(parts) == 3 and parts[1].isdigit():
        return int(parts[1])
    return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_siblings(target: Path, tag: str = "tmp") -> None:
    """Delete temporary siblings of ``target`` left by processes that no longer run."""
    prefix = f".{target.name}.{tag}-"
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        pid = leftover_pid(entry.name)
        if pid is None or pid == os.getpid() or pid_alive(pid):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _writes_directly(path: Path) -> bool:
    text = str(path)
    if text.startswith(_DIRECT_PREFIXES):
        return True
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path} is a directory; give a file name")
    return not stat.S_ISREG(st.st_mode)


@contextmanager
def output_file(target: str | Path, binary: bool = False) -> Iterator[IO[Any]]:
    """Open ``target`` for writing; see the module docstring for what happens where.

    The file object yields ``str`` (UTF-8, ``\\n`` line ends) or, with ``binary``,
    ``bytes``. On an exception the temporary file is removed and the target is unchanged.
    """
    if str(target) == STDOUT:
        stream: Any = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    path = Path(target)
    if _writes_directly(path):
        with _open(path, binary) as fh:
            yield fh
        return
    real = Path(os.path.realpath(path)) if path.is_symlink() else path
    if _writes_directly(real):  # a symlink to a device or FIFO
        with _open(real, binary) as fh:
            yield fh
        return
    try:
        old = os.stat(real)
    except FileNotFoundError:
        old = None
    if not real.parent.is_dir():
        raise InputError(f"{target}: the folder {real.parent} does not exist")
    remove_stale_siblings(real)
    tmp = temp_name(real)
    mode = stat.S_IMODE(old.st_mode) if old else 0o666
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise InputError(f"{target}: cannot write in {real.parent}: {exc.strerror}") from None
    try:
        if old:
            os.fchmod(fd, mode)  # the umask applied at creation; a replaced file keeps its mode
        with _fdopen(fd, binary) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if old and old.st_nlink > 1:
            _rewrite_in_place(tmp, real)
        else:
            os.replace(tmp, real)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _open(path: Path, binary: bool) -> IO[Any]:
    try:
        if binary:
            return open(path, "wb")
        return open(path, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror}") from None


def _fdopen(fd: int, binary: bool) -> IO[Any]:
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n")


def _rewrite_in_place(done: Path, target: Path) -> None:
    """Copy a finished file over a hard-linked target, so every link sees the new content."""
    with open(done, "rb") as src, open(target, "r+b") as dst:
        dst.truncate(0)
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    done.unlink()
