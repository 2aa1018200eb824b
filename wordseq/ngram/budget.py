"""Memory budgets and temporary space for n-gram training (``--memory``, ``--temp-dir``).

Dependency-free (no numpy): the CLI parses ``--memory`` through ``parse_size`` and the
config keeps the result in bytes.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from wordseq.errors import InputError, OptionError
from wordseq.sizes import human_size

DEFAULT_SHARE = 0.5  # of the memory available when training starts
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
MIN_BUDGET = 16 << 20


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable; the physical memory elsewhere)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def parse_size(text: str | int | None, option: str = "--memory") -> int | None:
    """Bytes from ``2G``, ``500M``, ``1.5GB``, ``40%`` (of available memory) or a number
    of bytes; None stays None (the default share).

    >>> parse_size("2G"), parse_size("500m"), parse_size(1 << 30)
    (2147483648, 524288000, 1073741824)
    """
    if text is None:
        return None
    if isinstance(text, int):
        size = text
    else:
        t = text.strip()
        if t.endswith("%"):
            try:
                share = float(t[:-1])
            except ValueError:
                raise OptionError(option, f"expected a size such as 2G, 500M or 40%, got {text!r}") from None
            if not 0 < share <= 100:
                raise OptionError(option, f"a share of memory must be in (0, 100] %, got {text!r}")
            size = int(available_memory() * share / 100)
        else:
            m = _SIZE.match(t)
            if m is None:
                raise OptionError(option, f"expected a size such as 2G, 500M or 40%, got {text!r}")
            size = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if size < MIN_BUDGET:
        raise OptionError(option, f"{size:,} bytes is too little to count in; give at least {MIN_BUDGET >> 20}M")
    return size


def default_budget() -> int:
    """The counting memory when ``--memory`` is not given: half the memory available now, at least 16 MiB."""
    return max(MIN_BUDGET, int(available_memory() * DEFAULT_SHARE))


def check_space(folder: Path, needed: int, what: str) -> None:
    """Refuse at once, in one line, when ``folder``'s disk cannot hold ``needed`` bytes."""
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise InputError(f"{what} needs about {human_size(needed)} of temporary space in {folder}, and only "
                         f"{human_size(free)} is free: give --temp-dir on a larger disk (or a larger --memory)")


MAX_THREADS = 4  # past that, partitions (the budget split between threads) get too small


@dataclass(frozen=True)
class Resources:
    """Where and within what n-gram counting runs (not stored with the model).

    Parameters
    ----------
    memory
        Bytes counting and estimation may use (``parse_size``); None: half of the
        memory available at the start. A corpus whose counts would not fit is counted
        in partitions spilled to ``temp_dir``; the model is the same either way.
    temp_dir
        Folder for the temporary files (default: the system's temporary folder).
    cluster
        A Dask scheduler address (``tcp://host:8786``) or ``local:N`` (N worker
        processes started here); None counts in this process.
    partition_rows
        Rows (n-gram starts) per partition; None: derived from ``memory``.
    threads
        Partitions counted and estimated at once in this process (they share
        ``memory``); None: the CPUs this process may use, at most 4.
    """

    memory: int | str | None = None
    temp_dir: str | None = None
    cluster: str | None = None
    partition_rows: int | None = None
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.memory is not None:
            object.__setattr__(self, "memory", parse_size(self.memory))
        if self.temp_dir is not None and not Path(self.temp_dir).is_dir():
            raise OptionError("--temp-dir", f"{self.temp_dir} is not a folder")
        if self.cluster is not None:
            check_cluster_address(self.cluster)
        if self.threads is not None and self.threads < 1:
            raise OptionError("threads", f"must be at least 1, got {self.threads}")
        if self.partition_rows is not None and self.partition_rows < 1:
            raise OptionError("partition_rows", f"must be at least 1, got {self.partition_rows}")

    @property
    def budget(self) -> int:
        return int(self.memory) if self.memory is not None else default_budget()

    @property
    def workers(self) -> int:
        """Threads for counting in partitions."""
        return self.threads or max(1, min(MAX_THREADS, len(os.sched_getaffinity(0))))


def check_cluster_address(address: str) -> None:
    """``local:N`` or a scheduler address ``tcp://HOST:PORT``."""
    if address.startswith("local:"):
        n = address[len("local:"):]
        if not n.isdigit() or not 1 <= int(n) <= 256:
            raise OptionError("--cluster", f"local:N needs N worker processes, 1 to 256; got {address!r}")
        return
    if not re.match(r"^(tcp|tls|inproc|ucx)://[^\s/]+(:\d+)?/?$", address):
        raise OptionError("--cluster", f"expected a Dask scheduler address such as tcp://host:8786, or local:N; got {address!r}")
