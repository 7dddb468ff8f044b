"""The business unit's narrative: editable markdown files in the data folder
(``reports/yearly/2027-28/narrative/*.md``), one for the foreword, one for the commentary
on each section and one for each of the partnership's priorities.

The first assembly of a year creates each file with its heading only; a file is never
overwritten (created exclusively, so a file being edited is never replaced). Every
version merges the text as it stands: paragraphs are separated by blank lines, lines
starting ``#`` are headings of the file and not printed (the report gives each its own),
a line starting ``- `` is kept as written. A file that is missing or holds only its
heading is *empty*: the report shows the heading alone and the CLI lists it. Read at
most 100 KB of each; text that is not UTF-8 or holds a NUL is one line naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from qaframework.errors import QAFrameworkError
from qaframework.framework import Framework
from qaframework.framework.yearly_report import YearlyReportSettings
from qaframework.yearly_report.model import NarrativeBlock

LIMIT = 100_000
FOREWORD = "foreword"


class NarrativeError(QAFrameworkError):
    """A narrative file cannot be read; nothing was written."""


def narrative_files(framework: Framework, settings: YearlyReportSettings, sections: dict[str, str]) -> list[tuple[str, str]]:
    """(file stem, heading) of every narrative file, in the report's order."""
    themes = framework.document.themes
    files = [(FOREWORD, "Foreword")]
    files += [(f"priority-{t}", themes[t]) for t in settings.priorities]
    files += [(f"commentary-{k}", f"Commentary: {title}") for k, title in sections.items()]
    return files


def create_missing(folder: Path, files: list[tuple[str, str]]) -> list[str]:
    """Create each missing file with its heading; returns the stems created."""
    folder.mkdir(parents=True, exist_ok=True)
    created = []
    for stem, heading in files:
        try:
            fd = os.open(folder / f"{stem}.md", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"# {heading}\n\n")
        created.append(stem)
    return created


def paragraphs(text: str) -> tuple[str, ...]:
    """
    >>> paragraphs("# Foreword\\n\\nA year of\\nchange.\\n\\n- more audits\\n")
    ('A year of change.', '- more audits')
    """
    blocks, current = [], []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if not stripped:
            if current:
                blocks.append(" ".join(current))
            current = []
        elif stripped.startswith("- "):
            if current:
                blocks.append(" ".join(current))
            blocks.append(stripped)
            current = []
        else:
            current.append(stripped)
    if current:
        blocks.append(" ".join(current))
    return tuple(blocks)


def read_narrative(folder: Path, files: list[tuple[str, str]]) -> dict[str, NarrativeBlock]:
    """Each file's paragraphs (none for a missing or empty file)."""
    found = {}
    for stem, heading in files:
        path = folder / f"{stem}.md"
        text = ""
        if path.exists():
            if not path.is_file():
                raise NarrativeError(f"{path}: expected a text file of the narrative, not a folder or a device")
            with open(path, "rb") as handle:
                data = handle.read(LIMIT + 1)
            if len(data) > LIMIT:
                raise NarrativeError(f"{path}: expected at most {LIMIT // 1000} KB of text")
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise NarrativeError(f"{path}: expected UTF-8 text (save it as UTF-8)") from None
            if "\x00" in text:
                raise NarrativeError(f"{path}: contains a NUL character: remove it")
        found[stem] = NarrativeBlock(stem, heading, paragraphs(text))
    return found
