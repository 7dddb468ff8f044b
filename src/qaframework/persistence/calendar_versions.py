"""Keeping feed items stable: a sequence and last-modified time per item UID.

Run on every feed refresh with all current items. New items start at sequence 0; a
changed item (anything shown, or who sees it) goes up by one. An item that disappeared
is kept, marked cancelled, with its sequence up by one, until the retention period
ends; so is an item that left one feed but lives on in others, in the feeds it left.
Updates are guarded by the sequence they replace, so two refreshes at once bump once.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlmodel import Session

from qaframework.feeds.items import FeedItem
from qaframework.feeds.rendering import ItemVersion
from qaframework.persistence.repository import insert_ignoring_duplicates
from qaframework.persistence.tables import CalendarItemVersion, FeedState

CANCELLED = "cancelled"


def _departed(row: CalendarItemVersion, item: FeedItem, now: datetime) -> dict[str, str]:
    """Scopes the item has left, with when: earlier departures plus any new ones."""
    before = json.loads(row.departed or "{}")
    old_audiences = set(json.loads(row.payload).get("audiences", [])) if row.payload else set()
    for scope in old_audiences - item.audiences:
        before.setdefault(scope, now.isoformat())
    return {scope: when for scope, when in before.items() if scope not in item.audiences}


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
         "payload": json.dumps(item.payload(), sort_keys=True), "departed": "{}"}
        for uid, item in current.items() if uid not in stored
    ]
    insert_ignoring_duplicates(session, CalendarItemVersion, new_rows, ["uid"])
    for uid, item in current.items():
        row = stored.get(uid)
        if row is not None and (row.content_hash != hashes[uid] or row.cancelled_at is not None):
            session.execute(
                update(table)
                .where(and_(table.c.uid == uid, table.c.sequence == row.sequence))
                .values(content_hash=hashes[uid], sequence=row.sequence + 1, last_modified=now, cancelled_at=None,
                        payload=json.dumps(item.payload(), sort_keys=True),
                        departed=json.dumps(_departed(row, item, now), sort_keys=True))
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
        last_modified = row.last_modified
        if row.cancelled_at is not None:
            if row.cancelled_at >= oldest_kept:
                item = FeedItem.from_payload(json.loads(row.payload))
                shown.append((item, ItemVersion(row.sequence, last_modified, True), row.content_hash + CANCELLED))
            continue
        item = current.get(row.uid)
        if item is None:
            continue
        shown.append((item, ItemVersion(row.sequence, last_modified, False), row.content_hash))
        left = {scope for scope, when in json.loads(row.departed or "{}").items() if datetime.fromisoformat(when) >= oldest_kept}
        if left:
            shown.append((replace(item, audiences=frozenset(left)), ItemVersion(row.sequence, last_modified, True), row.content_hash + CANCELLED))
    return shown


def feed_last_modified(*, session: Session, scope: str, body_hash: str, now: datetime) -> datetime:
    """The feed's Last-Modified: unchanged while its body is unchanged, and otherwise
    now (or a second after the previous value, should the clock lag): never backwards."""
    now = now.replace(microsecond=0)
    table = FeedState.__table__  # type: ignore[attr-defined]
    row = session.execute(select(FeedState).where(FeedState.scope == scope)).scalar_one_or_none()
    if row is None:
        insert_ignoring_duplicates(session, FeedState, [{"scope": scope, "body_hash": body_hash, "last_modified": now}], ["scope"])
    elif row.body_hash != body_hash:
        moved = max(now, row.last_modified + timedelta(seconds=1))
        session.execute(
            update(table).where(and_(table.c.scope == scope, table.c.body_hash == row.body_hash))
            .values(body_hash=body_hash, last_modified=moved)
        )
    stored = session.execute(select(FeedState.last_modified).where(FeedState.scope == scope).execution_options(populate_existing=True)).scalar_one()
    return stored
