"""Reading the ``qaf`` command line: every argument passes the untrusted-text boundary.

Usage errors are one line on stderr with exit status 2, like the package's own errors,
and quote at most a short, escaped excerpt of what was typed. Text arguments are refused
when empty (``--as-of ''`` is not "not given"), too long, not UTF-8 or holding a NUL;
numbers are read from ASCII digits only, within their range.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from datetime import date
from typing import Any, NoReturn

from qaframework.errors import InvalidDateError, QAFrameworkError, UntrustedInputError, excerpt
from qaframework.financial_year import FIRST_SUPPORTED_YEAR, LAST_SUPPORTED_YEAR
from qaframework.untrusted import checked_text, decode_text, read_untrusted_file, shown_path

EXIT_USAGE = 2
#: Keys, references, stages and labels are short; longer text is refused, not echoed.
MAX_KEY_LENGTH = 200
#: A rationale typed on the command line, in characters.
MAX_RATIONALE_LENGTH = 20_000
#: A rationale file is a few paragraphs.
MAX_RATIONALE_FILE_BYTES = 100 * 1024
#: A usage error from argparse (which may quote what was typed) is cut to this many characters.
MAX_USAGE_MESSAGE_LENGTH = 600
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def one_line(message: str, limit: int | None = None) -> str:
    r"""A message as one printable line: control characters and bytes that were not
    UTF-8 escaped, and at most ``limit`` characters if one is given.

    >>> one_line("bad value\n'x\udcff'")
    "bad value\\n'x\\udcff'"
    >>> one_line("a" * 10, limit=4)
    'aaaa…'
    """
    if not message.isprintable():
        message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return message if limit is None or len(message) <= limit else message[:limit] + "…"


class OneLineParser(argparse.ArgumentParser):
    """argparse, but usage errors are one line on stderr (exit 2), like our own errors,
    and a wrong choice is quoted as a short excerpt."""

    def error(self, message: str) -> NoReturn:
        unrecognised = "unrecognized arguments: "
        if message.startswith(unrecognised) and len(message) > len(unrecognised) + 60:
            message = message[:len(unrecognised) + 60] + "…"
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message, MAX_USAGE_MESSAGE_LENGTH)} (see {self.prog} --help)\n")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(repr, action.choices))
            raise argparse.ArgumentError(action, f"invalid choice: {excerpt(value)} (choose from {choices})")


def parse_date(text: str, what: str = "date") -> date:
    """A strict YYYY-MM-DD date; anything else (or 2027-02-30, or '') is an InvalidDateError.

    >>> parse_date("2027-01-13")
    datetime.date(2027, 1, 13)
    """
    if not _ISO_DATE.fullmatch(text):
        raise InvalidDateError(text, what)
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise InvalidDateError(text, what) from None
    if not FIRST_SUPPORTED_YEAR <= parsed.year <= LAST_SUPPORTED_YEAR:
        raise InvalidDateError(text, what, f"is outside the supported years {FIRST_SUPPORTED_YEAR}-{LAST_SUPPORTED_YEAR}")
    return parsed


class ArgumentValueError(QAFrameworkError, ValueError):
    """An argument's value is refused before anything is read or written."""


#: Arguments that name files: a name that is not UTF-8 is allowed (such files exist, and
#: are shown escaped), an empty one or one with a NUL is not.
PATH_ARGUMENTS = frozenset({"file", "files", "framework", "output", "rationale_file"})
#: Arguments that may be longer than a key.
#: Text arguments that may be longer than a key or a name, and how long.
LONG_ARGUMENTS = {"rationale": MAX_RATIONALE_LENGTH, "what": 2000, "evidence": 2000, "reason": 2000, "note": 2000}


def argument_names(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, str]:
    """Each argument's name as the user sees it (``--as-of``, ``REF``), by its dest, in
    the parser and the subcommands ``args`` chose."""
    names: dict[str, str] = {}
    for action in parser._actions:  # noqa: SLF001 - argparse offers no public walk
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            chosen = action.choices.get(getattr(args, action.dest, None))  # type: ignore[union-attr, arg-type]
            if chosen is not None:
                names.update(argument_names(chosen, args))
        elif action.option_strings:
            names[action.dest] = action.option_strings[-1]
        else:
            names[action.dest] = str(action.metavar or action.dest)
    return names


def check_arguments(args: argparse.Namespace, names: dict[str, str]) -> None:
    """Refuse any text argument that is empty, too long or not storable, and any path
    that is empty or holds a NUL; raises ArgumentValueError naming the argument.

    Every value given on the command line passes here before a command runs, so an
    empty ``--as-of ''`` is refused like ``--fy ''`` rather than taken as "not given".
    """
    for dest, value in vars(args).items():
        for one in value if isinstance(value, list) else [value]:
            if isinstance(one, str):
                reason = _path_problem(one) if dest in PATH_ARGUMENTS else _text_problem(one, LONG_ARGUMENTS.get(dest, MAX_KEY_LENGTH))
                if reason:
                    raise ArgumentValueError(f"argument {names.get(dest, dest)}: {reason}")


def _text_problem(value: str, max_length: int) -> str | None:
    if not value.strip():
        return "is empty: give a value, or leave the option out"
    try:
        checked_text(value, field="")
    except UntrustedInputError as exc:
        return exc.reason
    if len(value) > max_length:
        return f"is {len(value)} characters long: at most {max_length}"
    return None


def _path_problem(value: str) -> str | None:
    if not value.strip():
        return "is empty: give the path of a file"
    if "\x00" in value:
        return "contains a NUL character: no file has such a name"
    try:
        os.fsencode(value)
    except UnicodeEncodeError as exc:  # a surrogate that stands for no byte
        return f"is not a usable file name (character {exc.start + 1}): retype it"
    return None


def read_rationale_file(path: str) -> str:
    """A decision's rationale from a file: a regular UTF-8 text file of at most 100 KB,
    without NUL characters, and not empty."""
    text = decode_text(read_untrusted_file(path, limit=MAX_RATIONALE_FILE_BYTES, what="rationale file"),
                       field=f"rationale file {shown_path(path)}")
    if not text.strip():
        raise ArgumentValueError(f"rationale file {shown_path(path)}: is empty: write the rationale in it")
    return text


def whole_number_argument(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number from ``low`` to ``high``, in ASCII digits.

    >>> whole_number_argument(1, 65535)("8765")
    8765
    """

    def whole_number(value: str) -> int:
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"{excerpt(value)} is not a whole number from {low} to {high}")
        return int(text)

    return whole_number
