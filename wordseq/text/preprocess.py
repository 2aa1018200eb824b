"""The Preprocessor: raw text line → token sequences, the same way for every command.

Order of work for word level: split sentences (needed for the tokenizer's treatment of
final periods, and for ``--sentences``) → NLTK word tokenizer → per token: drop
stopwords → lemmatize (on the token as written: the lemmatizer needs case) → lowercase →
stem. Everything after sentence splitting is cached per
distinct string, so the cost grows with the number of word types, not tokens.

Languages other than English (``lang``) get their own sentence splitter and word splitter
(sentences.py, words.py) in place of NLTK's; a line written mostly in a script without
spaces between words is refused at word level.
Character level splits each line (whitespace collapsed) into characters; subword level
gives it to the subword tokenizer (``text/subword.py``) the config holds.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from wordseq.config_checks import Config
from wordseq.errors import ModelError, OptionError
from wordseq.text.languages import LEMMAS, SNOWBALL, SPACELESS, STOPWORDS, check_language, lowercaser
from wordseq.text.sentences import sentence_splitter
from wordseq.text.stopwords import NAMED as NAMED_STOPWORDS
from wordseq.text.stopwords import load_stopwords
from wordseq.text.subword import SubwordTokenizer, made_tokenizer
from wordseq.text.words import detokenize_words, refuse_spaceless_text, split_words

STEMMERS = ("porter", "snowball", "lancaster")
LEVELS = ("word", "char", "subword")
# Character-level sequences show a space as this token, so tokens stay space-separated.
SPACE_TOKEN = "▁"
# The only purely alphabetic words NLTK's tokenizer splits (its CONTRACTIONS2 rules).
_ALPHA_SPLITS = frozenset({"cannot", "gimme", "gonna", "gotta", "lemme", "wanna"})

# NLTK's tokens of one chunk depend on the chunk and on whether it ends its sentence, on no
# setting, and its 23 regexes cost about 0.2 ms a chunk: the last few thousand chunks are
# kept for every Preprocessor of the process (a Python session or the test suite reads the
# same text again with new preprocessors). Small, as it outlives them: 8,192 entries at
# most, then emptied; each Preprocessor keeps its own larger tables besides.
_TREEBANK_CHUNKS: dict[tuple[str, bool], list[str]] = {}
_TREEBANK_CHUNKS_MAX = 1 << 13
_treebank: Any = None  # NLTK's word tokenizer, made on first use (it holds no state)


def _treebank_chunk(chunk: str, final: bool) -> list[str]:
    """NLTK's word tokens of one chunk (shared: callers do not change the list)."""
    global _treebank
    key = (chunk, final)
    tokens = _TREEBANK_CHUNKS.get(key)
    if tokens is None:
        if _treebank is None:
            from nltk.tokenize.destructive import NLTKWordTokenizer

            _treebank = NLTKWordTokenizer()
        tokens = _treebank.tokenize(chunk) if final else _treebank.tokenize(chunk + " x")[:-1]
        if len(_TREEBANK_CHUNKS) >= _TREEBANK_CHUNKS_MAX:
            _TREEBANK_CHUNKS.clear()
        _TREEBANK_CHUNKS[key] = tokens
    return tokens


# The JSON types of the settings meta.json stores (stopword_list aside: a list of words).
_STORED_TYPES: dict[str, tuple[type, ...]] = {
    "lower": (bool,), "stem": (str, type(None)), "lemmatize": (bool,), "stopwords": (str, type(None)),
    "sentences": (bool,), "level": (str,), "pretokenized": (bool,), "lang": (str,), "subword": (dict, type(None)),
}
_TYPE_WORDS = {bool: "true or false", str: "a string", dict: "an object"}


