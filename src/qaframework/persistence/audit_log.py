"""Reading the audit log: who (a role, ``qaf-cli`` or ``prefect:<deployment>``), when and
what, for ``qaf audit``. The log is append-only; this module only reads it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlmodel import Session

from qaframework.persistence.tables import AuditLogEntry
from qaframework.untrusted import checked_text


@dataclass(frozen=True)
class AuditLine:
    at: datetime  # in the partnership's zone
    actor: str
    action: str
    subject: str
    detail: dict[str, object]

    def as_dict(self) -> dict[str, object]:
        return {"at": self.at.isoformat(), "actor": self.actor, "action": self.action, "subject": self.subject, "detail": self.detail}


def audit_lines(*, session: Session, zone: str, since: date | None = None, subject: str | None = None, limit: int | None = None) -> list[AuditLine]:
    """Entries oldest first: from the start of ``since`` (the partnership's local day),
    and about ``subject`` (a reference such as A-2027-0001 or F-2027-0001: the entries
    whose subject it is, whose subject is a task or stage of it (``action/A-2027-0001/police``),
    or whose detail names it)."""
    tz = ZoneInfo(zone)
    query = select(AuditLogEntry).order_by(AuditLogEntry.at, AuditLogEntry.id)
    if since is not None:
        query = query.where(AuditLogEntry.at >= datetime.combine(since, time(0), tzinfo=tz))
    if subject is not None:
        wanted = checked_text(subject, field="--subject").strip()
        quoted = json.dumps(wanted)  # as it appears inside the detail's JSON
        query = query.where(or_(
            AuditLogEntry.subject == wanted,
            AuditLogEntry.subject.contains(f"/{wanted}/", autoescape=True),  # type: ignore[attr-defined]
            AuditLogEntry.detail.contains(quoted, autoescape=True),  # type: ignore[attr-defined]
        ))
    if limit is not None:
        query = query.limit(limit)
    lines = []
    for entry in session.execute(query).scalars():
        try:
            detail = json.loads(entry.detail) if entry.detail else {}
        except ValueError:
            detail = {"text": entry.detail}
        lines.append(AuditLine(entry.at.astimezone(tz), entry.actor, entry.action, entry.subject, detail if isinstance(detail, dict) else {"value": detail}))
    return lines
