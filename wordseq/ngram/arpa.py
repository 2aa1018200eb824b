"""ARPA back-off files: write wordseq's tables, read KenLM / SRILM / wordseq files.

Values are log10; ``-99`` stands for log10(0) both ways (KenLM writes ``<s>`` so).
Probabilities are printed with 7 significant digits, as KenLM does; reading a file and
writing it again gives the same text.

Reading is a stream: the input (a file, stdin, a pipe) is read and decoded one block of
lines at a time, and never past what the n-grams its header declares can fill, so memory
follows those counts whatever the bytes hold (a file that never ends, a decompression
bomb, a header that declares more than its file can hold are refused early).
Reading is vectorised: each section is split into tokens by one ``str.split`` per block
of lines, numbers are parsed by numpy, words become ids through one ``map`` over a dict,
and contexts are found with sorted searches. Every number is checked (finite; a
probability at most 0), the header's counts against the sections, every context against
the order below; an error names the file and line. When a block does not have the
regular layout (a malformed line, or backoffs given on some lines only, as SRILM
writes), it is parsed line by line, which finds the exact line of any error.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import IO, BinaryIO

import numpy as np

from wordseq.errors import InputError
from wordseq.ngram.tables import NgramTables, sort_with_order
from wordseq.text.reader import BOM, _decompress_errors, open_input
from wordseq.vocab import BOS, EOS, SPECIALS, UNK, Vocabulary

LOG_ZERO = -99.0
MISSING_UNK_LOG10 = -100.0  # KenLM's stand-in when a file has no <unk>
# the first bytes of every KenLM binary model ("mmap lm http://kheafield.com/code format version N")
KENLM_BINARY_MAGIC = b"mmap lm http://kheafield.com/code"
MAX_ORDER = 9
_COUNT = re.compile(r"^ngram\s+(\d+)\s*=\s*(\d+)$")
_SECTION = re.compile(r"^\\(\d+)-grams:$")
_READ_BYTES = 1 << 20  # text read, decoded and parsed at once (bounds the token lists)
_MAX_LINE_BYTES = 1 << 20  # far beyond any n-gram line: a longer one is not ARPA text
_HEAD_BYTES = 1 << 20  # \data\ and its counts come within this; also the slack for headers
_BYTES_PER_NGRAM = 1 << 10  # text allowed per declared n-gram (real files: 20 to 60 bytes)
_BLANK_BYTES = 1 << 20  # blank text allowed inside one section
# The most text one compressed byte can give: deflate's limit is 1032; bzip2 and xz have
# no useful bound, so there the decompressed text is bounded by the counts alone.
_MAX_RATIO = {"gzip": 1032}


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


def refuse_kenlm_binary(path: str) -> None:
    """Say so, in one line, when ``path`` is a KenLM binary model (``build_binary``'s
    probing or trie format): wordseq reads the ARPA file it was built from."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(KENLM_BINARY_MAGIC))
    except OSError:
        return  # reading it properly reports why
    if head == KENLM_BINARY_MAGIC:
        raise InputError(f"{path} is a KenLM binary model (build_binary), which wordseq does not read; "
                         "give the ARPA file it was built from (-m model.arpa, or 'wordseq ngram import model.arpa')")


def read_arpa(path: str) -> NgramTables:
    """Parse an ARPA file (plain, .gz, .bz2 or .xz, recognised by its bytes) into tables.

    The file is read as a stream, one block of lines at a time: memory follows the
    n-grams the header declares, and a file that holds more text than those n-grams can
    fill (or, when its size is known, declares more than its bytes can hold) is refused.

    Examples
    --------
    >>> tables = read_arpa("lmplz.arpa")  # doctest: +SKIP
    """
    path = str(path)
    if path != "-":
        try:
            if stat.S_ISDIR(os.stat(path).st_mode):
                raise InputError(f"{path}: is a directory, expected an ARPA file")
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror}") from None
        refuse_kenlm_binary(path)
    stream, kind, owned = open_input(path)
    try:
        size = None
        if owned is not None:
            st = os.fstat(owned.fileno())
            size = st.st_size if stat.S_ISREG(st.st_mode) else None
        return _Parser(_Text(path, stream, kind, size), path).parse()
    finally:
        if owned is not None:
            owned.close()


def tables_from_arpa_text(text: Iterable[str], name: str = "<arpa>") -> NgramTables:
    """Parse ARPA text given as lines (tests, stdin)."""
    data = ("\n".join(line.rstrip("\n") for line in text) + "\n").encode("utf-8")
    return _Parser(_Text(name, io.BytesIO(data), "", len(data)), name).parse()