@dataclass(frozen=True)
class PreprocessConfig(Config):
    """Settings of the shared ``[preprocessing]`` option group; stored in meta.json."""

    lower: bool = True
    stem: str | None = None
    lemmatize: bool = False
    stopwords: str | None = None  # a named list ('english', 'german': stopwords.NAMED), or the file it was read from
    stopword_list: tuple[str, ...] = field(default=(), repr=False)
    sentences: bool = False
    level: str = "word"
    pretokenized: bool = False
    lang: str = "en"  # ISO 639-1 (languages.py); models saved before --lang are English
    # --level subword: the units' tokenizer (``wordseq.load("subword/NAME")``)
    subword: SubwordTokenizer | None = None

    def __post_init__(self) -> None:
        if self.stem is not None and self.stem not in STEMMERS:
            raise OptionError("--stem", f"unknown stemmer {self.stem!r}; choose one of {', '.join(STEMMERS)}")
        if self.level not in LEVELS:
            raise OptionError("--level", f"unknown level {self.level!r}; choose word, char or subword")
        self._check_subword()
        word_steps = [name for name, on in (("--stem", self.stem), ("--lemmatize", self.lemmatize),
                                            ("--stopwords", self.stopwords)) if on]
        if self.level != "word" and word_steps:
            raise OptionError(word_steps[0], f"works on words; it cannot be used with --level {self.level}")
        if self.pretokenized:
            # pretokenized text is only split on spaces: any other step would be recorded
            # in meta.json as applied while it was not
            ignored = word_steps + (["--sentences"] if self.sentences else []) + ([f"--level {self.level}"] if self.level != "word" else [])
            if ignored and self.level == "subword":
                raise OptionError("--pretokenized", "a subword model splits the text itself: give the text as it was "
                                                    "(not its units) and leave --pretokenized out")
            if ignored:
                raise OptionError(
                    "--pretokenized",
                    f"the text is taken as it is (only split on spaces and --lower), so {ignored[0]} cannot be "
                    f"applied; run 'wordseq tokenize {ignored[0].split()[0]} ...' first, or drop --pretokenized",
                )
        check_language(self.lang, level=self.level, stem=self.stem, lemmatize=self.lemmatize,
                       stopwords_lang=self.stopwords == "lang", pretokenized=self.pretokenized)
        if self.stopwords == "lang":  # recorded by its name, so meta.json says which list
            object.__setattr__(self, "stopwords", STOPWORDS[self.lang])
        if self.stopwords and not self.stopword_list:
            object.__setattr__(self, "stopword_list", tuple(load_stopwords(self.stopwords)))

    def _check_subword(self) -> None:
        if self.level == "subword" and self.subword is None:
            raise OptionError("--level", "subword needs --subword NAME (a model made by 'wordseq subword train')")
        if self.subword is not None and not isinstance(self.subword, SubwordTokenizer):
            raise OptionError("--subword", f"expected a subword model (wordseq.load('subword/NAME')), "
                                           f"not {type(self.subword).__name__}")
        if self.subword is not None and self.level != "subword":
            raise OptionError("--subword", f"needs --level subword (the level is {self.level})")

    def to_dict(self) -> dict[str, Any]:
        """The settings as meta.json stores them (a tokenizer as its digest: its bytes
        are a payload file the store writes beside the model)."""
        d = {k: v for k, v in super().to_dict().items() if k != "subword"}
        if self.subword is not None:  # absent otherwise: word and char models' meta.json as before
            d["subword"] = self.subword.describe()
        # A named list is rebuilt from its name; a file's words travel with the model.
        d["stopword_list"] = list(self.stopword_list) if self.stopwords not in NAMED_STOPWORDS else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PreprocessConfig:
        """The settings a model's meta.json stores; a value of the wrong type or out of
        range means the model is damaged (ModelError), not that an option was wrong."""
        if not isinstance(d, dict):
            raise ModelError("the model's meta.json is damaged: 'preprocessing' should be an object")
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        for key, types in _STORED_TYPES.items():
            if key in known and not isinstance(known[key], types):
                raise ModelError(f"the model's meta.json is damaged: preprocessing '{key}' should be "
                                 f"{_TYPE_WORDS[types[0]]}, not {type(known[key]).__name__}")
        words = known.get("stopword_list") or ()
        if not isinstance(words, list | tuple) or not all(isinstance(w, str) for w in words):
            raise ModelError("the model's meta.json is damaged: preprocessing 'stopword_list' should be a list of words")
        known["stopword_list"] = tuple(words)
        known["subword"] = stored_tokenizer(known.get("subword"))
        try:
            return cls(**known)
        except OptionError as exc:
            raise ModelError(f"the model's meta.json is damaged: preprocessing {exc}") from None

    def with_overrides(self, overrides: dict[str, Any]) -> PreprocessConfig:
        """These settings with some replaced (an eval command's preprocessing options).

        ``pretokenized=True`` means the text was prepared already: the model's other word
        steps are not applied again unless given too.
        """
        if not overrides:
            return self
        base = asdict(self)
        base["subword"] = self.subword  # asdict would turn it into a copy of its fields
        if overrides.get("pretokenized"):
            base.update(stem=None, lemmatize=False, stopwords=None, sentences=False)
        base.update(overrides)
        if "stopwords" in overrides or not base["stopwords"]:
            base["stopword_list"] = ()
        else:
            base["stopword_list"] = tuple(base["stopword_list"])
        return PreprocessConfig(**base)

    def for_vocabulary(self, words: Collection[str]) -> PreprocessConfig:
        """These settings for scoring text with a model of this vocabulary: subword units
        the model never saw are split into smaller ones it did (``SubwordTokenizer.restricted``)."""
        if self.subword is None:
            return self
        return replace(self, subword=self.subword.restricted(words))

    def describe(self) -> str:
        parts = [self.level, "lower" if self.lower else "cased"]
        if self.subword is not None:
            parts[0] = f"subword ({self.subword.name or self.subword.sha256[:12]})"
        if self.lang != "en":
            parts.append(f"lang={self.lang}")
        if self.pretokenized:
            parts.append("pretokenized")
        if self.stem:
            parts.append(f"{self.stem} stem")
        if self.lemmatize:
            parts.append("lemmatized")
        if self.stopwords:
            parts.append(f"stopwords={self.stopwords}")
        if self.sentences:
            parts.append("sentences")
        return ", ".join(parts)


