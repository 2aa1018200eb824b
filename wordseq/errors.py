"""Exceptions the library raises; the CLI turns them into one ``Error: ...`` line."""


class WordseqError(Exception):
    """A problem the user can act on. The message is shown as is."""


class InputError(WordseqError):
    """Unreadable, empty or malformed input text or file."""


class ModelError(WordseqError):
    """A model is missing, of the wrong kind, or its files are damaged."""


class UnknownWordError(WordseqError):
    """A query word is not in the model's vocabulary."""
