"""Pre-tokenized text → token ids from the bytes, without a Python string per token.

Scoring pre-tokenized text spent most of its reading time making a ``str`` of every token
(``split``) and looking each one up in a dictionary. Here a block of UTF-8 bytes is cut
at whitespace with numpy, and each token up to ``WIDTH`` bytes is read as two
little-endian 64-bit words straight from the buffer (the bytes past its end masked off):
the pair and the length are the token, exactly. They are looked up in an open-addressing
table of the vocabulary's words made the same way, so a word type costs no more than its
first byte. Longer tokens (rare) go through the dictionary as before.

Only what gives the same tokens as ``str.split`` takes this path: a block with a NUL byte,
invalid UTF-8 or whitespace beyond ASCII (U+00A0, U+2000..., which ``str.split`` also cuts
at) goes the ``str`` way (``encode.py``), which names the bad line or replaces its bytes.
"""

from __future__ import annotations

import re

import numpy as np

WIDTH = 16  # bytes of a token read as two 64-bit words
_BOM = b"\xef\xbb\xbf"
# whitespace that str.split cuts at (besides ASCII): U+0085, U+00A0, U+1680, U+2000-U+200A,
# U+2028, U+2029, U+202F, U+205F, U+3000
_WIDE_SPACE = re.compile(rb"\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80")
_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True  # str.split's ASCII whitespace
_NOT_CONTROL = bytes(range(9, 14)) + bytes(range(28, 256))  # deleted, leaves the other control bytes
# _MASKS[k]: the low k bytes of a little-endian word
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits of a product spread well


def clean_bytes(data: bytes, lower: bool, file_start: bool) -> bytes | None:
    """The block as the bytes of the text ``encode.py`` would split (BOM gone, lowercased
    as asked), or None where that text must be made the ``str`` way."""
    if b"\x00" in data:
        return None
    if file_start and data.startswith(_BOM):
        data = data[len(_BOM):]
    if data.isascii():
        return data.lower() if lower else data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if lower:
        data = text.lower().encode("utf-8")
    return None if _WIDE_SPACE.search(data) else data