def stored_tokenizer(stored: dict[str, Any] | None) -> SubwordTokenizer | None:
    """The tokenizer meta.json names by digest: the store registered it when it read the
    model's files (a payload file ``subword-*``)."""
    if stored is None:
        return None
    digest = stored.get("sha256")
    found = made_tokenizer(digest) if isinstance(digest, str) else None
    if found is not None and not found.name and isinstance(stored.get("name"), str):
        found.name = stored["name"]
    if found is None:
        raise ModelError("the model's meta.json or files are damaged: preprocessing 'subword' names a tokenizer "
                         "that is not in the model's directory; train the model again")
    return found


# A preprocessor's tables (a chunk's tokens, a token's normal form) are emptied when one
# reaches this many entries: a corpus of many distinct chunks keeps its memory bounded.
_WORD_CACHE_MAX = 1 << 20


class Preprocessor:
    """Turns lines of raw text into token sequences. Picklable (caches are rebuilt)."""

    def __init__(self, config: PreprocessConfig | None = None) -> None:
        self.config = config or PreprocessConfig()
        # a chunk's tokens inside a sentence, as its last chunk, and a token's normal form
        self._inner_chunks: dict[str, list[str]] = {}
        self._final_chunks: dict[str, list[str]] = {}
        self._token_cache: dict[str, str | None] = {}
        self._normalize_token: Callable[[str], str | None] | None = None
        self._split_sentences = sentence_splitter(self.config.lang)
        self._lower = lowercaser(self.config.lang)  # the language's (Turkish I → ı), looked up once

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["config"])  # type: ignore[misc]

    # -- public API -------------------------------------------------------------------

    def sequences(self, line: str) -> list[list[str]]:
        """Token sequences of one input line: one per sentence with ``sentences``, else one."""
        cfg = self.config
        if cfg.pretokenized:
            tokens = line.split()
            if cfg.lower:
                lower = self._lower
                tokens = [t.lower() for t in tokens] if lower is str.lower else [lower(t) for t in tokens]
            return [tokens]
        if cfg.level == "char":
            return [self._chars(s) for s in self._sentences_of(line)]
        if cfg.level == "subword":
            return [self._subwords(s) for s in self._sentences_of(line)]
        if not line.isascii():
            refuse_spaceless_text(line)
        if cfg.sentences:
            return [self._words(s) for s in self._split_sentences(line)]
        words: list[str] = []
        for s in self._split_sentences(line):
            words.extend(self._words(s))
        return [words]

    def tokens(self, line: str) -> list[str]:
        """All tokens of a line, sentences joined."""
        seqs = self.sequences(line)
        return seqs[0] if len(seqs) == 1 else [t for s in seqs for t in s]

    def iter_sequences(self, lines: Iterable[str], skip_empty: bool = True) -> Iterator[list[str]]:
        for line in lines:
            for seq in self.sequences(line):
                if seq or not skip_empty:
                    yield seq

    def normalize_query(self, text: str) -> list[str]:
        """A query (analogy word, prompt) through the model's settings, sentences joined."""
        if self.config.pretokenized and self.config.lang not in SPACELESS:
            # Queries are typed by people: tokenize them the usual way, then lower if asked
            # (segmented Chinese or Thai has no usual way: its words are split on spaces).
            raw = Preprocessor(PreprocessConfig(lower=self.config.lower, lang=self.config.lang))
            return raw.tokens(text)
        return self.tokens(text)

    def detokenize(self, tokens: list[str]) -> str:
        """Readable text from tokens (NLTK's Treebank detokenizer for English, words.py's for other
        languages; char level rejoins; subword units go through their tokenizer's decoder)."""
        if self.config.level == "char":
            return "".join(" " if t == SPACE_TOKEN else t for t in tokens)
        if self.config.subword is not None:
            return self.config.subword.decode(tokens)
        if self.config.lang != "en":
            return detokenize_words(tokens)
        from nltk.tokenize.treebank import TreebankWordDetokenizer

        return TreebankWordDetokenizer().detokenize(tokens)

    def warm_up(self) -> None:
        """Load tokenizer, stemmer and lemma tables now (before forking workers, so the
        workers share those pages instead of each loading its own copy)."""
        self.tokens("Warming up: the geese were running, weren't they?")

    # -- internals ----------------------------------------------------------------------

    def _sentences_of(self, line: str) -> list[str]:
        if self.config.sentences:
            return self._split_sentences(line)
        stripped = line.strip()
        return [stripped] if stripped else []

    def _chars(self, text: str) -> list[str]:
        if self.config.lower:
            text = self._lower(text)
        return [SPACE_TOKEN if c.isspace() else c for c in " ".join(text.split())]

    def _subwords(self, text: str) -> list[str]:
        assert self.config.subword is not None
        if self.config.lower:
            text = self._lower(text)
        # runs of whitespace become one space, as at char level: the units of "a  b" are
        # those of "a b", and detokenizing gives that back
        return self.config.subword.encode(" ".join(text.split()))

    def _words(self, sentence: str) -> list[str]:
        chunks = sentence.split()
        if not chunks:
            return []
        out: list[str] = []
        inner = self._inner_chunks
        for chunk in chunks[:-1]:
            toks = inner.get(chunk)
            if toks is None:
                toks = inner[chunk] = self._tokenize_chunk(chunk, False)
                if len(inner) >= _WORD_CACHE_MAX:
                    inner.clear()
            out += toks
        final = self._final_chunks
        toks = final.get(chunks[-1])
        if toks is None:
            toks = final[chunks[-1]] = self._tokenize_chunk(chunks[-1], True)
            if len(final) >= _WORD_CACHE_MAX:
                final.clear()
        out += toks
        return out

    def _tokenize_chunk(self, chunk: str, final: bool) -> list[str]:
        """Tokenize one whitespace-separated chunk and normalize its tokens.

        English: NLTK's tokenizer rules look only inside a chunk, except that it splits a period
        off the last word of its input: a non-final chunk gets a dummy word after it so
        "Mr." or "U.S." mid-sentence keep their period, as in a whole-sentence call. The
        result equals NLTK's whole-sentence output (checked on the Brown corpus) except
        that a standalone closing ``''`` stays ``''`` where NLTK turns it into ``````.
        """
        if self.config.lang != "en":
            raw = split_words(chunk, self.config.lang)
        elif chunk.isalpha() and chunk.lower() not in _ALPHA_SPLITS:
            raw = [chunk]  # NLTK's rules leave a purely alphabetic word alone
        else:
            raw = _treebank_chunk(chunk, final)
        out = []
        for tok in raw:
            norm = self._token_cache.get(tok, "")
            if norm == "":
                norm = self._normalize(tok)
                if len(self._token_cache) >= _WORD_CACHE_MAX:
                    self._token_cache.clear()
                self._token_cache[tok] = norm
            if norm is not None:
                out.append(norm)
        return out

    def _normalize(self, token: str) -> str | None:
        if self._normalize_token is None:
            self._normalize_token = build_token_normalizer(self.config)
        return self._normalize_token(token)


