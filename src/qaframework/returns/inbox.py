"""The returns inbox: a folder the business unit (or a mail rule) saves partners' files into.

A sweep takes every settled file, claims it (an atomic rename into ``processing/``, so
a file replaced under the same name afterwards is a new file, and two sweeps never read
the same one), receives it (accepted or rejected, always stored) and files it away under
``processed/accepted`` or ``processed/rejected``, named by its submission, so the inbox
only ever holds what is still to be read. A file in a subfolder named after an agency
key is that agency's, so even a file too broken to say whose it is can be answered.

Receiving is idempotent (the same content straight after itself is stored once), so a
sweep that crashes between storing a file and filing it away stores it once: a claim
left in ``processing/`` longer than :data:`CLAIM_LEASE_SECONDS` is taken up again.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROCESSED = "processed"
PROCESSING = "processing"
#: A claimed file still in processing/ after this long was left by a sweep that stopped.
CLAIM_LEASE_SECONDS = 15 * 60
_NO_AGENCY = "-"
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
    #: The name it was sent under (a claimed file's path carries a claim token too).
    name: str = ""

    @property
    def sent_as(self) -> str:
        return self.name or self.path.name


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
    claims = inbox / PROCESSING
    for folder in sorted(claims.iterdir()) if claims.is_dir() else []:
        hint = None if folder.name == _NO_AGENCY else folder.name
        for entry in os.scandir(folder) if folder.is_dir() else []:
            stat = entry.stat()
            if entry.is_file(follow_symlinks=False) and now - stat.st_ctime >= CLAIM_LEASE_SECONDS:
                found.append((stat.st_mtime, InboxFile(Path(entry.path), hint, min(stat.st_ctime, now), entry.name.partition("-")[2])))
    return [f for _, f in sorted(found, key=lambda pair: (pair[0], str(pair[1].path)))]


def ignored_entries(inbox: Path, agencies: set[str]) -> int:
    """How many things in the inbox no sweep will read (a folder not named after an agency,
    a folder inside an agency's folder): the business unit should move them."""
    if not inbox.is_dir():
        return 0
    count = 0
    for entry in os.scandir(inbox):
        if entry.is_dir(follow_symlinks=False) and entry.name not in agencies | {PROCESSED, PROCESSING}:
            count += 1
        elif entry.is_dir(follow_symlinks=False) and entry.name in agencies:
            count += sum(1 for e in os.scandir(entry.path) if e.is_dir(follow_symlinks=False))
    return count


def claim(inbox: Path, item: InboxFile) -> InboxFile | None:
    """Take the file out of the inbox into processing/, atomically; None if another sweep
    took it first."""
    folder = inbox / PROCESSING / (item.agency_hint or _NO_AGENCY)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex[:12]}-{item.sent_as}"
    try:
        os.replace(item.path, target)
    except FileNotFoundError:
        return None
    return InboxFile(target, item.agency_hint, item.arrived_at, item.sent_as)


def file_away(inbox: Path, item: InboxFile, status: str, submission_id: int, on: date) -> Path | None:
    """Move a received file to processed/<status>/<date>/<submission id>-<name>; None if
    another sweep moved it first."""
    target_dir = inbox / PROCESSED / status / on.isoformat()
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{submission_id}-{item.sent_as}"
    try:
        os.replace(item.path, target)
    except FileNotFoundError:
        return None
    return target
