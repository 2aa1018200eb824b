"""Offline sentence splitting (NLTK's punkt needs a downloaded model).

A rule-based splitter: a sentence ends at '.', '!' or '?' (plus closing quotes or
brackets) followed by whitespace and a capital letter, digit or opening quote, unless the
word before the period is a known abbreviation, a single initial or a dotted acronym.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof st jr sr vs etc inc ltd co corp gen col lt sgt capt cmdr adm sen rep
    gov pres rev hon fig no nos vol pp ed eds approx dept est jan feb mar apr jun jul aug
    sep sept oct nov dec mt ft ave blvd rd e.g i.e cf al viz ca op
    """.split()
)

_BOUNDARY = re.compile(r"""([.!?]+)(["'”’)\]]*)\s+(?=["'“‘(\[]*[A-Z0-9])""")
_WORD_BEFORE = re.compile(r"(\S+)$")


def split_sentences(text: str) -> list[str]:
    """The sentences of a text (split after '.', '!' or '?' before a capital, digit or quote, unless the period ends an abbreviation)."""
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group(1) == "." and _is_abbreviation(text[start : m.start()]):
            continue
        sentence = text[start : m.end()].strip()
        if sentence:
            sentences.append(sentence)
        start = m.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _is_abbreviation(before: str) -> bool:
    m = _WORD_BEFORE.search(before)
    if not m:
        return False
    word = m.group(1).lstrip("\"'(“‘[").lower()
    if word in ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. R. R. Tolkien"
    return "." in word and all(len(part) <= 2 for part in word.split("."))  # "U.S", "p.m"
