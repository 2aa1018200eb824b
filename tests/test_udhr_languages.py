"""Every language --lang accepts, on the Universal Declaration of Human Rights in that
language (../shared/corpora/udhr2.zip, read at test time; skipped where it is absent):
tokens for every text, lemmas that differ from the words where the language has a
lemmatizer, stems and stopwords where it has those; the languages written without spaces
read at character level and are refused at word level."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from wordseq.errors import InputError, OptionError
from wordseq.text.languages import LEMMAS, SNOWBALL, SPACELESS, STOPWORDS, known_languages
from wordseq.text.preprocess import PreprocessConfig, Preprocessor

UDHR_ZIP = Path(os.environ.get("WORDSEQ_CORPORA", ROOT.parent / "shared" / "corpora")) / "udhr2.zip"
needs_udhr = pytest.mark.skipif(not UDHR_ZIP.is_file(), reason=f"needs {UDHR_ZIP}")

# --lang code → the UDHR file of that language (ISO 639-3 names, a script or variant where
# the collection has several)
UDHR_FILE = {
    "ar": "arb", "ast": "ast", "az": "azj_latn", "bg": "bul", "bn": "ben", "bs": "bos_latn", "ca": "cat", "cs": "ces",
    "cy": "cym", "da": "dan", "de": "deu", "el": "ell_monotonic", "en": "eng", "eo": "epo", "es": "spa", "et": "est",
    "eu": "eus", "fa": "pes_1", "fi": "fin", "fr": "fra", "ga": "gle", "gd": "gla", "gl": "glg", "he": "heb", "hi": "hin",
    "hr": "hrv", "hu": "hun", "hy": "hye", "id": "ind", "is": "isl", "it": "ita", "ja": "jpn", "ka": "kat", "kk": "kaz",
    "km": "khm", "la": "lat", "lb": "ltz", "lo": "lao", "lt": "lit", "lv": "lav", "mk": "mkd", "ml": "mal",
    "ms": "mly_latn", "my": "mya", "nb": "nob", "ne": "nep", "nl": "nld", "nn": "nno", "no": "nob", "pl": "pol",
    "pt": "por_PT", "ro": "ron", "ru": "rus", "se": "sme", "sk": "slk", "sl": "slv", "sq": "als", "sr": "srp_cyrl",
    "st": "sot", "sv": "swe", "sw": "swh", "ta": "tam", "tg": "tgk", "th": "tha", "tl": "tgl", "tr": "tur", "uk": "ukr",
    "yi": "ydd", "zh": "cmn_hans",
}
# No UDHR text in the collection: Middle English, Ancient Greek, Manx.
NO_UDHR = frozenset({"enm", "grc", "gv"})
FAST = ["ar", "el", "fr", "hi", "id", "zh"]  # small lemma tables: a few seconds in all


def udhr_lines(lang: str) -> list[str]:
    with zipfile.ZipFile(UDHR_ZIP) as archive:
        return archive.read(f"udhr2/{UDHR_FILE[lang]}.txt").decode("utf-8").splitlines()


def tokens_of(lines: list[str], **settings: object) -> list[str]:
    pre = Preprocessor(PreprocessConfig(sentences=True, **settings))  # type: ignore[arg-type]
    return [t for line in lines for seq in pre.sequences(line) for t in seq]


def differ(a: list[str], b: list[str]) -> float:
    assert len(a) == len(b)
    return sum(x != y for x, y in zip(a, b)) / len(a)


def check_language(lang: str) -> None:
    lines = udhr_lines(lang)
    if lang in SPACELESS:
        assert len(tokens_of(lines, lang=lang, level="char")) > 2000
        with pytest.raises(OptionError, match="--level char"):
            PreprocessConfig(lang=lang)
        with pytest.raises(InputError, match="--level char"):  # such text, whatever --lang says
            tokens_of(lines)
        return
    words = tokens_of(lines, lang=lang)
    assert len(words) > 900 and all(t and " " not in t for t in words), lang  # Malayalam: 952 long words
    if lang in LEMMAS:
        # measured 4.7 % (Malayalam) to 57 % (Latin) of the tokens
        assert differ(words, tokens_of(lines, lang=lang, lemmatize=True)) > 0.02, lang
    if lang in SNOWBALL:
        assert differ(words, tokens_of(lines, lang=lang, stem="snowball")) > 0.1, lang  # 13.5 % (Persian) to 98 %
    if lang in STOPWORDS:
        kept = tokens_of(lines, lang=lang, stopwords="lang")
        assert 0.05 < 1 - len(kept) / len(words) < 0.6, lang  # 9.3 % (Kazakh) to 44 %


def test_every_language_has_its_udhr_or_is_named_without_one() -> None:
    assert set(UDHR_FILE) | NO_UDHR == set(known_languages()) and not set(UDHR_FILE) & NO_UDHR


@needs_udhr
@pytest.mark.parametrize("lang", FAST)
def test_udhr_in_a_few_languages(lang: str) -> None:
    check_language(lang)


@needs_udhr
@pytest.mark.slow
@pytest.mark.parametrize("lang", sorted(set(UDHR_FILE) - set(FAST)))
def test_udhr_in_every_language_lang_accepts(lang: str) -> None:
    check_language(lang)  # 21 minutes in all on a loaded 2-core machine: each language loads its lemma table
