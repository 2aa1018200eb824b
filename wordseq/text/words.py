"""Word tokens of every language but English (English keeps NLTK's Treebank rules), and
the refusal of text written without spaces between words.

A rule-based Unicode splitter, applied to one whitespace-separated chunk at a time: URLs
and e-mail addresses stay whole, numbers keep their separators (``10.12.1948``, ``3,5``),
a word is letters, marks and digits of any script (so Devanagari's vowel signs and
Persian's zero-width non-joiner stay inside it) joined by apostrophes or hyphens
(``aujourd'hui``, ``peut-être``, German compounds whole); any other character is a token
of its own, a run of the same one a single token (``...``). Elided articles and
prepositions are split off with their apostrophe (French ``l'homme`` → ``l'`` ``homme``,
Italian ``dell'uomo`` → ``dell'`` ``uomo``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

from wordseq.errors import InputError

if TYPE_CHECKING:
    import regex

_W = r"[\p{L}\p{M}\p{N}\u200c\u200d]"
# inside a word: apostrophes, hyphens, Hebrew geresh / gershayim, Catalan's middle dot
# (col·lecció), Armenian's emphasis and question marks (written on the stressed vowel), and
# the ASCII '"' Hebrew text types for gershayim (או"ם)
_JOIN = r"(?:['’ʼ\-‐‑׳״·\u055b\u055c\u055e]|(?<=\p{Hebrew})\"(?=\p{Hebrew}))"
# the 'regex' module (Unicode properties) is imported when first needed: it costs start-up
_TOKEN = (
    r"(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]}'’”»]"  # a URL, without the punctuation after it
    r"|[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+"  # an e-mail address
    r"|\p{Nd}+(?:[.,:/]\p{Nd}+)+"  # a date, a decimal, a time
    rf"|{_W}+(?:{_JOIN}{_W}+)*(?:[-‐]$)?"  # a word; a hyphen ending the chunk stays (Menschenrechts- und ...)
    r"|(\S)\1*"
)
_APOSTROPHES = "'’ʼ"
# Words elided before a vowel, written with an apostrophe and the next word.
ELISIONS: dict[str, frozenset[str]] = {
    "fr": frozenset("l d j m n s t c qu jusqu lorsqu puisqu quoiqu presqu".split()),
    "it": frozenset("l d c m t s v n un dell dall nell sull all coll quell quest tutt sant bell".split()),
    "ca": frozenset("l d s m t n".split()),
    "ga": frozenset("b d m".split()),
}
_NO_SPACE_BEFORE = frozenset(".,;:!?%)]}»”…।॥։؟،؛")
_NO_SPACE_AFTER = frozenset("([{«„“¿¡")

# Scripts written without spaces between words (Unicode blocks of Han, kana, Thai, Lao,
# Myanmar, Khmer): a line mostly in them has no word tokens. Plain 're', so English text
# never loads the 'regex' module for this check.
_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_SPACELESS = (f"[{_KANA}\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
              "\u0e00-\u0eff\u1000-\u109f\ua9e0-\ua9ff\uaa60-\uaa7f\u1780-\u17ff\u19e0-\u19ff]")
_IS_KANA = f"[{_KANA}]"
_LETTER = r"[^\W\d_]"
SPACELESS_MIN = 4
_SCRIPT_NAMES = {"CJK": "Chinese characters", "THAI": "Thai", "LAO": "Lao", "KHMER": "Khmer", "MYANMAR": "Burmese"}


@functools.cache
def _compiled(pattern: str) -> regex.Pattern[str]:
    import regex

    return regex.compile(pattern)


def split_words(chunk: str, lang: str) -> list[str]:
    """The word tokens of one whitespace-separated chunk of text in ``lang``."""
    elisions = ELISIONS.get(lang)
    out: list[str] = []
    for m in _compiled(_TOKEN).finditer(chunk):
        token = m.group(0)
        while elisions is not None and (cut := _elision_end(token, elisions)):
            out.append(token[:cut])
            token = token[cut:]
        out.append(token)
    return out


def _elision_end(token: str, elisions: frozenset[str]) -> int:
    """Where an elided word at the start of ``token`` ends (after its apostrophe), or 0."""
    for i, c in enumerate(token):
        if c in _APOSTROPHES:
            return i + 1 if 0 < i < len(token) - 1 and token[:i].lower() in elisions else 0
        if not c.isalpha():
            return 0
    return 0


def detokenize_words(tokens: list[str]) -> str:
    """Readable text from tokens of ``split_words``: no space before closing punctuation,
    after opening punctuation or after an elided word."""
    parts: list[str] = []
    glue = True
    for tok in tokens:
        if parts and not glue and tok[0] not in _NO_SPACE_BEFORE:
            parts.append(" ")
        parts.append(tok)
        glue = tok[-1] in _NO_SPACE_AFTER or (len(tok) > 1 and tok[-1] in _APOSTROPHES and tok[0].isalpha())
    return "".join(parts)


@functools.cache
def _spaceless_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Compiled when first needed: compiling them took 10 ms of every command's start-up."""
    return re.compile(_SPACELESS), re.compile(_LETTER), re.compile(_IS_KANA)


def refuse_spaceless_text(line: str) -> None:
    """An InputError when most letters of ``line`` are in a script written without spaces
    between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese): split on spaces, such
    a line gives whole sentences as "words". A few such letters are a name or a word
    quoted (a line "東京" in a list of cities): fewer than SPACELESS_MIN pass."""
    spaceless, letter, kana = _spaceless_patterns()
    found = spaceless.findall(line)
    if len(found) < SPACELESS_MIN or len(found) <= len(letter.findall(spaceless.sub("", line))):
        return  # no more than half the letters
    script = "Japanese" if kana.search(line) else _SCRIPT_NAMES.get(unicodedata.name(found[0], "").split(" ")[0], "this script")
    sample = line.strip()[:20]
    raise InputError(f"{sample!r}...: text in {script} is written without spaces between words, so it has no word "
                     "tokens; use --level char (or subword units)")