class _Text:
    """An ARPA input decoded in blocks of whole lines, never more than a block and a line
    at once. It refuses to read past ``limit`` bytes of text: first the header's, then
    (once the parser knows the counts) what the declared n-grams can fill, so neither a
    file that never ends (/dev/zero, a pipe) nor a decompression bomb outgrows its header.
    """

    def __init__(self, path: str, stream: BinaryIO, kind: str, size: int | None) -> None:
        self.path, self.stream, self.kind, self.size = path, stream, kind, size
        self.buf = ""
        self.pos = 0
        self.line = 1  # number of the line at buf[pos]
        self.read = 0  # bytes of text read so far
        self.limit = _HEAD_BYTES
        self.over_limit = f"not an ARPA file: no \\data\\ header with n-gram counts in its first {_HEAD_BYTES >> 20} MB"
        self._tail = b""  # the unfinished line after the last block
        self._decoded_lines = 0
        self._eof = False

    def room(self) -> int | None:
        """The most text the input can hold (None when its size cannot be known)."""
        if self.size is None:
            return None
        if not self.kind:
            return self.size
        ratio = _MAX_RATIO.get(self.kind)
        return None if ratio is None else self.size * ratio

    def _fail(self, line: int, message: str) -> InputError:
        return InputError(f"{self.path}: line {line}: {message}")

    def _raw(self) -> bytes:
        try:
            raw = self.stream.read(_READ_BYTES)
        except _decompress_errors() as exc:
            if not self.kind:
                raise InputError(f"{self.path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
            raise InputError(f"{self.path}: damaged compressed file: {exc}") from None
        if self.read == 0 and raw.startswith(BOM):
            raw = raw[len(BOM):]
        self.read += len(raw)
        if self.read > self.limit:
            raise InputError(f"{self.path}: {self.over_limit}")
        return raw

    def _next_block(self) -> bytes:
        """Whole lines of the input (a last unfinished line gets its newline); b"" at the end."""
        pieces, size = [self._tail], len(self._tail)
        while not self._eof:
            raw = self._raw()
            if b"\x00" in raw:
                line = self._decoded_lines + 1 + (b"".join(pieces) + raw[: raw.index(b"\x00")]).count(b"\n")
                raise self._fail(line, "NUL byte; this is a binary file, not an ARPA text file "
                                       "(KenLM's binary models cannot be read; give the ARPA file)")
            cut = raw.rfind(b"\n") + 1
            if not raw:
                self._eof = True
            elif cut:
                pieces.append(raw[:cut])
                self._tail = raw[cut:]
                return b"".join(pieces)
            else:
                pieces.append(raw)
                size += len(raw)
                if size > _MAX_LINE_BYTES:
                    raise self._fail(self._decoded_lines + 1, f"line longer than {_MAX_LINE_BYTES >> 20} MB; "
                                                              "this is not an ARPA file")
        self._tail = b""
        data = b"".join(pieces)
        return data + b"\n" if data else data

    def _more(self) -> bool:
        """Append the next block of lines to ``buf``; False at the end of the input."""
        data = self._next_block()
        if not data:
            return False
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = self._decoded_lines + data.count(b"\n", 0, exc.start) + 1
            raise self._fail(line, f"invalid UTF-8 byte 0x{data[exc.start]:02x}") from None
        self._decoded_lines += data.count(b"\n")
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        return True

    def next_line(self) -> tuple[int, str] | None:
        """(number, stripped text) of the next line; None at the end of the input."""
        end = self.buf.find("\n", self.pos)
        while end < 0:
            if not self._more():
                return None
            end = self.buf.find("\n", self.pos)
        line = self.buf[self.pos : end].strip()
        self.pos = end + 1
        self.line += 1
        return self.line - 1, line

    def body(self) -> Iterator[tuple[int, str]]:
        """(first line number, text of whole lines) of a section's lines, block by block, up
        to the next line that starts with a backslash (a section header or \\end\\)."""
        while self.pos < len(self.buf) or self._more():
            buf, pos = self.buf, self.pos
            if buf.startswith("\\", pos):
                return
            nxt = buf.find("\n\\", pos)
            end = len(buf) if nxt < 0 else nxt + 1
            chunk, first = buf[pos:end], self.line
            self.line += chunk.count("\n")
            self.pos = end
            yield first, chunk
            if nxt >= 0:
                return


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
    first_line: int  # line number of the section's first line
    count_line: int  # line number of the header's 'ngram n=count'
    last: bool


class _Parser:
    def __init__(self, source: _Text, path: str) -> None:
        self.source = source
        self.path = path

    def error(self, line: int, message: str) -> InputError:
        return InputError(f"{self.path}: line {line}: {message}")

    # -- layout -----------------------------------------------------------------------------

    def parse(self) -> NgramTables:
        sizes, count_lines, (line_no, line) = self._header()
        self._allow(sizes, count_lines[0])
        order = len(sizes)
        tables = None
        for n in range(1, order + 1):
            if n > 1:
                got = self.source.next_line()
                line_no, line = got if got is not None else (self.source.line, "")
            s = _SECTION.match(line)
            if s is None or int(s.group(1)) != n:
                raise self.error(line_no, f"expected '\\{n}-grams:', got {line!r}")
            section = _Section(n, sizes[n - 1], line_no + 1, count_lines[n - 1], n == order)
            if tables is None:
                tables = self._unigrams(section, order)
            else:
                self._add_order(tables, section)
        got = self.source.next_line()
        if got is None or got[1] != "\\end\\":
            what = repr(got[1]) if got and got[1] else "the end of the file"
            raise self.error(got[0] if got else self.source.line, f"expected \\end\\ after the {order}-grams, got {what}")
        assert tables is not None
        return tables

    def _header(self) -> tuple[list[int], list[int], tuple[int, str]]:
        """(counts, their line numbers, the first line after them) of the \\data\\ header."""
        source = self.source
        while (got := source.next_line()) is None or got[1] != "\\data\\":
            if got is None:
                raise InputError(f"{self.path}: not an ARPA file: no \\data\\ line in {source.line - 1} line(s)")
        sizes: list[int] = []
        count_lines: list[int] = []
        while (got := source.next_line()) is not None:
            line_no, line = got
            if not line:
                continue
            c = _COUNT.match(line)
            if c is None:
                break
            n, size = int(c.group(1)), int(c.group(2))
            if n != len(sizes) + 1:
                raise self.error(line_no, f"expected 'ngram {len(sizes) + 1}=COUNT', got {line!r}")
            sizes.append(size)
            count_lines.append(line_no)
        if got is None:
            raise InputError(f"{self.path}: unexpected end of file: an ARPA file ends with \\end\\")
        if not sizes:
            raise self.error(got[0], f"expected 'ngram 1=COUNT' after \\data\\, got {got[1]!r}")
        if len(sizes) > MAX_ORDER:
            raise InputError(f"{self.path}: order {len(sizes)} is more than wordseq's maximum of {MAX_ORDER}")
        return sizes, count_lines, got

    def _allow(self, sizes: list[int], line: int) -> None:
        """Bound the text still to be read by what the declared n-grams can fill; refuse
        counts that the input's bytes cannot hold."""
        total = sum(sizes)
        need = sum(size * (2 * n + 2) for n, size in enumerate(sizes, 1))  # "p w1 .. wn\\n"
        room = self.source.room()
        if room is not None and need > room:
            raise self.error(line, f"the header declares {total:,} n-grams, more than the file's "
                                   f"{self.source.size:,} bytes can hold; the file is damaged or cut short")
        source = self.source
        source.limit = source.read + _HEAD_BYTES + total * _BYTES_PER_NGRAM
        source.over_limit = (f"more text than the {total:,} n-grams its header declares can fill "
                             f"({source.limit:,} bytes); the file is damaged or not an ARPA file")

    # -- blocks of lines ----------------------------------------------------------------------

    def _parse_section(self, section: _Section, encode) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
        """(log10 prob, backoff, word ids (m, n), line number of each row) of a section."""
        n = section.n
        probs, backoffs, ids, line_nos = [], [], [], []
        rows = blank = 0
        for first_line, chunk in self.source.body():
            # blank lines end a section; the columns below need whole n-gram lines
            block = chunk.strip()
            blank += len(chunk) - len(block)
            if blank > _BLANK_BYTES:
                raise self.error(first_line, f"more than {_BLANK_BYTES >> 20} MB of blank lines in the {n}-grams section")
            if not block:
                continue
            first_line += chunk.count("\n", 0, len(chunk) - len(chunk.lstrip()))
            block += "\n"
            p, b, w, ln = self._parse_block(block, first_line, block.count("\n"), n, encode)
            rows += len(p)
            if rows > section.size:
                line = int(ln[section.size - (rows - len(p))])
                if section.last:
                    got = block.split("\n")[line - first_line].strip()
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
