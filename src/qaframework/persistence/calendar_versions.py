"""Keeping feed items stable: a sequence and last-modified time per item UID.

Run on every feed refresh with all current items. New items start at sequence 0; a
changed item (anything shown, or who sees it) goes up by one; an item that disappeared is
kept, marked cancelled, with its sequence up by one, until the retention period ends.
Updates are guarded by the hash they replace, so two refreshes at once bump once.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, select, update
from sqlmodel import Session

from qaframework.feeds.items import FeedItem
from qaframework.feeds.rendering import ItemVersion
from qaframework.persistence.repository import insert_ignoring_duplicates
from qaframework.persistence.tables import CalendarItemVersion

CANCELLED = "cancelled"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def sync_versions(
    *, session: Session, items: list[FeedItem], now: datetime, retention_days: int
) -> list[tuple[FeedItem, ItemVersion, str]]:
    """Record the current items; return what feeds should show, with versions."""
    now = now.replace(microsecond=0)
    table = CalendarItemVersion.__table__  # type: ignore[attr-defined]
    stored = {row.uid: row for row in session.execute(select(CalendarItemVersion)).scalars()}
    current = {item.uid: item for item in items}
    hashes = {uid: item.content_hash() for uid, item in current.items()}

    new_rows = [
        {"uid": uid, "content_hash": hashes[uid], "sequence": 0, "last_modified": now, "cancelled_at": None,
         "payload": json.dumps(item.payload(), sort_keys=True)}
        for uid, item in current.items() if uid not in stored
    ]
    insert_ignoring_duplicates(session, CalendarItemVersion, new_rows, ["uid"])
    for uid, item in current.items():
        row = stored.get(uid)
        if row is not None and (row.content_hash != hashes[uid] or row.cancelled_at is not None):
            session.execute(
                update(table)
                .where(and_(table.c.uid == uid, table.c.content_hash == row.content_hash, table.c.sequence == row.sequence))
                .values(content_hash=hashes[uid], sequence=row.sequence + 1, last_modified=now, cancelled_at=None,
                        payload=json.dumps(item.payload(), sort_keys=True))
            )
    for uid, row in stored.items():
        if uid not in current and row.cancelled_at is None:
            session.execute(
                update(table)
                .where(and_(table.c.uid == uid, table.c.sequence == row.sequence, table.c.cancelled_at.is_(None)))
                .values(sequence=row.sequence + 1, last_modified=now, cancelled_at=now)
            )
    session.flush()

    shown: list[tuple[FeedItem, ItemVersion, str]] = []
    oldest_kept = now - timedelta(days=retention_days)
    refreshed = select(CalendarItemVersion).execution_options(populate_existing=True)
    for row in session.execute(refreshed).scalars():
        cancelled = row.cancelled_at is not None
        if cancelled and _aware(row.cancelled_at) < oldest_kept:  # type: ignore[arg-type]
            continue
        item = current.get(row.uid) if not cancelled else FeedItem.from_payload(json.loads(row.payload))
        if item is None:
            continue
        digest = row.content_hash + (CANCELLED if cancelled else "")
        shown.append((item, ItemVersion(row.sequence, _aware(row.last_modified), cancelled), digest))
    return shown
