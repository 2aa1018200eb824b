from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CORPUS
from wordseq.errors import InputError, OptionError
from wordseq.text.preprocess import SPACE_TOKEN, PreprocessConfig, Preprocessor
from wordseq.text.sentences import split_sentences


def tokens(text: str, **settings: object) -> list[str]:
    return Preprocessor(PreprocessConfig(**settings)).tokens(text)  # type: ignore[arg-type]


def test_lemmatization_works_offline() -> None:
    # simplemma's English lemmas
    assert tokens("The geese were running", lemmatize=True) == ["the", "goose", "be", "run"]


def test_lemmas_keep_the_case_setting() -> None:
    # simplemma capitalizes some proper nouns: lowercased text must stay lowercase
    assert tokens("flights to Sydney", lemmatize=True) == ["flight", "to", "sydney"]
    assert tokens("The Geese of Sydney", lemmatize=True, lower=False) == ["The", "goose", "of", "Sydney"]


@pytest.mark.parametrize(
    "stem,expected",
    [("porter", ["gener", "run", "easili"]), ("snowball", ["general", "run", "easili"]), ("lancaster", ["gen", "run", "easy"])],
)
def test_stemmers(stem: str, expected: list[str]) -> None:
    assert tokens("generalization running easily", stem=stem) == expected


def test_treebank_tokens_and_lowercase() -> None:
    assert tokens("Mr. Smith can't pay $4.50, can he?") == ["mr.", "smith", "ca", "n't", "pay", "$", "4.50", ",", "can", "he", "?"]
    assert tokens("Hello World", lower=False) == ["Hello", "World"]


def test_stopwords_english_and_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert tokens("the cat is on the mat", stopwords="english") == ["cat", "mat"]
    f = tmp_path / "stop.txt"
    f.write_text("cat  # pets\nmat\n")
    assert tokens("the cat is on the mat", stopwords=str(f)) == ["the", "is", "on", "the"]
    with pytest.raises(InputError, match="no such file"):
        PreprocessConfig(stopwords=str(tmp_path / "nope.txt"))


def test_sentences_give_one_sequence_each() -> None:
    pre = Preprocessor(PreprocessConfig(sentences=True))
    assert pre.sequences("Dr. Who arrived. He left!  Then? no.") == [["dr.", "who", "arrived", "."], ["he", "left", "!"], ["then", "?", "no", "."]]


def test_sentence_splitter_keeps_abbreviations_initials_and_acronyms() -> None:
    text = "J. R. R. Tolkien met Mr. Lewis in the U.S. Army. They talked at 4 p.m. Then they left."
    assert split_sentences(text) == ["J. R. R. Tolkien met Mr. Lewis in the U.S. Army.", "They talked at 4 p.m. Then they left."]


def test_char_level_and_pretokenized() -> None:
    assert tokens("Ab  c", level="char") == ["a", "b", SPACE_TOKEN, "c"]
    assert tokens("Don't  SPLIT,this", pretokenized=True) == ["don't", "split,this"]
    with pytest.raises(OptionError, match="cannot be used with --level char"):
        PreprocessConfig(level="char", stem="porter")


@pytest.mark.parametrize("option", [{"stem": "porter"}, {"lemmatize": True}, {"stopwords": "english"},
                                    {"sentences": True}, {"level": "char"}])
def test_pretokenized_refuses_steps_it_would_not_apply(option: dict) -> None:  # type: ignore[type-arg]
    # before: accepted, ignored, and recorded in meta.json as applied
    with pytest.raises(OptionError, match="--pretokenized"):
        PreprocessConfig(pretokenized=True, **option)


def test_lemmatizer_sees_case_before_lowercasing() -> None:
    # before: lowercased first, "Wales" became "wale"
    assert tokens("New South Wales", lemmatize=True) == ["new", "south", "wales"]
    assert tokens("The geese were running", lemmatize=True) == ["the", "goose", "be", "run"]


def test_config_round_trips_through_a_dict(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "stop.txt"
    f.write_text("zebra\n")
    cfg = PreprocessConfig(lower=False, stem="snowball", lemmatize=True, stopwords=str(f), sentences=True)
    d = cfg.to_dict()
    f.unlink()  # the file's words travel in the dict
    assert PreprocessConfig.from_dict(d) == cfg
    assert PreprocessConfig.from_dict(PreprocessConfig(stopwords="english").to_dict()).stopword_list


def test_cached_tokenizer_matches_nltk_on_the_shipped_corpus() -> None:
    from nltk.tokenize.destructive import NLTKWordTokenizer

    nltk_tok = NLTKWordTokenizer()
    pre = Preprocessor(PreprocessConfig(lower=False, sentences=True))
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:60]
    for line in lines:
        for sentence, ours in zip(split_sentences(line), pre.sequences(line)):
            assert ours == nltk_tok.tokenize(sentence)


