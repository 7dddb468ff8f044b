"""The errors qaframework raises, rooted in one class.

Every message is written for a business-unit officer: it says what was wrong and what
to do about it. The CLI prints ``str(error)`` on one line and exits 2.
"""

from __future__ import annotations


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
            f"{what} {value!r} {problem}" if problem
            else f"{what} {value!r} is not a real date: write it as YYYY-MM-DD, for example 2027-01-13"
        )


class InvalidFinancialYearError(QAFrameworkError, ValueError):
    """A financial year is malformed or outside the years the software supports."""


class UnknownDeadlineRuleError(QAFrameworkError, KeyError):
    """A deadline rule name is not defined in the framework file."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        super().__init__(name)
        self._message = (
            f"unknown deadline rule {name!r}: the framework defines {', '.join(sorted(known))}"
        )

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self._message


class UnknownActivityError(QAFrameworkError, KeyError):
    """An activity key is not defined in the framework file."""

    def __init__(self, key: str, known: list[str]) -> None:
        self.key = key
        super().__init__(key)
        self._message = f"unknown activity {key!r}: the framework defines {', '.join(sorted(known))}"

    def __str__(self) -> str:
        return self._message


class DatabaseError(QAFrameworkError):
    """The database could not be reached or is not at the schema this version expects."""
