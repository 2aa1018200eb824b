"""ARPA back-off files: write wordseq's tables, read KenLM / SRILM / wordseq files.

Values are log10; ``-99`` stands for log10(0) both ways (KenLM writes ``<s>`` so).
Probabilities are printed with 7 significant digits, as KenLM does; reading a file and
writing it again gives the same text.

Reading is vectorised: each section is split into tokens by one ``str.split`` per block
of lines, numbers are parsed by numpy, words become ids through one ``map`` over a dict,
and contexts are found with sorted searches. Every number is checked (finite; a
probability at most 0), the header's counts against the sections, every context against
the order below; an error names the file and line. When a block does not have the
regular layout (a malformed line, or backoffs given on some lines only, as SRILM
writes), it is parsed line by line, which finds the exact line of any error.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import IO

import numpy as np

from wordseq.errors import InputError
from wordseq.ngram.tables import NgramTables, sort_with_order
from wordseq.vocab import BOS, EOS, SPECIALS, UNK, Vocabulary

LOG_ZERO = -99.0
MISSING_UNK_LOG10 = -100.0  # KenLM's stand-in when a file has no <unk>
MAX_ORDER = 9
_COUNT = re.compile(r"^ngram\s+(\d+)\s*=\s*(\d+)$")
_SECTION = re.compile(r"^\\(\d+)-grams:$")
_BLOCK_CHARS = 1 << 20  # text parsed at once inside a section (bounds the token lists)
_MAGIC = ((b"\x1f\x8b", gzip.decompress), (b"BZh", bz2.decompress), (b"\xfd7zXZ\x00", lzma.decompress))


# -- writing -------------------------------------------------------------------------------


def _fmt(values: np.ndarray) -> list[str]:
    return list(map("{:.7g}".format, np.maximum(np.asarray(values, dtype=np.float64), LOG_ZERO).tolist()))


def arpa_lines(tables: NgramTables) -> Iterator[str]:
    """The ARPA text of the tables, in chunks of lines (each ending with a newline)."""
    V = tables.vocab_size
    words = np.array(tables.vocab.itos, dtype=object)
    yield "\\data\\\n"
    for n, size in enumerate(tables.sizes(), 1):
        yield f"ngram {n}={size}\n"
    names = words
    step = 1 << 16
    for n in range(1, tables.order + 1):
        yield f"\n\\{n}-grams:\n"
        if n == 1:
            first, count = 1, V  # every word but <pad>
        else:
            keys = np.asarray(tables.keys[n - 1])
            ctx, w = np.divmod(keys, V)
            names = names[ctx] + " " + words[w]
            first, count = 0, len(keys)
        for a in range(first, count, step):
            b = min(a + step, count)
            prob = _fmt(tables.prob[n - 1][a:b])
            line = np.array(prob, dtype=object) + "\t" + names[a:b]
            if n < tables.order:
                bo = np.asarray(tables.backoff[n - 1][a:b])
                has = np.flatnonzero(bo != 0)
                line[has] = line[has] + "\t" + np.array(_fmt(bo[has]), dtype=object)
            yield "\n".join(line.tolist()) + "\n"
    yield "\n\\end\\\n"


def write_arpa(tables: NgramTables, out: IO[str]) -> None:
    """Write the tables as an ARPA file to a text stream."""
    for chunk in arpa_lines(tables):
        out.write(chunk)


# -- reading -------------------------------------------------------------------------------


def read_arpa(path: str) -> NgramTables:
    """Parse an ARPA file (plain, .gz, .bz2 or .xz, recognised by its bytes) into tables.

    Examples
    --------
    >>> tables = read_arpa("lmplz.arpa")  # doctest: +SKIP
    """
    return _Parser(_read_text(str(path)), str(path)).parse()


def tables_from_arpa_text(text: Iterable[str], name: str = "<arpa>") -> NgramTables:
    """Parse ARPA text given as lines (tests, stdin)."""
    return _Parser("\n".join(line.rstrip("\n") for line in text) + "\n", name).parse()


def _read_text(path: str) -> str:
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected an ARPA file") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    for magic, decompress in _MAGIC:
        if data.startswith(magic):
            try:
                data = decompress(data)
            except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
                raise InputError(f"{path}: damaged compressed file: {exc}") from None
            break
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputError(f"{path}: line {line}: NUL byte; this is a binary file, not an ARPA text file "
                         "(KenLM's binary models cannot be read; give the ARPA file)")
    try:
        return data.decode("utf-8-sig")  # a byte-order mark an editor put first is dropped
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{path}: line {line}: invalid UTF-8 byte 0x{data[exc.start]:02x}") from None


def _pad_backoffs(block: str, m: int, n: int) -> list[str] | None:
    """The tokens of a block whose lines omit a zero backoff (SRILM, and wordseq's own
    files), with that 0 written in, so the block parses as columns; None if the lines are
    not tab-separated 'prob<TAB>words[<TAB>backoff]' (the line-by-line parser then finds
    the fault)."""
    lines = block.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    if len(lines) != m:
        return None
    tabs = np.fromiter(map(str.count, lines, repeat("\t")), dtype=np.int64, count=m)
    if m == 0 or tabs.min() < 1 or tabs.max() > 2:
        return None
    for i in np.flatnonzero(tabs == 1).tolist():
        lines[i] += "\t0"
    tokens = "\n".join(lines).split()
    return tokens if len(tokens) == m * (n + 2) else None


@dataclass
class _Section:
    n: int
    size: int
    body_start: int  # offset of the section's first line in the text
    body_end: int
    first_line: int  # line number of the text at body_start
    count_line: int = 0  # line number of the header's 'ngram n=count'
    last: bool = False


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path

    def error(self, line: int, message: str) -> InputError:
        return InputError(f"{self.path}: line {line}: {message}")

    def line_at(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    # -- layout -----------------------------------------------------------------------------

    def _lines_from(self, offset: int) -> Iterator[tuple[int, int, str]]:
        """(offset, next offset, stripped line) of the lines from ``offset`` on."""
        text = self.text
        while offset < len(text):
            end = text.find("\n", offset)
            nxt = len(text) if end < 0 else end + 1
            yield offset, nxt, text[offset : nxt].strip()
            offset = nxt

    def parse(self) -> NgramTables:
        text = self.text
        m = re.search(r"^[ \t]*\\data\\[ \t\r]*$", text, re.MULTILINE)
        if m is None:
            raise InputError(f"{self.path}: not an ARPA file: no \\data\\ line in {text.count(chr(10)) + 1} line(s)")
        sizes: list[int] = []
        count_lines: list[int] = []
        content = None
        for start, _, line in self._lines_from(m.end() + 1):
            if not line:
                continue
            c = _COUNT.match(line)
            if c is None:
                content = (start, line)
                break
            n, size = int(c.group(1)), int(c.group(2))
            if n != len(sizes) + 1:
                raise self.error(self.line_at(start), f"expected 'ngram {len(sizes) + 1}=COUNT', got {line!r}")
            sizes.append(size)
            count_lines.append(start)
        if content is None:
            raise InputError(f"{self.path}: unexpected end of file: an ARPA file ends with \\end\\")
        if not sizes:
            raise self.error(self.line_at(content[0]), f"expected 'ngram 1=COUNT' after \\data\\, got {content[1]!r}")
        if len(sizes) > MAX_ORDER:
            raise InputError(f"{self.path}: order {len(sizes)} is more than wordseq's maximum of {MAX_ORDER}")
        sections = self._sections(content[0], sizes)
        for section, offset in zip(sections, count_lines):
            section.count_line = self.line_at(offset)
        sections[-1].last = True
        tables = self._unigrams(sections[0], len(sizes))
        for section in sections[1:]:
            self._add_order(tables, section)
        self._check_end(len(sizes))
        return tables

    def _sections(self, offset: int, sizes: list[int]) -> list[_Section]:
        text = self.text
        out = []
        line_no = self.line_at(offset)
        for n in range(1, len(sizes) + 1):
            end = text.find("\n", offset)
            header = text[offset : len(text) if end < 0 else end].strip()
            s = _SECTION.match(header)
            if s is None or int(s.group(1)) != n:
                raise self.error(line_no, f"expected '\\{n}-grams:', got {header!r}")
            body_start = len(text) if end < 0 else end + 1
            nxt = text.find("\n\\", body_start - 1)
            body_end = len(text) if nxt < 0 else nxt + 1
            lines_end = body_end  # without the blank lines before the next section
            while lines_end > body_start and text[lines_end - 1] in " \t\r\n\f\v":
                lines_end -= 1
            if lines_end < body_end:
                lines_end = text.find("\n", lines_end, body_end) + 1 or body_end
            out.append(_Section(n, sizes[n - 1], body_start, lines_end, line_no + 1))
            line_no += 1 + text.count("\n", body_start, body_end)
            offset = body_end
        self.tail = (offset, line_no)
        return out

    def _check_end(self, order: int) -> None:
        offset, line_no = self.tail
        end = self.text.find("\n", offset)
        tail = self.text[offset : len(self.text) if end < 0 else end].strip()
        if tail != "\\end\\":
            what = repr(tail) if tail else "the end of the file"
            raise self.error(line_no, f"expected \\end\\ after the {order}-grams, got {what}")

    # -- blocks of lines ----------------------------------------------------------------------

    def _blocks(self, section: _Section) -> Iterator[tuple[int, int, int, int]]:
        """(start, end, first line number, lines) of blocks of whole lines of a section body."""
        text = self.text
        start, line = section.body_start, section.first_line
        while start < section.body_end:
            end = min(start + _BLOCK_CHARS, section.body_end)
            if end < section.body_end:
                end = text.rfind("\n", start, end) + 1 or section.body_end
            lines = text.count("\n", start, end) + (0 if text[end - 1] == "\n" else 1)
            yield start, end, line, lines
            line += lines
            start = end

    def _parse_section(self, section: _Section, encode) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
        """(log10 prob, backoff, word ids (m, n), line number of each row) of a section."""
        n = section.n
        probs, backoffs, ids, line_nos = [], [], [], []
        rows = 0
        for start, end, first_line, lines in self._blocks(section):
            p, b, w, ln = self._parse_block(self.text[start:end], first_line, lines, n, encode)
            rows += len(p)
            if rows > section.size:
                line = int(ln[section.size - (rows - len(p))])
                if section.last:
                    got = self.text.split("\n")[line - 1].strip()
                    raise self.error(line, f"expected \\end\\ after the {n}-grams, got {got!r}")
                raise self.error(line, f"more {n}-grams than the header's 'ngram {n}={section.size}' "
                                       f"(line {section.count_line})")
            probs.append(p)
            backoffs.append(b)
            ids.append(w)
            line_nos.append(ln)
        if rows != section.size:
            raise self.error(section.count_line,
                             f"the header says 'ngram {n}={section.size}' but the {n}-grams section "
                             f"(line {section.first_line - 1}) has {rows} line(s)")
        if len(probs) == 1:
            return probs[0], backoffs[0], ids[0], line_nos[0]
        if not probs:
            return np.zeros(0), np.zeros(0), np.zeros((0, n), np.int64), np.zeros(0, np.int64)
        return np.concatenate(probs), np.concatenate(backoffs), np.concatenate(ids), np.concatenate(line_nos)

    def _parse_block(self, block: str, first_line: int, m: int, n: int, encode):  # type: ignore[no-untyped-def]
        # a blank line (rare: a section's end is trimmed) upsets the count and goes below
        line_nos = np.arange(first_line, first_line + m)
        tabs = block.count("\t")
        if m < tabs < 2 * m:  # tab-separated, and some lines leave out a zero backoff
            padded = _pad_backoffs(block, m, n)
            if padded is not None:
                try:
                    return self._columns(padded, n + 2, m, n, line_nos, encode)
                except (ValueError, KeyError):
                    pass  # misplaced fields: find the line below
        else:
            tokens = block.split()
            for width in (n + 1, n + 2):
                if len(tokens) == m * width:
                    try:
                        return self._columns(tokens, width, m, n, line_nos, encode)
                    except (ValueError, KeyError):
                        break
        return self._irregular(block.split("\n"), first_line, n, encode)

    def _columns(self, tokens: list[str], width: int, m: int, n: int, line_nos: np.ndarray, encode):  # type: ignore[no-untyped-def]
        prob = np.fromiter(map(float, tokens[0::width]), dtype=np.float64, count=m)
        backoff = np.fromiter(map(float, tokens[n + 1 :: width]), dtype=np.float64, count=m) if width == n + 2 else np.zeros(m)
        ids = np.empty((m, n), dtype=np.int64)
        for j in range(n):
            ids[:, j] = encode(tokens[1 + j :: width])
        self._check_values(prob, backoff, line_nos)
        return prob, backoff, ids, line_nos

    def _irregular(self, lines: list[str], first_line: int, n: int, encode):  # type: ignore[no-untyped-def]
        line_nos = np.arange(first_line, first_line + len(lines))
        prob: list[float] = []
        backoff: list[float] = []
        words: list[list[str]] = []
        kept: list[int] = []
        for line, ln in zip(lines, line_nos.tolist()):
            fields = line.split()
            if not fields:
                continue
            if len(fields) not in (n + 1, n + 2) or fields[0].startswith("\\"):
                raise self.error(ln, f"a {n}-gram line is 'log10prob w1 .. w{n} [backoff]'; got {line.strip()!r}")
            prob.append(self._number(fields[0], "log10 probability", ln))
            backoff.append(self._number(fields[-1], "backoff weight", ln) if len(fields) == n + 2 else 0.0)
            words.append(fields[1 : n + 1])
            kept.append(ln)
        ids = np.empty((len(words), n), dtype=np.int64)
        for i, (row, ln) in enumerate(zip(words, kept)):
            try:
                ids[i] = encode(row)
            except KeyError as exc:
                raise self.error(ln, f"word {exc.args[0]!r} is not among the unigrams") from None
        p, b, lns = np.array(prob, dtype=np.float64), np.array(backoff, dtype=np.float64), np.array(kept, dtype=np.int64)
        self._check_values(p, b, lns)
        return p, b, ids, lns

    def _number(self, text: str, what: str, line: int) -> float:
        try:
            return float(text)
        except ValueError:
            raise self.error(line, f"{what} {text!r} is not a number") from None

    def _check_values(self, prob: np.ndarray, backoff: np.ndarray, line_nos: np.ndarray) -> None:
        bad = ~np.isfinite(prob)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise self.error(int(line_nos[i]), f"log10 probability {prob[i]} is not finite (log10 of 0 is written -99)")
        above = prob > 0
        if above.any():
            i = int(np.flatnonzero(above)[0])
            raise self.error(int(line_nos[i]), f"log10 probability {prob[i]:g} is above 0")
        bad = ~np.isfinite(backoff)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise self.error(int(line_nos[i]), f"backoff weight {backoff[i]} is not finite")
        prob[prob <= LOG_ZERO] = -np.inf
        backoff[backoff <= LOG_ZERO] = -np.inf

    # -- orders --------------------------------------------------------------------------------

    def _unigrams(self, section: _Section, order: int) -> NgramTables:
        words: list[str] = []

        def collect(column: list[str]) -> np.ndarray:
            start = len(words)
            words.extend(column)
            return np.arange(start, start + len(column))

        prob_rows, bo_rows, _, line_nos = self._parse_section(section, collect)
        if len(set(words)) != len(words):
            seen: dict[str, int] = {}
            for w, ln in zip(words, line_nos.tolist()):
                if w in seen:
                    raise self.error(ln, f"unigram {w!r} listed twice (first on line {seen[w]})")
                seen[w] = ln
        present = set(words)
        if EOS not in present:
            raise InputError(f"{self.path}: the unigrams have no {EOS}; is this an ARPA language model?")
        others = [w for w in words if w not in SPECIALS]
        vocab = Vocabulary(list(SPECIALS) + others, [0] * (len(SPECIALS) + len(others)))
        ids = np.fromiter(map(vocab.stoi.__getitem__, words), dtype=np.int64, count=len(words))
        prob = np.full(len(vocab), -np.inf)
        bo = np.zeros(len(vocab))
        prob[ids] = prob_rows
        bo[ids] = bo_rows
        if UNK not in present:
            prob[vocab.unk_id] = MISSING_UNK_LOG10
        prob[vocab.bos_id] = -np.inf
        if BOS not in present:
            bo[vocab.bos_id] = 0.0
        empty = np.zeros(0, dtype=np.int64)
        return NgramTables(vocab, order, [prob.astype(np.float32)], [bo.astype(np.float32)], [empty])

    def _add_order(self, tables: NgramTables, section: _Section) -> None:
        n = section.n
        stoi = tables.vocab.stoi

        def encode(column: list[str]) -> np.ndarray:
            # itemgetter looks every word up in one C loop (a bit faster than map)
            if len(column) < 2:
                return np.array([stoi[w] for w in column], dtype=np.int64)
            return np.array(itemgetter(*column)(stoi), dtype=np.int64)

        prob, bo, ids, line_nos = self._parse_section(section, encode)
        V = tables.vocab_size
        tables.keys.append(np.zeros(0, dtype=np.int64))  # lookups below use orders < n only
        context = tables.index_of(ids[:, :-1]) if len(ids) else np.zeros(0, dtype=np.int64)
        missing = np.flatnonzero(context < 0)
        if len(missing):
            i = int(missing[0])
            words = " ".join(tables.vocab.decode(ids[i, :-1].tolist()))
            raise self.error(int(line_nos[i]), f"the context '{words}' of this {n}-gram is not listed among the {n - 1}-grams")
        keys, order = sort_with_order(context * V + ids[:, -1])
        dup = np.flatnonzero(keys[1:] == keys[:-1])
        if len(dup):
            i = int(order[dup[0] + 1])
            words = " ".join(tables.vocab.decode(ids[i].tolist()))
            raise self.error(int(line_nos[i]), f"{n}-gram '{words}' is listed twice")
        tables.keys[n - 1] = keys
        tables.prob.append(prob[order].astype(np.float32))
        tables.backoff.append(bo[order].astype(np.float32))
