"""The one boundary for files and text that come from outside.

Whatever a person names on the command line, saves into the inbox or types into a form
passes through here before it is read or stored:

- a file is opened without blocking and refused unless it is a regular file (a folder,
  ``/dev/zero``, a pipe or a socket never is), and at most ``limit + 1`` bytes of it are
  ever read, so an endless or huge file cannot fill memory;
- text is refused unless both databases can store it: valid UTF-8 (a lone surrogate,
  which is how Python carries bytes that were not UTF-8 in ``argv`` and file names, is
  not) and no NUL character (PostgreSQL refuses it);
- a database id typed as digits is read only from ASCII digits, and only as many as an
  integer column holds: ``²``, ``١`` or an NHS number are references that match nothing;
- an error quotes at most a short excerpt of what was typed (:func:`excerpt`), and a
  path or file name is shown with anything unprintable escaped (:func:`shown_path`).

Every refusal is an :class:`~qaframework.errors.UntrustedInputError` (a
:class:`~qaframework.errors.QAFrameworkError`), so the CLI prints one line and exits 2.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from qaframework.errors import EXCERPT_LENGTH, FileTooLargeError, UntrustedInputError, excerpt

__all__ = [
    "EMAIL_MAX_LENGTH", "EMAIL_PATTERN", "EXCERPT_LENGTH", "FileTooLargeError", "MAX_DATABASE_ID", "UntrustedInputError", "checked_text",
    "decode_text", "excerpt", "parse_database_id", "read_untrusted_file", "read_untrusted_head", "shown_path", "storable_name",
]

#: The largest id an integer column holds on both databases (PostgreSQL's ``integer``).
MAX_DATABASE_ID = 2**31 - 1
#: Ids are read from at most this many digits (every 9-digit number fits an integer column).
MAX_ID_DIGITS = 9
#: A path in a message is shown up to this many characters (its end: the file's name).
SHOWN_PATH_LENGTH = 160
#: File names are stored up to this many characters (the end, which holds the extension).
STORED_NAME_LENGTH = 255
_CHUNK = 1024 * 1024

#: A contact's email address: the WHATWG (HTML) pattern with at least one dot in the
#: domain, so nothing that could be markup, a header break or a quoted local part passes.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
#: RFC 5321's limit on a forward path.
EMAIL_MAX_LENGTH = 254


def shown_path(path: object, limit: int = SHOWN_PATH_LENGTH) -> str:
    r"""A path or file name as it may be printed: anything unprintable escaped, and only
    its last ``limit`` characters if it is longer.

    >>> shown_path("returns/police.xlsx")
    'returns/police.xlsx'
    >>> shown_path("caf\udce9\x1b[2J.csv")
    'caf\\udce9\\x1b[2J.csv'
    >>> shown_path("a" * 300 + ".csv", limit=10)
    '…aaaaaa.csv'
    """
    text = os.fspath(path) if isinstance(path, os.PathLike) else str(path)
    if len(text) > limit:
        text = "…" + text[-limit:]
    return _escaped(text)


def storable_name(name: str) -> str:
    r"""A file name as it is stored and shown: bytes that were not UTF-8 become U+FFFD,
    anything unprintable is escaped, and at most its last 255 characters are kept.

    >>> storable_name("Police return \udce9.csv"), storable_name("a\x00b.json")
    ('Police return �.csv', 'a\\x00b.json')
    """
    try:
        text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that did not come from a byte (a JSON escape)
        text = name.encode("utf-8", "replace").decode("utf-8")
    return _escaped(text)[-STORED_NAME_LENGTH:]


def _escaped(text: str) -> str:
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def checked_text(value: str, *, field: str) -> str:
    r"""``value`` if both databases can store it; else an UntrustedInputError naming
    ``field`` and what is wrong (never quoting the text).

    >>> checked_text("Criteria not met; learning to L&I.", field="--rationale")
    'Criteria not met; learning to L&I.'
    >>> checked_text("a\x00b", field="task")
    Traceback (most recent call last):
    qaframework.errors.UntrustedInputError: task: contains a NUL character (character 2), which cannot be stored: remove it
    >>> checked_text("caf\udce9", field="--label")
    Traceback (most recent call last):
    qaframework.errors.UntrustedInputError: --label: is not valid UTF-8 text (character 4): type it again in UTF-8
    """
    nul = value.find("\x00")
    if nul >= 0:
        raise UntrustedInputError(field, f"contains a NUL character (character {nul + 1}), which cannot be stored: remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UntrustedInputError(field, f"is not valid UTF-8 text (character {exc.start + 1}): type it again in UTF-8") from None
    return value


def decode_text(data: bytes, *, field: str) -> str:
    """A file's bytes as checked text: UTF-8 (a byte order mark is dropped), no NUL.

    >>> decode_text(b"\\xef\\xbb\\xbfno review", field="rationale file")
    'no review'
    >>> decode_text(b"caf\\xe9", field="rationale file")
    Traceback (most recent call last):
    qaframework.errors.UntrustedInputError: rationale file: cannot be read as UTF-8 text (byte 4): save it as UTF-8
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UntrustedInputError(field, f"cannot be read as UTF-8 text (byte {exc.start + 1}): save it as UTF-8") from None
    return checked_text(text, field=field)


