"""The feeds, built from the database and kept in memory until the data changes.

A refresh (at most every ``refresh_seconds``) reads the occurrences and tasks, records
item versions, and notes for each feed which item versions it holds. A feed is rendered
again only when that list changes; otherwise the cached bytes, ETag and Last-Modified
are served as they are.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime

from qaframework.deadlines import working_day_calendar
from qaframework.feeds.items import FeedItem, build_items, scope_title
from qaframework.feeds.rendering import FeedRenderer, ItemVersion
from qaframework.framework import Framework
from qaframework.persistence.calendar_versions import sync_versions
from qaframework.persistence.database import transaction
from qaframework.persistence.reporting import assignees_by_occurrence, occurrence_facts
from qaframework.persistence.tables import utc_now


EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str  # quoted, as sent in the ETag header
    last_modified: datetime  # UTC, whole seconds

    @property
    def last_modified_http(self) -> str:
        return format_datetime(self.last_modified, usegmt=True)


class FeedCatalog:
    """Builds and caches every feed of one partnership."""

    def __init__(self, framework: Framework, database_url: str, refresh_seconds: float = 60.0,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._framework = framework
        self._url = database_url
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        doc = framework.document
        self._renderer = FeedRenderer(doc.partnership.timezone, doc.feeds.refresh_interval_hours)
        self._working_days = working_day_calendar(framework)
        self._lock = threading.Lock()
        self._refreshed_at: float | None = None
        self._by_scope: dict[str, list[tuple[FeedItem, ItemVersion, str]]] = {}
        self._feeds: dict[str, tuple[tuple[tuple[str, int, str], ...], RenderedFeed]] = {}

    def refresh(self) -> None:
        """Re-read the data now, record item versions, and drop the cached feeds whose
        items changed."""
        with transaction(self._url) as session:
            occurrences = occurrence_facts(session=session)
            assignees = assignees_by_occurrence(session=session)
            items = build_items(self._framework, occurrences, assignees, self._working_days)
            entries = sync_versions(
                session=session, items=items, now=self._clock(),
                retention_days=self._framework.document.feeds.cancelled_retention_days,
            )
        by_scope: dict[str, list[tuple[FeedItem, ItemVersion, str]]] = {}
        for entry in entries:
            for audience in entry[0].audiences:
                by_scope.setdefault(audience, []).append(entry)
        signatures = {scope: _signature(found) for scope, found in by_scope.items()}
        self._feeds = {scope: cached for scope, cached in self._feeds.items() if cached[0] == signatures.get(scope, ())}
        self._by_scope = by_scope
        self._refreshed_at = time.monotonic()

    def feed(self, scope: str) -> RenderedFeed:
        """The feed for a scope, from the cache unless its items changed."""
        with self._lock:
            if self._refreshed_at is None or time.monotonic() - self._refreshed_at >= self._refresh_seconds:
                self.refresh()
            cached = self._feeds.get(scope)
            if cached is not None:
                return cached[1]
            mine = self._by_scope.get(scope, [])
            name = scope_title(self._framework, scope)
            body = self._renderer.render(name, f"{name}: quality-assurance activities, deadlines and meetings.", mine)
            newest = max((version.last_modified for _, version, _ in mine), default=EPOCH)
            rendered = RenderedFeed(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', newest.replace(microsecond=0))
            self._feeds[scope] = (_signature(mine), rendered)
            return rendered


def _signature(entries: list[tuple[FeedItem, ItemVersion, str]]) -> tuple[tuple[str, int, str], ...]:
    return tuple(sorted((item.uid, version.sequence, digest) for item, version, digest in entries))
