"""The languages ``--lang`` accepts, and which preprocessing steps each one has.

A language is named by its ISO 639-1 code (``de``), or by its ISO 639-3 code where it has
no two-letter one (``ast`` Asturian, ``grc`` Ancient Greek, ``enm`` Middle English: the
codes simplemma uses). ``--lang`` accepts every language that has at least one step of
its own (lemmas, a Snowball stemmer or a stopword list), and the languages written without
spaces between words, which only character level can read. Dependency-free (the CLI
imports it for its option help).
"""

from __future__ import annotations

from collections.abc import Callable

from wordseq.errors import OptionError

NAMES: dict[str, str] = {
    "ar": "Arabic", "ast": "Asturian", "az": "Azerbaijani", "bg": "Bulgarian", "bn": "Bengali", "bs": "Bosnian",
    "ca": "Catalan", "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "enm": "Middle English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "ga": "Irish", "gd": "Scottish Gaelic", "gl": "Galician", "grc": "Ancient Greek",
    "gv": "Manx", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian",
    "id": "Indonesian", "is": "Icelandic", "it": "Italian", "ja": "Japanese", "ka": "Georgian", "kk": "Kazakh",
    "km": "Khmer", "la": "Latin", "lb": "Luxembourgish", "lo": "Lao", "lt": "Lithuanian", "lv": "Latvian",
    "mk": "Macedonian", "ml": "Malayalam", "ms": "Malay", "my": "Burmese", "nb": "Norwegian Bokmål", "ne": "Nepali",
    "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "se": "Northern Sami", "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian",
    "sr": "Serbian", "st": "Sesotho", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "tg": "Tajik",
    "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian", "yi": "Yiddish", "zh": "Chinese",
}

# --lang code → simplemma's code (its tables ship in the wheel: offline). simplemma has one
# Serbo-Croatian table ('hbs'); plain 'no' is written Bokmål in most text.
LEMMAS: dict[str, str] = {
    **{code: code for code in (
        "ar ast bg ca cs cy da de el en enm eo es et fa fi fr ga gd gl grc gv he hi hu hy id is it ka la lb lt "
        "lv mk ml ms nb nl nn pl pt ro ru se sk sl sq sv sw tl tr uk").split()},
    "bs": "hbs", "hr": "hbs", "sr": "hbs", "no": "nb",
}

# --lang code → Snowball algorithm (PyStemmer's name). English keeps NLTK's Snowball
# stemmer (preprocess.py), as before --lang existed.
SNOWBALL: dict[str, str] = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "eo": "esperanto", "es": "spanish", "et": "estonian", "eu": "basque", "fa": "persian", "fi": "finnish",
    "fr": "french", "ga": "irish", "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian",
    "it": "italian", "lt": "lithuanian", "nb": "norwegian", "ne": "nepali", "nl": "dutch", "nn": "norwegian",
    "no": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "st": "sesotho", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}

# --lang code → the stopword list of that language (stopwords.py: English built in, the
# others NLTK's lists shipped in stopword_lists/). NLTK's Norwegian list holds Bokmål and
# Nynorsk forms.
STOPWORDS: dict[str, str] = {
    "ar": "arabic", "az": "azerbaijani", "bn": "bengali", "ca": "catalan", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french",
    "he": "hebrew", "hu": "hungarian", "id": "indonesian", "it": "italian", "kk": "kazakh", "nb": "norwegian",
    "ne": "nepali", "nl": "dutch", "nn": "norwegian", "no": "norwegian", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sl": "slovene", "sv": "swedish", "tg": "tajik", "tr": "turkish",
}

# Written without spaces between words: no word tokens without a segmenter of its own.
SPACELESS = frozenset({"ja", "km", "lo", "my", "th", "zh"})

# Only English has these stemmers (NLTK's Porter and Lancaster).
ENGLISH_STEMMERS = ("porter", "lancaster")


# Turkish and Azerbaijani write dotted and dotless i as two letters: İ → i, I → ı
# (str.lower() makes 'İ' an 'i' with a combining dot, and 'I' an 'i').
_DOTTED_I = str.maketrans({"İ": "i", "I": "ı"})


def lowercaser(lang: str) -> Callable[[str], str]:
    """How text in ``lang`` is lowercased (``str.lower`` but for Turkish and Azerbaijani)."""
    if lang in ("tr", "az"):
        return lambda text: text.translate(_DOTTED_I).lower()
    return str.lower


def known_languages() -> list[str]:
    """Every code ``--lang`` accepts, sorted."""
    return sorted(set(LEMMAS) | set(SNOWBALL) | set(STOPWORDS) | SPACELESS)


def check_language(lang: str, *, level: str, stem: str | None, lemmatize: bool, stopwords_lang: bool,
                   pretokenized: bool = False) -> None:
    """An OptionError naming the option when ``lang`` is unknown, is written without spaces
    at word level (unless the text comes segmented: ``pretokenized``), or lacks a step
    asked for (the message lists the languages that have it). ``stopwords_lang``:
    ``--stopwords lang`` was given (the list of this language)."""
    if not isinstance(lang, str) or lang not in NAMES:
        raise OptionError("--lang", f"unknown language {lang!r}; choose an ISO 639-1 code, one of {', '.join(known_languages())}")
    name = f"--lang {lang} ({NAMES[lang]})"
    if lang in SPACELESS and level == "word" and not pretokenized:
        raise OptionError("--lang", f"{name} is written without spaces between words, so it has no word tokens: "
                                    "use --level char (or subword units), or segment it first and give --pretokenized")
    if stem in ENGLISH_STEMMERS and lang != "en":
        raise OptionError("--stem", f"{stem} stems English only, not {name}; use --stem snowball, which has {_listed(SNOWBALL)}")
    if stem == "snowball" and lang not in SNOWBALL:
        raise OptionError("--stem", f"Snowball has no stemmer for {name}; it has {_listed(SNOWBALL)}")
    if lemmatize and lang not in LEMMAS:
        raise OptionError("--lemmatize", f"no lemmatizer for {name}; simplemma has {_listed(LEMMAS)}")
    if stopwords_lang and lang not in STOPWORDS:
        raise OptionError("--stopwords", f"no stopword list for {name}; lists ship for {_listed(STOPWORDS)} "
                                         "(or give a FILE with one word per line)")


def _listed(table: dict[str, str]) -> str:
    return ", ".join(sorted(table))
