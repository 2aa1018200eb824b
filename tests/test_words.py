"""Tokens and sentences of languages other than English (words.py, sentences.py), and the
refusal of text written without spaces between words at word level."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import invoke
from wordseq.errors import InputError
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.text.sentences import sentence_splitter, split_sentences
from wordseq.text.words import detokenize_words, split_words


def words(text: str, lang: str) -> list[str]:
    return [t for chunk in text.split() for t in split_words(chunk, lang)]


@pytest.mark.parametrize("lang,text,expected", [
    ("fr", "l'homme qu'aujourd'hui jusqu’à", ["l'", "homme", "qu'", "aujourd'hui", "jusqu’", "à"]),
    ("it", "dell'uomo un'altra all'Italia", ["dell'", "uomo", "un'", "altra", "all'", "Italia"]),
    ("de", "Die UN-Vollversammlung, Menschenrechts- und Freiheitskonvention.",
     ["Die", "UN-Vollversammlung", ",", "Menschenrechts-", "und", "Freiheitskonvention", "."]),
    ("de", "am 10.12.1948 um 12:30 Uhr, 3,5 % (vgl. Art. 2)...",
     ["am", "10.12.1948", "um", "12:30", "Uhr", ",", "3,5", "%", "(", "vgl", ".", "Art", ".", "2", ")", "..."]),
    ("es", "Ver https://www.un.org/es/udhr. o escribir a info@un.org!",
     ["Ver", "https://www.un.org/es/udhr", ".", "o", "escribir", "a", "info@un.org", "!"]),
    # Devanagari's vowel signs and Persian's zero-width non-joiner stay inside the word
    ("hi", "स्वतन्त्रता प्राप्त है।", ["स्वतन्त्रता", "प्राप्त", "है", "।"]),
    ("fa", "می\u200cآیند.", ["می\u200cآیند", "."]),
    ("he", 'ארה״ב והאו"ם', ["ארה״ב", 'והאו"ם']),
    ("ru", "«Все люди» — равны;", ["«", "Все", "люди", "»", "—", "равны", ";"]),
])
def test_unicode_words(lang: str, text: str, expected: list[str]) -> None:
    assert words(text, lang) == expected


def test_elisions_split_only_in_their_languages() -> None:
    assert words("l'homme", "de") == ["l'homme"]
    assert words("Vaa'an", "fi") == ["Vaa'an"]


def test_detokenizing_gives_the_text_back() -> None:
    text = "Considérant que l'homme (tous les hommes) a des droits, jusqu'à 3,5%: «oui»!"
    assert detokenize_words(words(text, "fr")) == text
    assert Preprocessor(PreprocessConfig(lang="de", lower=False)).detokenize(["Ja", ",", "gut", "."]) == "Ja, gut."


@pytest.mark.parametrize("lang,text,expected", [
    ("de", "Er kam am 10. Dezember an. Das war z.B. gut, vgl. Abs. 3. Dann 1948. „Ja.“ Er ging.",
     ["Er kam am 10. Dezember an.", "Das war z.B. gut, vgl. Abs. 3. Dann 1948.", "„Ja.“", "Er ging."]),
    ("fr", "M. Dupont arrive. « Bonjour ! » Il part.", ["M. Dupont arrive.", "« Bonjour ! »", "Il part."]),
    ("es", "Hola. ¿Qué tal? ¡Bien! El Sr. Pérez llegó.", ["Hola.", "¿Qué tal?", "¡Bien!", "El Sr. Pérez llegó."]),
    ("hi", "प्राप्त है। उन्हें मिली है।", ["प्राप्त है।", "उन्हें मिली है।"]),
    ("el", "Τι είναι; Είναι καλό.", ["Τι είναι;", "Είναι καλό."]),
    ("ar", "هل أنت بخير؟ نعم.", ["هل أنت بخير؟", "نعم."]),
    ("ru", "Это т.е. пример. Конец", ["Это т.е. пример.", "Конец"]),
])
def test_sentences_per_language(lang: str, text: str, expected: list[str]) -> None:
    assert sentence_splitter(lang)(text) == expected


def test_english_keeps_its_sentence_splitter() -> None:
    assert sentence_splitter("en") is split_sentences


def test_sentences_option_with_a_language(runner: CliRunner) -> None:
    result = invoke(runner, ["tokenize", "-", "--lang", "fr", "--sentences"], input="Il arrive. « Bonjour ! » L'homme part.\n")
    assert result.exit_code == 0 and result.stdout == "il arrive .\n« bonjour ! »\nl' homme part .\n"


def test_elided_words_meet_the_stopword_lists_that_drop_their_apostrophe() -> None:
    # NLTK's French list has 'l' and 'd', not "l'" and "d'"
    def tokens(text: str, lang: str) -> list[str]:
        return Preprocessor(PreprocessConfig(lang=lang, stopwords="lang")).tokens(text)

    assert tokens("l'homme d'affaires", "fr") == ["homme", "affaires"]
    assert tokens("dell'uomo", "it") == ["uomo"]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_text_without_spaces_is_refused_at_word_level(lang: str, runner: CliRunner) -> None:
    text = "人人生而自由，在尊严和权利上一律平等。\n"
    result = invoke(runner, ["tokenize", "-", "--lang", lang], input=text)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
    assert "text in Chinese characters is written without spaces" in result.stderr and "--level char" in result.stderr
    chars = invoke(runner, ["tokenize", "-", "--lang", "zh", "--level", "char"], input=text)
    assert chars.exit_code == 0 and chars.stdout.startswith("人 人 生 而")
    # a name in a few such letters is a word like any other
    assert Preprocessor(PreprocessConfig(lang=lang)).tokens("Tokyo 東京 is big") == ["tokyo", "東京", "is", "big"]


text_strategy = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\u2028\u2029\x85"),
                        max_size=200)


@settings(max_examples=100, deadline=None)
@given(text_strategy, st.sampled_from(["fr", "de", "ru", "hi"]))
def test_any_text_gives_clean_tokens_in_any_language(text: str, lang: str) -> None:
    line = text.replace("\n", " ").replace("\r", " ")
    pre = Preprocessor(PreprocessConfig(lang=lang, sentences=True))
    try:
        seqs = pre.sequences(line)
    except InputError as exc:
        assert "--level char" in str(exc)
        return
    flat = [t for seq in seqs for t in seq]
    assert all(t and not any(c.isspace() for c in t) for t in flat)
    # re-reading the output as pretokenized text keeps every token
    assert Preprocessor(PreprocessConfig(pretokenized=True, lang=lang)).tokens(" ".join(flat)) == flat


def test_turkish_and_azerbaijani_lowercase_dotted_and_dotless_i() -> None:
    # before: 'İnsan' became 'i̇nsan' (an i with a combining dot) and 'IŞIK' 'işik'
    for options in ({}, {"pretokenized": True}):
        pre = Preprocessor(PreprocessConfig(lang="tr", **options))  # type: ignore[arg-type]
        assert pre.tokens("İnsan IŞIK") == ["insan", "ışık"]
    assert Preprocessor(PreprocessConfig(lang="az", level="char")).tokens("İI") == ["i", "ı"]
    assert Preprocessor(PreprocessConfig(lang="de")).tokens("Insel") == ["insel"]