def parse_database_id(text: str) -> int | None:
    """The id ``text`` names if it is one: ASCII digits only, at most nine of them.

    Anything else (other scripts' digits, superscripts, an NHS number, 26 digits) is not
    an id: callers treat it as a reference that matches nothing.

    >>> parse_database_id("42"), parse_database_id(" 0042 "), parse_database_id("999999999")
    (42, 42, 999999999)
    >>> parse_database_id("١"), parse_database_id("²"), parse_database_id("9434765919"), parse_database_id("")
    (None, None, None, None)
    """
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None


def _size_text(size: int) -> str:
    """
    >>> _size_text(512), _size_text(100 * 1024), _size_text(20 * 1024 * 1024)
    ('512 bytes', '100 KB', '20.0 MB')
    """
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / 1048576:.1f} MB"


def read_untrusted_head(path: str | Path, *, limit: int, what: str) -> tuple[bytes, int]:
    """The first bytes of a regular file (at most ``limit + 1`` of them) and its size.

    For a file that must be kept even when it is too large (a partner's return): the
    caller sees ``size > limit`` and refuses it its own way. Anything but a regular file,
    or a path that cannot be opened, is an UntrustedInputError naming ``what`` and the path.
    """
    subject = f"{what} {shown_path(path)}"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UntrustedInputError(subject, "file not found: check the path") from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise UntrustedInputError(subject, "is not a usable path: a file name is at most 255 bytes") from None
        raise UntrustedInputError(subject, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    except (ValueError, UnicodeError):  # a NUL in the path, or a name no file system holds
        raise UntrustedInputError(subject, "is not a usable path: it holds a NUL or an invalid character") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UntrustedInputError(subject, "is a folder, not a file: give the path of a file")
        if not stat.S_ISREG(info.st_mode):
            raise UntrustedInputError(subject, "is not a regular file (it is a device, pipe or socket): give the path of a file")
        chunks: list[bytes] = []
        wanted = limit + 1
        while wanted > 0:
            chunk = os.read(fd, min(wanted, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
    except OSError as exc:
        raise UntrustedInputError(subject, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return data, max(info.st_size, len(data))


def read_untrusted_file(path: str | Path, *, limit: int, what: str) -> bytes:
    """A regular file's bytes, if it holds at most ``limit`` of them; the file is never
    read past ``limit + 1`` bytes. Refusals are UntrustedInputErrors (FileTooLargeError
    for size) naming ``what`` and the path.
    """
    data, size = read_untrusted_head(path, limit=limit, what=what)
    if size > limit:
        raise FileTooLargeError(f"{what} {shown_path(path)}", f"is {_size_text(size)}: a {what} may be at most {_size_text(limit)}", size)
    return data

