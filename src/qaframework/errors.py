"""The errors qaframework raises, rooted in one class.

Every message is written for a business-unit officer: it says what was wrong and what
to do about it. The CLI prints ``str(error)`` on one line and exits 2.
"""

from __future__ import annotations

#: An error quotes at most this many characters of what was typed.
EXCERPT_LENGTH = 40


def excerpt(value: object, limit: int = EXCERPT_LENGTH) -> str:
    r"""What someone typed, quoted for an error message: at most ``limit`` characters of
    it, anything unprintable escaped (control characters, bidi overrides, bytes that were
    not UTF-8), and its length if it was cut.

    >>> excerpt("2027-02-30")
    "'2027-02-30'"
    >>> excerpt("x" * 10_000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (10000 characters)"
    >>> print(excerpt("caf\udce9\x1b[2J\n"))
    'caf\udce9\x1b[2J\n'
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    quoted = repr(text[:limit])
    return f"{quoted[:-1]}…{quoted[-1]} ({len(text)} characters)"


class QAFrameworkError(Exception):
    """Root of every error this package raises on purpose."""


class FrameworkFileError(QAFrameworkError, ValueError):
    """A framework (or roster) file is missing, unreadable or does not validate.

    Carries the file, the path to the offending field (``activities.mape.cadence``)
    and what was expected there, so the officer can open the file and fix that line.
    """

    def __init__(self, file: str, field: str, expected: str) -> None:
        self.file = file
        self.field = field
        self.expected = expected
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {expected}")


class InvalidDateError(QAFrameworkError, ValueError):
    """A date given by a person is malformed or does not exist (2027-02-30)."""

    def __init__(self, value: str, what: str = "date", problem: str = "") -> None:
        self.value = value
        super().__init__(
            f"{what} {excerpt(value)} {problem}" if problem
            else f"{what} {excerpt(value)} is not a real date: write it as YYYY-MM-DD, for example 2027-01-13"
        )


class InvalidFinancialYearError(QAFrameworkError, ValueError):
    """A financial year is malformed or outside the years the software supports."""


class UnknownDeadlineRuleError(QAFrameworkError, KeyError):
    """A deadline rule name is not defined in the framework file."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        super().__init__(name)
        self._message = (
            f"unknown deadline rule {excerpt(name)}: the framework defines {', '.join(sorted(known))}"
        )

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self._message


class UnknownActivityError(QAFrameworkError, KeyError):
    """An activity key is not defined in the framework file."""

    def __init__(self, key: str, known: list[str]) -> None:
        self.key = key
        super().__init__(key)
        self._message = f"unknown activity {excerpt(key)}: the framework defines {', '.join(sorted(known))}"

    def __str__(self) -> str:
        return self._message


class DatabaseError(QAFrameworkError):
    """The database could not be reached or is not at the schema this version expects."""


class UntrustedInputError(QAFrameworkError, ValueError):
    """A file or a text from outside (typed, sent by a partner, named on the command line)
    cannot be taken in: missing, not a regular file, too large, not UTF-8, or holding a
    character no database stores (NUL).

    ``reason`` says what is wrong without naming the file or field, so a caller that names
    it its own way (a framework file error, a rejected return's problem) can reuse it.
    """

    def __init__(self, subject: str, reason: str) -> None:
        self.subject = subject
        self.reason = reason
        super().__init__(f"{subject}: {reason}" if subject else reason)


class FileTooLargeError(UntrustedInputError):
    """A file is larger than what is read of its kind; ``size`` is its size in bytes."""

    def __init__(self, subject: str, reason: str, size: int) -> None:
        self.size = size
        super().__init__(subject, reason)
