"""Exceptions the library raises; the CLI turns them into one ``Error: ...`` line."""


class WordseqError(Exception):
    """A problem the user can act on. The message is shown as is."""


class InputError(WordseqError):
    """Unreadable, empty or malformed input text or file."""


class ModelError(WordseqError):
    """A model is missing, of the wrong kind, or its files are damaged."""


class UnknownWordError(WordseqError):
    """A query word is not in the model's vocabulary."""


class OptionError(WordseqError):
    """An option value out of its range or not a finite number (a usage error: exit 2).

    ``option`` is the command-line spelling (``--lr``); the Python API names the same
    setting by its keyword.
    """

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option


class WordseqWarning(UserWarning):
    """Something that changes what a result means (a high OOV rate, fallback discounts):
    the Python API warns with it through ``warnings``; the CLI prints it as one
    ``Warning:`` line."""


class WordseqDeprecation(WordseqWarning, FutureWarning):
    """A setting spelled the old way: it still works, and says what to write instead."""
