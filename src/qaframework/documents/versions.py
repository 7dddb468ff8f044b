"""Filing a rendered paper: each build is a new numbered version, earlier ones are kept.

A pack built on Tuesday and rebuilt on Wednesday (a late return arrived) sits in its
folder as ``pack-v1.html/.pdf/.docx`` and ``pack-v2.html/.pdf/.docx``: a chair who
annotated version 1 still has it. Writing is all-or-nothing: the three files are made in
memory first, each is written under a temporary name in the same folder and moved into
place with ``os.replace``, the HTML last, so a version whose HTML is there is complete.
The version number is claimed by creating a hidden ``.STEM-vN.claim`` file exclusively
(``O_EXCL``): of two writers at the same moment, one gets N and the other N + 1, and no
file is ever overwritten.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from qaframework.documents.errors import DocumentError
from qaframework.documents.pdf import html_to_pdf
from qaframework.documents.word import html_to_docx

#: The three files of a version, in the order they are moved into place.
EXTENSIONS = ("pdf", "docx", "html")
_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}")
#: How many version numbers a writer tries before giving up (others keep taking them).
_ATTEMPTS = 1000


@dataclass(frozen=True)
class WrittenDocument:
    """One version of a paper as filed: its number and its three files."""

    version: int
    html: Path
    pdf: Path
    docx: Path


def _check_stem(stem: str) -> None:
    if not _STEM.fullmatch(stem) or stem.endswith("."):
        raise DocumentError(
            f"document name {stem[:60]!r} is not a plain file name: use letters, digits, '-', '_' and '.', "
            "starting with a letter or digit, for example board-2027-07-08"
        )


def _pattern(stem: str) -> re.Pattern[str]:
    return re.compile(rf"^\.?{re.escape(stem)}-v([1-9][0-9]*)\.(?:html|pdf|docx|claim)$")


def existing_versions(folder: Path, stem: str) -> list[int]:
    """The version numbers of ``stem`` present in ``folder`` (files or claims), sorted."""
    _check_stem(stem)
    if not folder.is_dir():
        return []
    pattern = _pattern(stem)
    found = {int(m.group(1)) for name in os.listdir(folder) if (m := pattern.match(name))}
    return sorted(found)


def _document(folder: Path, stem: str, version: int) -> WrittenDocument:
    base = folder / f"{stem}-v{version}"
    return WrittenDocument(version, base.with_name(base.name + ".html"), base.with_name(base.name + ".pdf"),
                           base.with_name(base.name + ".docx"))


def latest_version(folder: Path, stem: str) -> WrittenDocument | None:
    """The newest complete version of ``stem`` in ``folder`` (its HTML is written last),
    or None if there is none yet."""
    for version in reversed(existing_versions(folder, stem)):
        document = _document(folder, stem, version)
        if all(path.is_file() for path in (document.html, document.pdf, document.docx)):
            return document
    return None


def write_versions(folder: Path, stem: str, html: str, *, reuse_unchanged: bool = False) -> WrittenDocument:
    """File ``html`` with its PDF and Word renderings as the next version of ``stem`` in
    ``folder`` (created if missing): ``{stem}-v{N}.html``, ``.pdf`` and ``.docx``, N being
    one more than the highest version there. Earlier versions are never touched.

    With ``reuse_unchanged``, a latest version whose HTML is exactly ``html`` is returned
    as it is and nothing is written, so building an unchanged pack twice files it once.
    """
    _check_stem(stem)
    if reuse_unchanged:
        latest = latest_version(folder, stem)
        if latest is not None and latest.html.read_text(encoding="utf-8") == html:
            return latest
    contents = {"pdf": html_to_pdf(html), "docx": html_to_docx(html), "html": html.encode("utf-8")}
    folder.mkdir(parents=True, exist_ok=True)
    version, claim = _claim(folder, stem)
    document = _document(folder, stem, version)
    try:
        for extension in EXTENSIONS:
            _write_atomically(getattr(document, extension), contents[extension])
        _sync_folder(folder)
    finally:
        claim.unlink(missing_ok=True)
    return document


def _claim(folder: Path, stem: str) -> tuple[int, Path]:
    """Take the next free version number by creating its claim file exclusively."""
    version = max(existing_versions(folder, stem), default=0) + 1
    for _ in range(_ATTEMPTS):
        claim = folder / f".{stem}-v{version}.claim"
        try:
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            version += 1
            continue
        # A writer that finished and removed its claim before ours was made has left its
        # files: that number is taken after all.
        if any(path.exists() for path in _files(_document(folder, stem, version))):
            claim.unlink(missing_ok=True)
            version += 1
            continue
        return version, claim
    raise DocumentError(f"could not claim a version of {stem!r} in {folder} after {_ATTEMPTS} tries: remove stale .claim files there")


def _files(document: WrittenDocument) -> tuple[Path, Path, Path]:
    return (document.html, document.pdf, document.docx)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, flush it to disk and move it
    into place in one step."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sync_folder(folder: Path) -> None:
    """Make the new names themselves durable (where the platform allows it)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
