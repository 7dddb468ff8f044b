"""The feeds, built from the database and kept in memory until the data changes.

A refresh reads the occurrences and tasks, records item versions, and notes for each
feed which item versions it holds. A feed is rendered again only when that list
changes; otherwise the cached bytes, ETag and Last-Modified are served as they are.

The feed server refreshes in a background thread (``start_refreshing``), so a request
never waits for the database to be re-read; without it (tests, the CLI) a stale
catalog refreshes on the next request.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from sqlalchemy.engine import Engine

from qaframework.deadlines import working_day_calendar
from qaframework.feeds.items import FeedItem, build_items, scope_title
from qaframework.feeds.rendering import FeedRenderer, ItemVersion
from qaframework.framework import Framework
from qaframework.persistence.calendar_versions import feed_last_modified, sync_versions
from qaframework.persistence.database import session_scope
from qaframework.persistence.reporting import assignees_by_occurrence, occurrence_facts
from qaframework.persistence.tables import utc_now

Entry = tuple[FeedItem, ItemVersion, str]


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

    def __init__(self, framework: Framework, engine: Engine, refresh_seconds: float = 60.0,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._framework = framework
        self.engine = engine
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        doc = framework.document
        self._renderer = FeedRenderer(doc.partnership.timezone, doc.feeds.refresh_interval_hours)
        self._working_days = working_day_calendar(framework)
        self._lock = threading.RLock()
        self._refreshed_at: float | None = None
        self._background: threading.Thread | None = None
        self._stop = threading.Event()
        self._by_scope: dict[str, list[Entry]] = {}
        self._feeds: dict[str, tuple[tuple[tuple[str, int, str], ...], RenderedFeed]] = {}

    def refresh(self) -> None:
        """Re-read the data now, record item versions, and drop the cached feeds whose
        items changed."""
        with session_scope(self.engine) as session:
            occurrences = occurrence_facts(session=session)
            assignees = assignees_by_occurrence(session=session)
            items = build_items(self._framework, occurrences, assignees, self._working_days)
            entries = sync_versions(
                session=session, items=items, now=self._clock(),
                retention_days=self._framework.document.feeds.cancelled_retention_days,
            )
        by_scope: dict[str, list[Entry]] = {}
        for entry in entries:
            for audience in entry[0].audiences:
                by_scope.setdefault(audience, []).append(entry)
        signatures = {scope: _signature(found) for scope, found in by_scope.items()}
        with self._lock:
            self._feeds = {scope: cached for scope, cached in self._feeds.items() if cached[0] == signatures.get(scope, ())}
            self._by_scope = by_scope
            self._refreshed_at = time.monotonic()

    def start_refreshing(self) -> None:
        """Refresh now, then every ``refresh_seconds`` in a background thread."""
        self.refresh()

        def loop() -> None:
            while not self._stop.wait(self._refresh_seconds):
                try:
                    self.refresh()
                except Exception:  # noqa: BLE001 - keep serving the last good feeds
                    continue

        self._background = threading.Thread(target=loop, name="feed-refresh", daemon=True)
        self._background.start()

    def stop_refreshing(self) -> None:
        self._stop.set()

    def feed(self, scope: str) -> RenderedFeed:
        """The feed for a scope, from the cache unless its items changed."""
        with self._lock:
            stale = self._refreshed_at is None or (
                self._background is None and time.monotonic() - self._refreshed_at >= self._refresh_seconds
            )
            if stale:
                self.refresh()
            cached = self._feeds.get(scope)
            if cached is not None:
                return cached[1]
            mine = self._by_scope.get(scope, [])
            name = scope_title(self._framework, scope)
            body = self._renderer.render(name, f"{name}: quality-assurance activities, deadlines and meetings.", mine)
            digest = hashlib.sha256(body).hexdigest()
            with session_scope(self.engine) as session:
                last_modified = feed_last_modified(session=session, scope=scope, body_hash=digest, now=self._clock())
            rendered = RenderedFeed(body, f'"{digest[:32]}"', last_modified)
            self._feeds[scope] = (_signature(mine), rendered)
            return rendered


def _signature(entries: list[Entry]) -> tuple[tuple[str, int, str], ...]:
    return tuple(sorted((item.uid, version.sequence, digest) for item, version, digest in entries))
