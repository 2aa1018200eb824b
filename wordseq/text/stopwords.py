"""Stopword lists that ship with wordseq (NLTK's stopwords corpus needs a download).

ENGLISH is the Snowball English stop list as distributed in NLTK's stopwords corpus
(BSD licence), including the contraction pieces that NLTK's tokenizer produces. The other
languages' lists are NLTK's files as distributed, in ``stopword_lists/`` (sources and
licence in its README.md), read when first used.
"""

from __future__ import annotations

from pathlib import Path

from wordseq.errors import InputError
from wordseq.text.languages import STOPWORDS

ENGLISH: frozenset[str] = frozenset(
    """
    i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
    yourselves he him his himself she she's her hers herself it it's its itself they them
    their theirs themselves what which who whom this that that'll these those am is are was
    were be been being have has had having do does did doing a an the and but if or because
    as until while of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there
    when where why how all any both each few more most other some such no nor not only own
    same so than too very s t can will just don don't should should've now d ll m o re ve y
    ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't haven
    haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn
    shouldn't wasn wasn't weren weren't won won't wouldn wouldn't n't 's 're 've 'll 'd 'm
    """.split()
)

LISTS = Path(__file__).with_name("stopword_lists")
# The lists by name: rebuilt from the name alone (meta.json stores no words for these).
NAMED: frozenset[str] = frozenset(STOPWORDS.values())


def load_stopwords(spec: str) -> list[str]:
    """A named list ('english', 'german', ...: NAMED) or the path of a file with one
    stopword per line ('#' starts a comment)."""
    if spec == "english":
        return sorted(ENGLISH)
    path = LISTS / f"{spec}.txt" if spec in NAMED else Path(spec)
    if not path.is_file():
        raise InputError(
            f"--stopwords {spec!r}: not a known list ({', '.join(sorted(NAMED))}) and no such file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--stopwords {spec}: cannot read: {exc}") from None
    words = [w.split("#", 1)[0].strip() for w in text.splitlines()]
    return sorted({w for w in words if w})
