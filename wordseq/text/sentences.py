"""Offline sentence splitting (NLTK's punkt needs a downloaded model, and none is here).

A rule-based splitter: a sentence ends at '.', '!' or '?' (plus closing quotes or
brackets) followed by whitespace and a capital letter, digit or opening quote, unless the
word before the period is a known abbreviation, a single initial or a dotted acronym.

``sentence_splitter(lang)`` gives English this splitter, unchanged, and every other
language a Unicode one: the full stops of other scripts too (Devanagari's danda, Armenian,
Arabic, Ethiopic; Greek's question mark ';'), a next sentence that starts with anything
but a lowercase letter (scripts without case start with any letter), the language's own
abbreviations, and a period after a day or ordinal number where a language writes
ordinals with one ("am 10. Dezember").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import regex

ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof st jr sr vs etc inc ltd co corp gen col lt sgt capt cmdr adm sen rep
    gov pres rev hon fig no nos vol pp ed eds approx dept est jan feb mar apr jun jul aug
    sep sept oct nov dec mt ft ave blvd rd e.g i.e cf al viz ca op
    """.split()
)

_BOUNDARY = re.compile(r"""([.!?]+)(["'”’)\]]*)\s+(?=["'“‘(\[]*[A-Z0-9])""")


def split_sentences(text: str) -> list[str]:
    """The sentences of a text (split after '.', '!' or '?' before a capital, digit or quote, unless the period ends an abbreviation)."""
    return _split_at(text, _BOUNDARY, _is_abbreviation)


def _split_at(text: str, boundary: re.Pattern[str] | regex.Pattern[str], is_abbreviation: Callable[[str], bool]) -> list[str]:
    """``text`` cut at each match of ``boundary`` but those after a period that
    ``is_abbreviation`` says ends an abbreviation (given the text before it)."""
    sentences: list[str] = []
    start = 0
    for m in boundary.finditer(text):
        if m.group(1) == "." and is_abbreviation(text[start : m.start()]):
            continue
        sentence = text[start : m.end()].strip()
        if sentence:
            sentences.append(sentence)
        start = m.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


_ENDS = ".!?…‼؟۔।॥։።፧"
# Abbreviations that end in a period mid-sentence, per language (lowercase, without the final
# period); single initials and dotted acronyms ("z.B", "т.е") are found without a list.
ABBREVIATIONS_BY_LANG: dict[str, frozenset[str]] = {
    lang: frozenset(words.split()) for lang, words in {
        "de": "bzw ca chr dr evtl ggf hr inkl jh jhd mio mrd nr prof str tel usw vgl sog bspw abs art",
        "fr": "m mm mme mmes mlle dr pr me etc cf env av apr ex st ste vol art no",
        "es": "sr sra srta dr dra dña etc pág núm ud uds art vol",
        "it": "sig sigg dott dr prof ecc pag art ing avv",
        "pt": "sr sra dr dra prof etc pág art",
        "nl": "dhr mevr dr prof bijv enz nr blz art",
        "ru": "г гг др пр им ул стр см тыс млн млрд ст",
        "uk": "р рр ст див тис млн млрд",
        "pl": "np itp tzw ul nr dr prof art",
        "sv": "bl t ex dvs osv etc nr s k",
        "da": "bl f eks osv etc nr dvs",
        "no": "bl f eks osv etc nr dvs", "nb": "bl f eks osv etc nr dvs", "nn": "bl f eks osv etc nr dvs",
        "cs": "tj tzv atd apod čl odst",
    }.items()
}
# Languages that write ordinal numbers and days with a period: "10." rarely ends a sentence.
DOTTED_ORDINALS = frozenset("bs cs da de et fi hr hu is lt lv nb nn no pl se sk sl sr tr".split())


def sentence_splitter(lang: str) -> Callable[[str], list[str]]:
    """The sentence splitter for text in ``lang``: English's as it always was, else the
    Unicode rules."""
    if lang == "en":
        return split_sentences
    import regex  # Unicode properties; imported here, as it costs start-up

    ends = _ENDS + (";" if lang == "el" else "")
    # closing quotes may follow the stop after a space, as French writes them ("Bonjour ! »")
    boundary = regex.compile(rf"""([{regex.escape(ends)}]+)((?:\s*»|["'”’“‘)\]])*)\s+(?=["'“‘„«(\[¿¡]*[^\s\p{{Ll}}])""")
    abbreviations = ABBREVIATIONS_BY_LANG.get(lang, frozenset())
    is_abbreviation = partial(_is_abbreviation_in, abbreviations=abbreviations, ordinals=lang in DOTTED_ORDINALS)
    return partial(_split_at, boundary=boundary, is_abbreviation=is_abbreviation)


def _is_abbreviation_in(before: str, abbreviations: frozenset[str], ordinals: bool) -> bool:
    """Whether the word ending ``before`` is an abbreviation: listed, a single initial
    ("J. R. R. Tolkien"), a dotted acronym ("U.S", "z.B", "т.е") or, where the language
    writes them so, a dotted ordinal or day."""
    # the last word, found from the end (a regex search for it scans the whole sentence);
    # one final newline is passed over, as the '$' of the search this replaces did
    if before.endswith("\n"):
        before = before[:-1]
    if not before or before[-1].isspace():
        return False
    word = before.rsplit(None, 1)[-1].lstrip("\"'(“‘„«[").lower()
    if word in abbreviations or (len(word) == 1 and word.isalpha()):
        return True
    if ordinals and word.isdigit() and len(word) <= 3:
        return True  # "am 10. Dezember", "2. Weltkrieg"; a year (4 digits) ends a sentence
    return "." in word and all(len(part) <= 2 for part in word.split("."))


_is_abbreviation = partial(_is_abbreviation_in, abbreviations=ABBREVIATIONS, ordinals=False)
