"""``wordseq models upgrade``: a model of an older wordseq rewritten as safetensors.

Each ``.pt`` payload (``store.legacy``: read without running code) is written again as a
safetensors file (``store.tensors``), the other files copied, through the store's
transaction: the old model stays in place until the new one is complete and reads back.
An unfinished run's checkpoint beside the model is rewritten the same way.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

from wordseq.errors import ModelError, WordseqWarning
from wordseq.store.legacy import LEGACY_SUFFIX, legacy_files, read_legacy_payload
from wordseq.store.meta import read_meta, verify_payload
from wordseq.store.paths import MARKER_FILE, META_FILE, partial_dir
from wordseq.store.tensors import SUFFIX, read_tensors, write_tensors
from wordseq.store.transaction import ModelWriter


def _converted_copy(source: Path, names: list[str]) -> Any:
    """A payload writer: ``source``'s files into a new folder, each ``.pt`` as safetensors
    (read back and compared before the old model is replaced)."""

    def write(folder: Path) -> None:
        for name in names:
            if name.endswith(LEGACY_SUFFIX):
                new = folder / (name[: -len(LEGACY_SUFFIX)] + SUFFIX)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", WordseqWarning)
                    data = read_legacy_payload(source / name)
                try:
                    write_tensors(new, data)
                except TypeError as exc:
                    raise ModelError(f"{source / name} cannot be rewritten: {exc}") from None
                read_tensors(new)  # what was written reads back
            else:
                shutil.copy2(source / name, folder / name)

    return write


def upgrade_model(path: Path, kind: str) -> list[str]:
    """Rewrite the ``.pt`` files of the model at ``path`` (and of its unfinished run's
    checkpoint) as safetensors; the names of the files rewritten (empty: nothing to do)."""
    path = Path(path)
    meta = read_meta(path)
    verify_payload(path, meta)
    partial = partial_dir(path)
    old = legacy_files(path)
    old_partial = legacy_files(partial) if (partial / META_FILE).is_file() else []
    if not old and not old_partial:
        return []
    with ModelWriter(path, kind) as writer:
        if old_partial:
            partial_meta = read_meta(partial)
            verify_payload(partial, partial_meta)
            writer.save_partial(partial_meta, _converted_copy(partial, _payload_names(partial, partial_meta)))
        if old:
            writer.commit(meta, _converted_copy(path, _payload_names(path, meta)), keep_partial=True)
    return old + [f"{partial.name}/{n}" for n in old_partial]


def _payload_names(folder: Path, meta: dict[str, Any]) -> list[str]:
    names = list(meta["payload"])
    if any(n in (META_FILE, MARKER_FILE) for n in names):
        raise ModelError(f"{folder / META_FILE}: the payload list is damaged")
    return names
