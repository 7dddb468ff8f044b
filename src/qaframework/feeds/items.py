"""What goes into the calendar feeds, and who sees it.

Pure functions from the partnership's occurrences (and who holds tasks for them) to
calendar items, each with the set of feeds ("audiences") it belongs in:

- ``partnership``: every planned activity window, due date and meeting;
- ``agency:KEY``: the windows and due dates of activities the agency has tasks for, and
  the meetings of bodies it attends;
- ``body:KEY``: its meetings, papers due, reports due to the body it reports to, and the
  activities it holds tasks for.

Rapid review and CSPR deadlines are known only by case reference and go only to the
bodies named in the framework's ``feeds.case_deadline_audience`` (by default the bodies
playing the business unit and top body roles). The business unit's feed shows every
planned item. Items carry titles, keys and dates only: never case details.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from qaframework.deadlines import papers_due
from qaframework.framework import Framework
from qaframework.occurrence_kinds import ACTION
from qaframework.working_days import WorkingDayCalendar

PARTNERSHIP = "partnership"


def agency_scope(key: str) -> str:
    return f"agency:{key}"


def body_scope(key: str) -> str:
    return f"body:{key}"


@dataclass(frozen=True)
class OccurrenceFacts:
    """One occurrence as stored: the feeds' input."""

    key: str
    activity: str
    kind: str
    title: str
    period: str | None
    window_start: date
    window_end: date
    due: date | None
    starts_at: datetime | None  # aware, UTC
    ends_at: datetime | None


@dataclass(frozen=True)
class FeedItem:
    """One VEVENT: all-day (``start``/``end`` dates, end exclusive) or timed (aware datetimes)."""

    uid: str
    summary: str
    description: str
    start: date | datetime
    end: date | datetime
    audiences: frozenset[str] = field(default_factory=frozenset)
    transparent: bool = True

    def payload(self) -> dict[str, object]:
        def encode(value: date | datetime) -> str:
            return value.isoformat()

        timed = isinstance(self.start, datetime)
        return {
            "uid": self.uid, "summary": self.summary, "description": self.description,
            "start": encode(self.start), "end": encode(self.end), "timed": timed,
            "zone": str(getattr(self.start, "tzinfo", None) or "") if timed else "",
            "audiences": sorted(self.audiences), "transparent": self.transparent,
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, object]) -> "FeedItem":
        """Rebuild an item from its stored payload; timed items return to their named
        zone (Europe/London), not a bare UTC offset, so TZID stays right."""
        if data["timed"]:
            zone = ZoneInfo(str(data.get("zone") or "UTC"))
            start: date | datetime = datetime.fromisoformat(str(data["start"])).astimezone(zone)
            end: date | datetime = datetime.fromisoformat(str(data["end"])).astimezone(zone)
        else:
            start, end = date.fromisoformat(str(data["start"])), date.fromisoformat(str(data["end"]))
        return cls(
            uid=str(data["uid"]), summary=str(data["summary"]), description=str(data["description"]),
            start=start, end=end,
            audiences=frozenset(data["audiences"]),  # type: ignore[arg-type]
            transparent=bool(data["transparent"]),
        )

    def content_hash(self) -> str:
        """Changes whenever anything a calendar shows, or who sees it, changes."""
        return hashlib.sha256(json.dumps(self.payload(), sort_keys=True).encode()).hexdigest()

    def sort_key(self) -> tuple[str, str]:
        start = self.start.astimezone(timezone.utc).isoformat() if isinstance(self.start, datetime) else self.start.isoformat()
        return (start, self.uid)


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    """Stored timestamps are aware UTC (see persistence.tables.UtcDateTime)."""
    return moment.astimezone(zone)


def _uid(kind: str, key: str, domain: str) -> str:
    return f"{kind}/{key}@{domain}"


def _long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def is_case_review(framework: Framework, activity: str) -> bool:
    """The review chain's activities (a rapid review and its decisions' branches): their
    occurrences are about a case, known only by its reference."""
    chain = framework.review_chain
    return activity == chain.activity or any(d.activity == activity for d in chain.decisions.values())


