"""word2vec text and binary formats, as written by the original tool, gensim and fastText.

Text: a header ``<count> <dim>`` then ``word v1 v2 ...`` per line (fastText's .vec is the
same; GloVe files lack the header). Binary: the same header, then per word the UTF-8 word,
a space, ``dim`` little-endian float32 values and a newline (word2vec.c writes the
newline, gensim's reader skips it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from wordseq.embeddings.vectors import WordVectors
from wordseq.errors import InputError, ModelError

FORMATS = ("word2vec-text", "word2vec-bin")
_ROWS_PER_WRITE = 4096


def export_word2vec(vectors: WordVectors, out: Path, fmt: str = "word2vec-text") -> None:
    from wordseq.store import atomic_file

    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose {' or '.join(FORMATS)}")
    bad = next((w for w in vectors.words if not w or any(c.isspace() for c in w)), None)
    if bad is not None:
        raise ModelError(f"the word {bad!r} contains whitespace; the word2vec format cannot hold it")
    n, dim = len(vectors), vectors.dim
    with atomic_file(out, "wb") as fh:
        fh.write(f"{n} {dim}\n".encode())
        # %.9g gives back the exact float32 value when read again.
        row_format = " ".join(["%.9g"] * dim)
        for start in range(0, n, _ROWS_PER_WRITE):
            block = np.asarray(vectors.vectors[start:start + _ROWS_PER_WRITE], dtype="<f4")
            words = vectors.words[start:start + _ROWS_PER_WRITE]
            if fmt == "word2vec-bin":
                fh.write(b"".join(w.encode("utf-8") + b" " + row.tobytes() + b"\n" for w, row in zip(words, block)))
            else:
                lines = [f"{w} {row_format % tuple(row.tolist())}\n" for w, row in zip(words, block)]
                fh.write("".join(lines).encode("utf-8"))


def detect_format(path: Path) -> tuple[str, bool]:
    """(format, has_header): binary or text, and whether the file has a count line
    (GloVe's text files do not)."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 16)
            second = fh.readline(1 << 20)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if not first.strip():
        raise InputError(f"{path}: empty file, expected word2vec vectors")
    head = first.split()
    has_header = len(head) == 2 and all(f.isdigit() for f in head)
    if not has_header:
        return "word2vec-text", False
    # A text line decodes as UTF-8 and holds no control characters; packed float32
    # values almost never do both.
    try:
        text = second.decode("utf-8")
    except UnicodeDecodeError:
        return "word2vec-bin", True
    if all(c.isprintable() or c.isspace() for c in text):
        return "word2vec-text", True
    return "word2vec-bin", True


def import_word2vec(path: Path, fmt: str = "auto") -> Any:
    """Read word2vec-format vectors into gensim KeyedVectors, with errors a user can act on."""
    from gensim.models import KeyedVectors

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    detected, has_header = detect_format(path)
    fmt = detected if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose auto, {' or '.join(FORMATS)}")
    binary = fmt == "word2vec-bin"
    if binary and not has_header:
        raise InputError(f"{path}: a binary word2vec file starts with a '<count> <dim>' line; this one does not")
    try:
        kv = KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=not has_header)
    except Exception as exc:  # gensim raises ValueError, EOFError, UnicodeDecodeError... on bad files
        raise InputError(f"{path}: not a valid {fmt} file ({type(exc).__name__}: {exc})") from None
    if len(kv) == 0 or kv.vector_size == 0:
        raise InputError(f"{path}: holds no vectors (expected lines 'word v1 v2 ...')")
    if not np.all(np.isfinite(kv.vectors)):
        raise InputError(f"{path}: some values are not finite numbers (nan or inf); the file is damaged")
    return kv