def build_token_normalizer(cfg: PreprocessConfig) -> Callable[[str], str | None]:
    """token → normalized token, or None to drop it (stopword or nothing left)."""
    lower = lowercaser(cfg.lang)
    stop = frozenset(lower(w) for w in cfg.stopword_list)
    stemmer = _make_stemmer(cfg.stem, cfg.lang) if cfg.stem else None
    lemmatize = _make_lemmatizer(LEMMAS[cfg.lang]) if cfg.lemmatize else None
    # NLTK's lists write elided words without their apostrophe (French 'l', Italian 'dell')
    elided = cfg.lang != "en"

    def normalize(token: str) -> str | None:
        if stop and (lower(token) in stop or (elided and token[-1:] in "'’" and lower(token[:-1]) in stop)):
            return None
        # the lemmatizer sees the token's case ("Wales" is a name, "wales" the plural of
        # "wale"); lowercasing comes after it
        if lemmatize is not None:
            token = lemmatize(token)
        if cfg.lower:
            token = lower(token)
        if stemmer is not None:
            token = stemmer(token)
        return token or None

    return normalize


def _make_stemmer(name: str, lang: str) -> Callable[[str], str]:
    if name == "snowball" and lang != "en":
        # PyStemmer: Snowball's own C code, the same stems as the pure-Python
        # snowballstemmer and about 200x faster per word (measured on the UDHR)
        import Stemmer

        stem = Stemmer.Stemmer(SNOWBALL[lang]).stemWord
        return lambda word: stem(word) or word  # Greek's stemmer gives '' for some words ('είτε')
    if name == "porter":
        from nltk.stem import PorterStemmer

        return PorterStemmer().stem
    if name == "snowball":
        from nltk.stem import SnowballStemmer

        return SnowballStemmer("english").stem
    from nltk.stem import LancasterStemmer

    return LancasterStemmer().stem


def _make_lemmatizer(lang: str = "en") -> Callable[[str], str]:
    # simplemma ships its lemma tables in the wheel, so this works offline.
    import simplemma

    def lemmatize(token: str) -> str:
        if not any(c.isalpha() for c in token):
            return token
        lemma = simplemma.lemmatize(token, lang=lang)
        # simplemma changes case both ways ('sydney' → 'Sydney', 'The' → 'the'): a
        # lowercase token keeps a lowercase lemma, and a lemma that differs only in
        # case from the token is no lemma at all
        if token.islower():
            return lemma.lower()
        return token if lemma.lower() == token.lower() else lemma

    return lemmatize