def build_items(
    framework: Framework,
    occurrences: Iterable[OccurrenceFacts],
    assignees: Mapping[str, set[tuple[str, str]]],
    working_days: WorkingDayCalendar,
) -> list[FeedItem]:
    """Every calendar item of the partnership, with its audiences.

    ``assignees`` maps an occurrence key to the (kind, key) pairs holding its tasks.
    """
    doc = framework.document
    zone = ZoneInfo(doc.partnership.timezone)
    domain = f"{doc.partnership.key}.qaframework"
    attendees: dict[str, set[str]] = {}
    for agency_key, agency in framework.agencies.items():
        for body in agency.attends:
            attendees.setdefault(body, set()).add(agency_key)
    case_audience = frozenset(body_scope(b) for b in framework.case_deadline_audience)
    unit = body_scope(framework.role("business_unit"))
    items: list[FeedItem] = []
    for occ in occurrences:
        holders = assignees.get(occ.key, set())
        scoped = {agency_scope(k) if kind == "agency" else body_scope(k) for kind, k in holders}
        if occ.kind == "meeting":
            items.extend(_meeting_items(framework, occ, zone, domain, attendees, working_days))
            continue
        if occ.kind == ACTION and occ.due is not None:
            # An improvement action is its owner's work: in its owner's and the business
            # unit's feeds (and, for one on a review case, the case audience's) only.
            reach = case_audience if is_case_review(framework, occ.activity) else frozenset()
            items.append(FeedItem(
                uid=_uid("due", occ.key, domain), summary=f"Due: {occ.title}",
                description=f"{occ.title} is due today.",
                start=occ.due, end=occ.due + timedelta(days=1), audiences=frozenset(reach | {unit} | scoped),
            ))
            continue
        if is_case_review(framework, occ.activity):
            if occ.due is None:
                continue
            reference = occ.key.split("/", 1)[1]
            title = framework.activities[occ.activity].title
            items.append(FeedItem(
                uid=_uid("due", occ.key, domain), summary=f"{reference}: {title} due",
                description=f"Case {reference}. Deadline from the framework's statutory clock.",
                start=occ.due, end=occ.due + timedelta(days=1), audiences=case_audience,
            ))
            continue
        audiences = frozenset({PARTNERSHIP, unit} | scoped)
        label = f"{occ.title} ({occ.period})" if occ.period else occ.title
        due_text = f" Due {_long_date(occ.due)}." if occ.due else ""
        items.append(FeedItem(
            uid=_uid("window", occ.key, domain), summary=label,
            description=f"{label}: window {_long_date(occ.window_start)} to {_long_date(occ.window_end)}.{due_text}",
            start=occ.window_start, end=occ.window_end + timedelta(days=1), audiences=audiences,
        ))
        if occ.due is not None:
            items.append(FeedItem(
                uid=_uid("due", occ.key, domain), summary=f"Due: {label}",
                description=f"Returns and actions for {label} are due today.",
                start=occ.due, end=occ.due + timedelta(days=1), audiences=audiences,
            ))
    return items


def _meeting_items(
    framework: Framework, occ: OccurrenceFacts, zone: ZoneInfo, domain: str,
    attendees: Mapping[str, set[str]], working_days: WorkingDayCalendar,
) -> list[FeedItem]:
    body_key = occ.activity
    body = framework.bodies.get(body_key)
    if body is None or occ.starts_at is None or occ.ends_at is None:
        return []
    starts, ends = _local(occ.starts_at, zone), _local(occ.ends_at, zone)
    meeting_day = starts.date()
    papers_day = papers_due(framework, body_key, meeting_day, working_days)
    unit = body_scope(framework.role("business_unit"))
    audiences = frozenset({PARTNERSHIP, body_scope(body_key), unit} | {agency_scope(a) for a in attendees.get(body_key, set())})
    items = [FeedItem(
        uid=_uid("meeting", occ.key, domain), summary=body.name,
        description=f"Meeting of the {body.name}. Papers due {_long_date(papers_day)}.",
        start=starts, end=ends, audiences=audiences, transparent=False,
    )]
    items.append(FeedItem(
        uid=_uid("papers", occ.key, domain), summary=f"Papers due: {body.name} ({meeting_day:%d %b})",
        description=f"Papers for the {body.name} meeting on {_long_date(meeting_day)} are due.",
        start=papers_day, end=papers_day + timedelta(days=1),
        audiences=frozenset({body_scope(body_key), unit}),
    ))
    for child_key, child in framework.bodies.items():
        if child.reports_to != body_key:
            continue
        kind = "Exception report" if child.reports_by_exception else "Report"
        items.append(FeedItem(
            uid=_uid("report", f"{child_key}/{occ.key}", domain),
            summary=f"{kind} due to {body.name} ({meeting_day:%d %b})",
            description=f"{kind} from the {child.name} to the {body.name} meeting on {_long_date(meeting_day)}.",
            start=papers_day, end=papers_day + timedelta(days=1),
            audiences=frozenset({body_scope(child_key), unit}),
        ))
    return items


def scope_title(framework: Framework, scope: str) -> str:
    """The feed's calendar name as it shows in a partner's calendar list."""
    partnership = framework.document.partnership
    short = partnership.short_name or partnership.key.upper()
    if scope == PARTNERSHIP:
        return f"{short} QA calendar"
    kind, key = scope.split(":", 1)
    found = framework.agencies.get(key) if kind == "agency" else framework.bodies.get(key)
    # An agency that has left the roster keeps its feed for a while: it shows its items
    # cancelled, under its key.
    return f"{short} QA calendar: {found.name if found else key}"


def known_scope(framework: Framework, key: str) -> str | None:
    """The feed scope for an agency key, a body key or "partnership"."""
    if key == PARTNERSHIP:
        return PARTNERSHIP
    if key in framework.agencies:
        return agency_scope(key)
    if key in framework.bodies:
        return body_scope(key)
    return None
