"""The returns inbox: a folder the business unit (or a mail rule) saves partners' files into.

A sweep takes every settled file, receives it (accepted or rejected, always stored) and
files it away under ``processed/accepted`` or ``processed/rejected``, named by its
submission, so the inbox only ever holds what is still to be read. A file in a
subfolder named after an agency key is that agency's, so even a file too broken to say
whose it is can be answered.

Receiving is idempotent (a file's content is received once per task), so a sweep that
crashes between storing a file and moving it, or two sweeps at once, store it once.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROCESSED = "processed"
#: Names that are never returns: Office lock files, partial copies, hidden files.
_SKIP_PREFIXES = (".", "~$")
_SKIP_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial")


@dataclass(frozen=True)
class InboxFile:
    path: Path
    agency_hint: str | None  # the agency subfolder it was in, if any
    #: When it came into the inbox (POSIX seconds): a file saved at 21:00 on the due day
    #: is on time although the first sweep to read it is the next morning's.
    arrived_at: float = 0.0


def waiting_files(inbox: Path, agencies: set[str], settle_seconds: float, now: float | None = None) -> list[InboxFile]:
    """Files ready to read, oldest first: in the inbox itself or an agency's subfolder,
    unchanged for ``settle_seconds``."""
    now = time.time() if now is None else now
    if not inbox.is_dir():
        return []
    found: list[tuple[float, InboxFile]] = []
    for folder, hint in [(inbox, None)] + [(inbox / a, a) for a in sorted(agencies) if (inbox / a).is_dir()]:
        for entry in os.scandir(folder):
            if not entry.is_file(follow_symlinks=False) or entry.name.startswith(_SKIP_PREFIXES) or entry.name.lower().endswith(_SKIP_SUFFIXES):
                continue
            stat = entry.stat()
            modified = stat.st_mtime
            if now - max(modified, stat.st_ctime) >= settle_seconds:
                # ctime is when the file was put here (copy tools keep the sender's mtime).
                found.append((modified, InboxFile(Path(entry.path), hint, min(stat.st_ctime, now))))
    return [f for _, f in sorted(found, key=lambda pair: (pair[0], str(pair[1].path)))]


def file_away(inbox: Path, item: InboxFile, status: str, submission_id: int, on: date) -> Path | None:
    """Move a received file to processed/<status>/<date>/<submission id>-<name>; None if
    another sweep moved it first."""
    target_dir = inbox / PROCESSED / status / on.isoformat()
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{submission_id}-{item.path.name}"
    try:
        os.replace(item.path, target)
    except FileNotFoundError:
        return None
    return target
