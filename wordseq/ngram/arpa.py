"""ARPA back-off files: write wordseq's tables, read KenLM / SRILM / wordseq files.

Values are log10; ``-99`` stands for log10(0) both ways (KenLM writes ``<s>`` so).
Probabilities are printed with 7 significant digits, as KenLM does; reading a file and
writing it again gives the same text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TextIO

import numpy as np

from wordseq.errors import InputError
from wordseq.ngram.tables import NgramTables
from wordseq.text.reader import CorpusReader
from wordseq.vocab import BOS, EOS, SPECIALS, UNK, Vocabulary

LOG_ZERO = -99.0
MISSING_UNK_LOG10 = -100.0  # KenLM's stand-in when a file has no <unk>
_COUNT = re.compile(r"^ngram\s+(\d+)\s*=\s*(\d+)$")
_SECTION = re.compile(r"^\\(\d+)-grams:$")


def _fmt(values: np.ndarray) -> np.ndarray:
    out = np.array([f"{x:.7g}" for x in np.maximum(values, LOG_ZERO).tolist()], dtype=object)
    return out


def arpa_lines(tables: NgramTables) -> Iterator[str]:
    """The ARPA text of the tables, in chunks of lines (each ending with a newline)."""
    V = tables.vocab_size
    words = np.array(tables.vocab.itos, dtype=object)
    yield "\\data\\\n"
    for n, size in enumerate(tables.sizes(), 1):
        yield f"ngram {n}={size}\n"
    names = words
    for n in range(1, tables.order + 1):
        yield f"\n\\{n}-grams:\n"
        if n == 1:
            keep = np.arange(1, V)  # every word but <pad>
            names = words
        else:
            keys = tables.keys[n - 1]
            names = names[keys // V] + " " + words[keys % V]
            keep = np.arange(len(keys))
        prob = _fmt(tables.prob[n - 1][keep])
        line = prob + "\t" + names[keep]
        if n < tables.order:
            bo = tables.backoff[n - 1][keep]
            has = bo != 0
            line[has] = line[has] + "\t" + _fmt(bo[has])
        step = 1 << 16
        for a in range(0, len(line), step):
            yield "\n".join(line[a : a + step].tolist()) + "\n"
    yield "\n\\end\\\n"


def write_arpa(tables: NgramTables, out: TextIO) -> None:
    for chunk in arpa_lines(tables):
        out.write(chunk)


def _float(text: str, what: str, where: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise InputError(f"{where}: {what} {text!r} is not a number") from None
    if x != x:
        raise InputError(f"{where}: {what} is NaN")
    return -np.inf if x <= LOG_ZERO else x


def read_arpa(path: str) -> NgramTables:
    """Parse an ARPA file (plain or compressed) into backoff tables."""
    lines = enumerate(CorpusReader([str(path)]), 1)
    return _parse(lines, str(path))


def _next_content(lines: Iterator[tuple[int, str]], path: str) -> tuple[int, str]:
    for lineno, line in lines:
        s = line.strip()
        if s:
            return lineno, s
    raise InputError(f"{path}: unexpected end of file: an ARPA file ends with \\end\\")


def _parse(lines: Iterator[tuple[int, str]], path: str) -> NgramTables:
    last = 0
    for lineno, line in lines:
        last = lineno
        if line.strip() == "\\data\\":
            break
    else:
        raise InputError(f"{path}: not an ARPA file: no \\data\\ line in {last} line(s)")
    sizes: list[int] = []
    lineno, line = _next_content(lines, path)
    while (m := _COUNT.match(line)) is not None:
        n, size = int(m.group(1)), int(m.group(2))
        if n != len(sizes) + 1:
            raise InputError(f"{path}: line {lineno}: expected 'ngram {len(sizes) + 1}=COUNT', got {line!r}")
        sizes.append(size)
        lineno, line = _next_content(lines, path)
    if not sizes:
        raise InputError(f"{path}: line {lineno}: expected 'ngram 1=COUNT' after \\data\\, got {line!r}")
    order = len(sizes)
    if order > 9:
        raise InputError(f"{path}: order {order} is more than wordseq's maximum of 9")

    tables: NgramTables | None = None
    for n in range(1, order + 1):
        m = _SECTION.match(line)
        if m is None or int(m.group(1)) != n:
            raise InputError(f"{path}: line {lineno}: expected '\\{n}-grams:', got {line!r}")
        rows: list[list[str]] = []
        linenos: list[int] = []
        for _ in range(sizes[n - 1]):
            lineno, line = _next_content(lines, path)
            fields = line.split()
            if len(fields) not in (n + 1, n + 2) or line.startswith("\\"):
                raise InputError(
                    f"{path}: line {lineno}: a {n}-gram line is 'log10prob w1 .. w{n} [backoff]'; got {line!r} "
                    f"(the header said {sizes[n - 1]} {n}-grams)"
                )
            rows.append(fields)
            linenos.append(lineno)
        if n == 1:
            tables = _unigrams(rows, linenos, order, path)
        else:
            assert tables is not None
            _add_order(tables, n, rows, linenos, path)
        lineno, line = _next_content(lines, path)
    if line != "\\end\\":
        raise InputError(f"{path}: line {lineno}: expected \\end\\ after the {order}-grams, got {line!r}")
    assert tables is not None
    return tables


def _values(rows: list[list[str]], linenos: list[int], n: int, path: str) -> tuple[np.ndarray, np.ndarray]:
    prob = np.empty(len(rows))
    bo = np.zeros(len(rows))
    for i, (fields, ln) in enumerate(zip(rows, linenos)):
        where = f"{path}: line {ln}"
        prob[i] = _float(fields[0], "log10 probability", where)
        if prob[i] > 0:
            raise InputError(f"{where}: log10 probability {fields[0]} is above 0")
        if len(fields) == n + 2:
            bo[i] = _float(fields[-1], "backoff weight", where)
    return prob, bo


def _unigrams(rows: list[list[str]], linenos: list[int], order: int, path: str) -> NgramTables:
    words = [f[1] for f in rows]
    seen: dict[str, int] = {}
    for w, ln in zip(words, linenos):
        if w in seen:
            raise InputError(f"{path}: line {ln}: unigram {w!r} listed twice (first on line {seen[w]})")
        seen[w] = ln
    vocab = Vocabulary(list(SPECIALS) + [w for w in words if w not in SPECIALS], [0] * (len(SPECIALS) + sum(w not in SPECIALS for w in words)))
    prob_rows, bo_rows = _values(rows, linenos, 1, path)
    ids = np.array([vocab.stoi[w] for w in words], dtype=np.int64)
    prob = np.full(len(vocab), -np.inf)
    bo = np.zeros(len(vocab))
    prob[ids] = prob_rows
    bo[ids] = bo_rows
    if UNK not in seen:
        prob[vocab.unk_id] = MISSING_UNK_LOG10
    if EOS not in seen:
        raise InputError(f"{path}: the unigrams have no {EOS}; is this an ARPA language model?")
    prob[vocab.bos_id] = -np.inf
    if BOS not in seen:
        bo[vocab.bos_id] = 0.0
    empty = np.zeros(0, dtype=np.int64)
    return NgramTables(vocab, order, [prob], [bo], [empty])


def _add_order(tables: NgramTables, n: int, rows: list[list[str]], linenos: list[int], path: str) -> None:
    stoi = tables.vocab.stoi
    V = tables.vocab_size
    ids = np.empty((len(rows), n), dtype=np.int64)
    for i, (fields, ln) in enumerate(zip(rows, linenos)):
        try:
            ids[i] = [stoi[w] for w in fields[1 : n + 1]]
        except KeyError as exc:
            raise InputError(f"{path}: line {ln}: word {exc.args[0]!r} is not among the unigrams") from None
    prob, bo = _values(rows, linenos, n, path)
    tables.keys.append(np.zeros(0, dtype=np.int64))  # lookups below use orders < n only
    context = tables.index_of(ids[:, :-1]) if len(ids) else np.zeros(0, dtype=np.int64)
    missing = np.flatnonzero(context < 0)
    if len(missing):
        i = int(missing[0])
        raise InputError(
            f"{path}: line {linenos[i]}: the context '{' '.join(rows[i][1:n])}' of this {n}-gram "
            f"is not listed among the {n - 1}-grams"
        )
    keys = context * V + ids[:, -1]
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    dup = np.flatnonzero(keys[1:] == keys[:-1])
    if len(dup):
        i = int(order[dup[0] + 1])
        raise InputError(f"{path}: line {linenos[i]}: {n}-gram '{' '.join(rows[i][1:])}' is listed twice")
    tables.keys[n - 1] = keys
    tables.prob.append(prob[order])
    tables.backoff.append(bo[order])


def tables_from_arpa_text(text: Iterable[str], name: str = "<arpa>") -> NgramTables:
    """Parse ARPA text given as lines (tests, stdin)."""
    return _parse(enumerate((l.rstrip("\n") for l in text), 1), name)
