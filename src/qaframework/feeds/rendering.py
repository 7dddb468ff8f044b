"""Rendering feeds as iCalendar text that real clients (Outlook, Google, Apple,
Thunderbird) handle.

Each event is rendered once per version by icalendar and its bytes cached, so a feed of
2,000 events rebuilt after one change renders one event and joins the rest. The feed
header and the Europe/London ``VTIMEZONE`` are built once per feed name.

Deliberate choices, each of which has bitten someone:
- ``REFRESH-INTERVAL;VALUE=DURATION:PT4H`` and ``X-PUBLISHED-TTL:PT4H`` written with the
  value type spelled out (icalendar would otherwise omit it, or write ``4:00:00``);
- one ``VTIMEZONE`` with two RRULE-based rules (last Sunday of March and of October), not
  the list of dates ``add_missing_timezones()`` writes, which ical.js misreads and Outlook
  ignores;
- all-day items as ``VALUE=DATE`` with an exclusive ``DTEND``; meetings with ``TZID``;
- ``DTSTAMP`` and ``LAST-MODIFIED`` from when the item last changed, never "now", so
  unchanged data gives byte-identical feeds; no ``ATTENDEE``, ``ORGANIZER`` or alarms.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vText

from qaframework.errors import QAFrameworkError
from qaframework.feeds.items import FeedItem

PRODID = "-//qaframework//Safeguarding partnership QA calendar//EN"
SUPPORTED_ZONE = "Europe/London"


@dataclass(frozen=True)
class ItemVersion:
    sequence: int
    last_modified: datetime  # UTC
    cancelled: bool


def london_vtimezone() -> Timezone:
    """Europe/London as two rules: BST from the last Sunday of March at 01:00 UTC, GMT
    from the last Sunday of October at 01:00 UTC (02:00 BST)."""
    zone = Timezone()
    zone.add("tzid", SUPPORTED_ZONE)
    zone.add("x-lic-location", SUPPORTED_ZONE)
    summer = TimezoneDaylight()
    summer.add("tzname", "BST")
    summer.add("tzoffsetfrom", timedelta(0))
    summer.add("tzoffsetto", timedelta(hours=1))
    summer.add("dtstart", datetime(1970, 3, 29, 1, 0, 0))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    winter = TimezoneStandard()
    winter.add("tzname", "GMT")
    winter.add("tzoffsetfrom", timedelta(hours=1))
    winter.add("tzoffsetto", timedelta(0))
    winter.add("dtstart", datetime(1970, 10, 25, 2, 0, 0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


class FeedRenderer:
    """Renders feeds, caching each event's bytes by (uid, sequence, content)."""

    def __init__(self, zone: str, refresh_hours: int, cache_size: int = 50_000) -> None:
        if zone != SUPPORTED_ZONE:
            raise QAFrameworkError(f"calendar feeds support the {SUPPORTED_ZONE} time zone only, not {zone}")
        self._refresh = f"PT{refresh_hours}H"
        self._blocks: OrderedDict[tuple[str, int, str, bool], bytes] = OrderedDict()
        self._cache_size = cache_size
        self._prefixes: dict[str, bytes] = {}
        self._timezone = london_vtimezone().to_ical()

    def _prefix(self, name: str, description: str) -> bytes:
        key = f"{name}\x00{description}"
        if key not in self._prefixes:
            cal = Calendar()
            cal.add("version", "2.0")
            cal.add("prodid", PRODID)
            cal.add("calscale", "GREGORIAN")
            cal.add("method", "PUBLISH")
            cal.add("name", name)
            cal.add("x-wr-calname", name)
            cal.add("x-wr-caldesc", description)
            cal.add("x-wr-timezone", SUPPORTED_ZONE)
            cal.add("refresh-interval", vText(self._refresh), parameters={"VALUE": "DURATION"})
            cal.add("x-published-ttl", vText(self._refresh))
            text = cal.to_ical()
            self._prefixes[key] = text[: text.rindex(b"END:VCALENDAR")]
        return self._prefixes[key]

    def event_block(self, item: FeedItem, version: ItemVersion, content_hash: str) -> bytes:
        key = (item.uid, version.sequence, content_hash, version.cancelled)
        block = self._blocks.get(key)
        if block is not None:
            self._blocks.move_to_end(key)
            return block
        event = Event()
        event.add("uid", item.uid)
        stamp = version.last_modified.astimezone(timezone.utc).replace(microsecond=0)
        event.add("dtstamp", stamp)
        event.add("last-modified", stamp)
        event.add("sequence", version.sequence)
        event.add("summary", ("Cancelled: " if version.cancelled else "") + item.summary)
        event.add("description", item.description)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("status", "CANCELLED" if version.cancelled else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if item.transparent else "OPAQUE")
        block = event.to_ical()
        self._blocks[key] = block
        if len(self._blocks) > self._cache_size:
            self._blocks.popitem(last=False)
        return block

    def render(self, name: str, description: str, entries: Iterable[tuple[FeedItem, ItemVersion, str]]) -> bytes:
        """One feed: header, time zone, events in a stable order, footer."""
        ordered = sorted(entries, key=lambda e: e[0].sort_key())
        parts = [self._prefix(name, description), self._timezone]
        parts.extend(self.event_block(item, version, digest) for item, version, digest in ordered)
        parts.append(b"END:VCALENDAR\r\n")
        return b"".join(parts)
