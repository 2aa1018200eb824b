"""--lang: which steps each language has, lemmas / stems / stopwords per language, the
language kept in meta.json, and the usage errors for what a language lacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import DATA, invoke
from wordseq.errors import ModelError, OptionError
from wordseq.text.languages import LEMMAS, NAMES, SNOWBALL, SPACELESS, STOPWORDS, known_languages
from wordseq.text.preprocess import PreprocessConfig, Preprocessor
from wordseq.text.stopwords import NAMED, load_stopwords

UDHR_DE = DATA / "udhr-de.txt"


def tokens(text: str, **settings: object) -> list[str]:
    return Preprocessor(PreprocessConfig(**settings)).tokens(text)  # type: ignore[arg-type]


def test_every_language_named_has_a_step_and_every_step_exists() -> None:
    import simplemma.strategies.dictionaries.dictionary_factory as simplemma_tables
    import Stemmer

    assert set(NAMES) == set(known_languages())
    assert set(LEMMAS.values()) <= set(simplemma_tables.SUPPORTED_LANGUAGES)
    assert set(SNOWBALL.values()) <= set(Stemmer.algorithms())
    assert set(STOPWORDS.values()) <= NAMED and all(load_stopwords(name) for name in NAMED)
    assert not SPACELESS & (set(LEMMAS) | set(SNOWBALL) | set(STOPWORDS))


def test_german_lemmas_stems_and_stopwords() -> None:
    text = "Die Menschenrechte wurden von allen Mitgliedern anerkannt"
    assert tokens(text, lang="de", lemmatize=True) == ["der", "menschenrecht", "werden", "von", "alle", "mitglied", "anerkennen"]
    assert tokens(text, lang="de", stem="snowball") == ["die", "menschenrecht", "wurd", "von", "all", "mitglied", "anerkannt"]
    assert tokens(text, lang="de", stopwords="lang") == ["menschenrechte", "wurden", "mitgliedern", "anerkannt"]


def test_stopwords_lang_is_recorded_by_the_lists_name() -> None:
    cfg = PreprocessConfig(lang="ru", stopwords="lang")
    assert cfg.stopwords == "russian" and "и" in cfg.stopword_list
    assert cfg.to_dict()["stopword_list"] is None  # a named list is rebuilt from its name
    assert PreprocessConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert PreprocessConfig(stopwords="lang").stopwords == "english"


def test_english_stays_as_before_lang() -> None:
    # the same tokens, stems and lemmas with and without --lang en (NLTK's Snowball for English)
    text = "The geese weren't generalizing easily."
    for step in ({"stem": "porter"}, {"stem": "snowball"}, {"stem": "lancaster"}, {"lemmatize": True}):
        assert tokens(text, lang="en", **step) == tokens(text, **step)
    assert tokens(text, stem="snowball") == ["the", "gees", "were", "n't", "general", "easili", "."]


def test_a_model_without_lang_in_meta_json_is_english() -> None:
    stored = PreprocessConfig(lemmatize=True).to_dict()
    assert stored["lang"] == "en"
    del stored["lang"]  # as written before --lang
    assert PreprocessConfig.from_dict(stored).lang == "en"


@pytest.mark.parametrize("value", ["xx", 5, "DE", ""])
def test_a_damaged_lang_in_meta_json_is_a_model_error(value: object) -> None:
    with pytest.raises(ModelError, match="lang"):
        PreprocessConfig.from_dict({**PreprocessConfig().to_dict(), "lang": value})


@pytest.mark.parametrize("settings,option,names", [
    ({"lang": "tlh"}, "--lang", "unknown language 'tlh'"),
    ({"lang": "kk", "lemmatize": True}, "--lemmatize", "no lemmatizer for --lang kk (Kazakh); simplemma has ar,"),
    ({"lang": "bg", "stem": "snowball"}, "--stem", "no stemmer for --lang bg (Bulgarian); it has ar,"),
    ({"lang": "de", "stem": "porter"}, "--stem", "porter stems English only"),
    ({"lang": "la", "stopwords": "lang"}, "--stopwords", "no stopword list for --lang la (Latin); lists ship for ar,"),
    ({"lang": "zh"}, "--lang", "use --level char"),
])
def test_a_step_the_language_lacks_is_a_usage_error_naming_those_that_have_it(settings: dict[str, object], option: str,
                                                                                names: str) -> None:
    with pytest.raises(OptionError, match=option) as caught:
        PreprocessConfig(**settings)  # type: ignore[arg-type]
    assert names in str(caught.value)


def test_languages_without_spaces_are_read_at_character_level_or_segmented() -> None:
    assert tokens("人人生而自由", lang="zh", level="char") == list("人人生而自由")
    segmented = Preprocessor(PreprocessConfig(lang="zh", pretokenized=True))
    assert segmented.tokens("人人 生 而 自由") == segmented.normalize_query("人人 生 而 自由") == ["人人", "生", "而", "自由"]


def test_tokenize_cli_takes_lang(runner: CliRunner) -> None:
    result = invoke(runner, ["tokenize", "-", "--lang", "de", "--lemmatize"], input="Die Menschen wurden geboren.\n")
    assert result.exit_code == 0 and result.stdout == "der mensch werden gebären .\n"
    refused = invoke(runner, ["tokenize", "-", "--lang", "fr", "--stem", "lancaster"], input="x\n")
    assert refused.exit_code == 2 and "--stem: lancaster stems English only, not --lang fr (French)" in refused.stderr


def test_queries_on_a_saved_model_use_its_language(runner: CliRunner, tmp_path: Path) -> None:
    model = tmp_path / "de"
    result = invoke(runner, ["train-embeddings", str(UDHR_DE), "-o", str(model), "--lang", "de", "--lemmatize",
                             "--min-count", "1", "--dim", "8", "--epochs", "1", "--workers", "1"])
    assert result.exit_code == 0, result.output
    meta = json.loads((model / "meta.json").read_text())
    assert meta["preprocessing"]["lang"] == "de" and meta["preprocessing"]["lemmatize"] is True
    # 'Menschenrechten' is looked up as its German lemma, as the model's words were made
    from wordseq.embeddings.model import load_embeddings

    words = set(load_embeddings(str(model)).vectors.words)
    assert "menschenrecht" in words and "menschenrechten" not in words
    similar = invoke(runner, ["similar", "Menschenrechten", "-m", str(model), "--topn", "1", "--json"])
    assert similar.exit_code == 0, similar.output
    assert json.loads(similar.stdout)["word"] == "menschenrecht"


def test_a_word_the_snowball_stemmer_empties_is_kept() -> None:
    # before: Snowball's Greek stemmer gives '' for 'είτε' and 'ίδια', and the words vanished
    assert tokens("είτε ίδια δικαιώματα", lang="el", stem="snowball") == ["είτε", "ίδια", "δικαιωμ"]


def test_a_pretokenized_turkish_model_finds_a_query_with_dotless_i(wordseq_home: Path) -> None:
    """Queries of a pretokenized model are lowercased as its training text was: in the
    model's language (Turkish I → ı), not in English."""
    import wordseq

    lines = ["Istanbul büyük bir şehir", "Ankara ve Istanbul şehir"] * 30
    vectors = wordseq.train_embeddings(lines, "tr", dim=8, epochs=1, min_count=1,
                                       preprocess=PreprocessConfig(pretokenized=True, lang="tr"))
    assert vectors.vector("Istanbul").shape == (8,)