def _words(buffer: bytes, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first ``WIDTH`` bytes of each token as two little-endian words, zero past its
    end. Tokens hold no NUL byte, so up to ``WIDTH`` bytes the pair is the token."""
    padded = buffer + bytes(WIDTH + 8)
    windows = np.ndarray((len(buffer) + WIDTH,), dtype="<u8", buffer=padded, strides=(1,))
    low = windows[starts]
    low &= _MASKS[np.minimum(lengths, 8)]
    high = windows[starts + 8]
    high &= _MASKS[np.clip(lengths - 8, 0, 8)]
    return low, high


def _slots(low: np.ndarray, high: np.ndarray, bits: int) -> np.ndarray:
    h = low * _MIX
    h ^= high * np.uint64(0xC2B2AE3D27D4EB4F)
    h *= _MIX
    h >>= np.uint64(64 - bits)
    return h.astype(np.int64)


class ByteVocabulary:
    """The words of a token → id mapping, looked up by their bytes (see the module's doc)."""

    def __init__(self, ids_of: dict[str, int]) -> None:
        text = "".join(ids_of)
        # a word with a lone surrogate (a model trained from Python tokens) gets bytes no
        # valid UTF-8 block holds, and blocks of invalid UTF-8 take the str path
        joined = text.encode("utf-8", "surrogatepass")
        # characters are bytes when the words are ASCII; otherwise each word is measured
        sized = ids_of if len(joined) == len(text) else [w.encode("utf-8", "surrogatepass") for w in ids_of]
        lengths = np.fromiter(map(len, sized), dtype=np.int64, count=len(ids_of))
        starts = np.cumsum(lengths) - lengths
        # longer words are looked up as str; words with a NUL byte (the line end of
        # ``encode.py``) or none at all are no token's, and their words could be another's
        usable = (lengths > 0) & (lengths <= WIDTH)
        usable[np.searchsorted(starts + lengths, np.flatnonzero(np.frombuffer(joined, dtype=np.uint8) == 0), side="right")] = False
        short = np.flatnonzero(usable)
        self.low, self.high = _words(joined, starts[short], lengths[short])
        self.ids = np.fromiter(ids_of.values(), dtype=np.int64, count=len(ids_of))[short]
        self.bits = max(4, (4 * len(short)).bit_length())  # a table at most a quarter full
        self.table = np.full(1 << self.bits, -1, dtype=np.int32)
        slot = _slots(self.low, self.high, self.bits)
        # a vocabulary lists its frequent words first: placed first, they sit in their own
        # slots, and most tokens are found at the first probe
        for lo, hi in ((0, 256), (256, 4096), (4096, len(short))):
            hi = min(hi, len(short))
            if lo < hi:
                self._place(np.arange(lo, hi, dtype=np.int32), slot[lo:hi])

    def _place(self, pending: np.ndarray, slot: np.ndarray) -> None:
        """Linear probing, many words at once: each round a word takes its slot if free."""
        mask = (1 << self.bits) - 1
        while len(pending):
            free = self.table[slot] < 0
            self.table[slot[free]] = pending[free]  # of words wanting one slot, one wins
            won = np.zeros(len(pending), dtype=bool)
            won[free] = self.table[slot[free]] == pending[free]
            pending, slot = pending[~won], (slot[~won] + 1) & mask

    def find(self, low: np.ndarray, high: np.ndarray, missing: int) -> np.ndarray:
        """The id of each token (as ``_words`` gives them); ``missing`` where the
        vocabulary does not have it."""
        mask = (1 << self.bits) - 1
        slot = _slots(low, high, self.bits)
        entry = self.table[slot]
        word = np.maximum(entry, 0)
        same = (self.low[word] == low) & (self.high[word] == high)
        out = np.where(same, self.ids[word], missing)
        rows = np.flatnonzero(~same & (entry >= 0))  # another word in its slot: probe on
        slot = slot[rows]
        while len(rows):
            slot = (slot + 1) & mask
            entry = self.table[slot]
            taken = entry >= 0  # an empty slot ends the probe: not there
            rows, slot, entry = rows[taken], slot[taken], entry[taken]
            same = (self.low[entry] == low[rows]) & (self.high[entry] == high[rows])
            out[rows[same]] = self.ids[entry[same]]
            rows, slot = rows[~same], slot[~same]
        return out


def token_ids(data: bytes, vocab: ByteVocabulary, ids_of: dict[str, int], missing: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(id of each token, the line it is on, lines) of clean bytes (``clean_bytes``), as
    ``ids_of`` maps the tokens ``str.split`` gives (``missing`` for those it has not). A
    line ends at each ``\\n``, and at the end of the data if it has no final ``\\n``."""
    a = np.frombuffer(data, dtype=np.uint8)
    space = np.ones(len(a) + 2, dtype=bool)  # space before and after: every token ends
    # below 33 is whitespace unless the block has other control bytes (rare: one C call says)
    space[1:-1] = a <= 32 if not data.translate(None, _NOT_CONTROL) else _ASCII_SPACE[a]
    edges = np.flatnonzero(space[1:] != space[:-1])  # a token's first byte, then its end
    starts, lengths = edges[0::2], edges[1::2] - edges[0::2]
    newlines = np.flatnonzero(a == 10)
    lines = len(newlines) + (0 if data.endswith(b"\n") else 1)
    line = np.searchsorted(newlines, starts)
    ids = vocab.find(*_words(data, starts, lengths), missing)
    for i in np.flatnonzero(lengths > WIDTH).tolist():  # past WIDTH bytes: the dictionary
        s = int(starts[i])
        ids[i] = ids_of[data[s:s + int(lengths[i])].decode("utf-8")]
    return ids, line, lines