def test_queries_follow_the_model_settings() -> None:
    pre = Preprocessor(PreprocessConfig(stem="porter"))
    assert pre.normalize_query("Running") == ["run"]
    assert Preprocessor(PreprocessConfig(pretokenized=True)).normalize_query("Hello, world") == ["hello", ",", "world"]


def test_detokenize() -> None:
    assert Preprocessor().detokenize(["the", "cat", ",", "the", "mat", "."]) == "the cat, the mat."
    assert Preprocessor(PreprocessConfig(level="char")).detokenize(["a", SPACE_TOKEN, "b"]) == "a b"


def _without_spaces(text: str, pre: Preprocessor) -> bool:
    """Whether ``text`` is mostly in a script without spaces, and then refused at word level."""
    from wordseq.text.words import refuse_spaceless_text

    try:
        refuse_spaceless_text(text)
    except InputError:
        with pytest.raises(InputError, match="--level char"):
            pre.sequences(text.replace("\n", " "))
        return True
    return False


text_strategy = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=200)


@settings(max_examples=150, deadline=None)
@given(text_strategy)
def test_any_text_tokenizes_to_clean_tokens(text: str) -> None:
    pre = Preprocessor(PreprocessConfig(lemmatize=True, stem="porter", sentences=True))
    if _without_spaces(text, pre):
        return
    for seq in pre.sequences(text.replace("\n", " ")):
        for tok in seq:
            assert tok and not any(c.isspace() for c in tok)


@settings(max_examples=150, deadline=None)
@given(text_strategy)
def test_token_count_is_stable(text: str) -> None:
    line = text.replace("\n", " ")
    warm = Preprocessor()
    if _without_spaces(line, warm):
        return
    first = warm.tokens(line)
    assert warm.tokens(line) == first  # cached path
    assert Preprocessor().tokens(line) == first  # fresh caches
    # re-reading the output as pretokenized text keeps every token
    assert Preprocessor(PreprocessConfig(pretokenized=True)).tokens(" ".join(first)) == first


def test_preprocessors_of_other_settings_used_in_turn_keep_their_own_tokens() -> None:
    """NLTK's chunk tokens are shared by every preprocessor of the process; a token's
    normal form never is (a stopword-dropping, stemming or lemmatizing one beside a plain one)."""
    text = "The Cats weren't running, Mr. Smith said."
    cases = [
        (PreprocessConfig(), ["the", "cats", "were", "n't", "running", ",", "mr.", "smith", "said", "."]),
        (PreprocessConfig(lower=False), ["The", "Cats", "were", "n't", "running", ",", "Mr.", "Smith", "said", "."]),
        (PreprocessConfig(stem="porter"), ["the", "cat", "were", "n't", "run", ",", "mr.", "smith", "said", "."]),
        (PreprocessConfig(stopwords="english"), ["cats", "running", ",", "mr.", "smith", "said", "."]),
        (PreprocessConfig(lemmatize=True), ["the", "cat", "be", "not", "run", ",", "mr.", "smith", "say", "."]),
    ]
    made = [(Preprocessor(config), expected) for config, expected in cases]
    for _ in range(2):
        for pre, expected in made + [(Preprocessor(config), expected) for config, expected in reversed(cases)]:
            assert pre.tokens(text) == expected, pre.config


def test_a_preprocessors_tables_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import wordseq.text.preprocess as preprocess

    monkeypatch.setattr(preprocess, "_WORD_CACHE_MAX", 50)
    pre = Preprocessor(PreprocessConfig())
    for i in range(400):
        assert pre.tokens(f"w{i}a, x{i}. Y{i}-z") == [f"w{i}a", ",", f"x{i}", ".", f"y{i}-z"]
        assert max(len(pre._inner_chunks), len(pre._final_chunks), len(pre._token_cache)) <= 50


@pytest.mark.parametrize("text,expected", [
    ("a\n. A", ["a\n. A"]),  # a single initial before one newline, as the regex search found it
    ("I met Dr. Smith. He said no.", ["I met Dr. Smith.", "He said no."]),
    ("Long words here and there, said U.S. Senator Jones. Then he left.",
     ["Long words here and there, said U.S. Senator Jones.", "Then he left."]),
    ("x (Mr. Y) went. Z", ["x (Mr. Y) went.", "Z"]),
    ("It was J. R. R. Tolkien. Yes.", ["It was J. R. R. Tolkien.", "Yes."]),
])
def test_the_word_before_a_period_is_found_from_the_end(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_a_stopword_list_given_as_a_python_list_works() -> None:
    assert Preprocessor(PreprocessConfig(stopword_list=["the"])).tokens("the cat") == ["cat"]  # type: ignore[arg-type]
