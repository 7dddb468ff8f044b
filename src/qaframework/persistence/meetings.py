"""Meetings held or cancelled, who attended, and the attendance measure (Core 4).

A body's meetings are planned occurrences (``qaf plan``) on their actual days: a meeting
day that is a bank holiday is planned on the working day it moved to. A meeting is
found by its body and a day: the planned day itself, or else any day in the same month
(a body meets at most once a month), so a meeting held a few days late is found by the
day it was held.

Recording is idempotent. The first record of a meeting (``MeetingRecord``, one per
meeting) wins; recording it held again on the same day adds only agencies not already
recorded as attending (duplicates are ignored), and cancelling it again changes nothing.
Held on another day, held after it was cancelled, or cancelled after it was held: refused.
Tasks a meeting occurrence carries (the plan writes none today: a meeting is an event,
not work owed) are closed as done when it is held and cancelled when it is.

``record_meeting`` records the whole of a meeting at once (``qaf meetings record`` and
the ``record-meeting`` form): held (with the agencies present, the decisions and the
actions agreed, which become improvement actions with an owner and a due date) or
cancelled. Everything given is checked before anything is written; recording it again
adds only what is new (see ``persistence/meeting_minutes.py`` for how a decision and an
action are known).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlmodel import Session

from qaframework.errors import excerpt
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.action_views import ActionError
from qaframework.persistence.actions import owner_kind_of
from qaframework.persistence.finding_routes import unplace_meeting
from qaframework.persistence.learning_tables import MeetingAttendance, MeetingRecord
# MeetingError, AgreedAction, AgreedActionLine, agreed_at and decisions_of are used from here too.
from qaframework.persistence.meeting_errors import MeetingError, MeetingRecordError  # noqa: F401
from qaframework.persistence.meeting_minutes import (  # noqa: F401
    AgreedAction, AgreedActionLine, add_agreed_actions, add_decisions, agreed_at, checked_minute, counts_of, decisions_of,
)
from qaframework.persistence.repository import audit, insert_ignoring_duplicates
from qaframework.persistence.tables import UNFINISHED, Occurrence, Task, utc_now

#: How far either side of a day a meeting is looked for, to name the nearest ones.
_NEAR = timedelta(days=92)


@dataclass(frozen=True)
class MeetingLine:
    """One meeting as ``qaf meetings list`` shows it: planned, held or cancelled."""

    key: str
    body: str
    title: str
    day: date  # the planned day
    starts_at: datetime | None
    status: str  # planned | held | cancelled
    held_on: date | None
    attended: tuple[str, ...]
    decisions: int = 0  # recorded
    actions: int = 0  # agreed at it

    def as_json(self) -> dict[str, object]:
        return {"meeting": self.key, "body": self.body, "title": self.title, "day": self.day.isoformat(),
                "starts_at": self.starts_at.isoformat() if self.starts_at else None, "status": self.status,
                "held_on": self.held_on.isoformat() if self.held_on else None,
                "attendance": len(self.attended), "attended": list(self.attended),
                "decisions": self.decisions, "actions": self.actions}


@dataclass(frozen=True)
class MeetingOutcome:
    """What recording a meeting did: ``recorded`` whether this made the meeting's record
    (False: it was recorded so already), ``added`` the agencies newly recorded as attending."""

    key: str
    body: str
    day: date
    status: str
    held_on: date | None
    added: tuple[str, ...]
    attendance: int
    recorded: bool

    @property
    def changed(self) -> bool:
        return self.recorded or bool(self.added)


def meeting_bodies(framework: Framework) -> list[str]:
    """The bodies whose meetings the framework file plans."""
    return [key for key, body in framework.bodies.items() if body.meetings is not None]


def find_meeting(*, session: Session, framework: Framework, body: str, day: date) -> Occurrence:
    """The body's meeting planned on ``day``, or else in the month of ``day``."""
    known = meeting_bodies(framework)
    if body not in known:
        what = "has no meetings in the framework file" if body in framework.bodies else "is not a body"
        raise MeetingError(f"{excerpt(body)} {what}: expected one of {', '.join(known)}")
    near = list(session.execute(
        select(Occurrence).where(Occurrence.kind == "meeting", Occurrence.activity == body,
                                 Occurrence.window_start >= day - _NEAR, Occurrence.window_start <= day + _NEAR)
        .order_by(Occurrence.window_start)
    ).scalars())
    for match in ([o for o in near if o.window_start == day], [o for o in near if (o.window_start.year, o.window_start.month) == (day.year, day.month)]):
        if match:
            return match[0]
    if not near:
        fy = FinancialYear.containing(day)
        raise MeetingError(f"no meeting of {body} is planned near {day.isoformat()}: plan the year first (qaf plan --fy {fy.start_year})")
    nearest = sorted(near, key=lambda o: abs((o.window_start - day).days))[:2]
    raise MeetingError(f"{body} has no meeting planned on or in the month of {day.isoformat()}: the nearest are "
                       f"{' and '.join(sorted(o.window_start.isoformat() for o in nearest))} (see qaf meetings list)")


def _record(session: Session, occurrence_id: int) -> MeetingRecord | None:
    return session.execute(
        select(MeetingRecord).where(MeetingRecord.occurrence_id == occurrence_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _attendees(session: Session, occurrence_id: int) -> list[str]:
    return list(session.execute(
        select(MeetingAttendance.agency_key).where(MeetingAttendance.occurrence_id == occurrence_id).order_by(MeetingAttendance.agency_key)
    ).scalars())


def present_at(*, session: Session, occurrence_id: int) -> list[str]:
    """The agencies recorded as present at the meeting, by key."""
    return _attendees(session, occurrence_id)


def _checked_agencies(framework: Framework, attended: Iterable[str]) -> list[str]:
    keys: list[str] = []
    for key in (a.strip() for a in attended):
        if key not in framework.agencies:
            raise MeetingError(f"--attended: {excerpt(key)} is not an agency of the roster: expected agency keys, comma-separated, "
                               f"from {', '.join(framework.agencies)}")
        if key not in keys:
            keys.append(key)
    return keys


def record_held(
    *, session: Session, framework: Framework, body: str, held_on: date, attended: Iterable[str], today: date, actor: str,
    meeting_day: date | None = None,
) -> MeetingOutcome:
    """Record the body's meeting as held on ``held_on`` with the agencies that attended
    (roster keys). The meeting is the one planned on or in the month of ``meeting_day``
    (default ``held_on``)."""
    agencies = _checked_agencies(framework, attended)
    if held_on > today:
        raise MeetingError(f"--on: {held_on.isoformat()} is in the future (today is {today.isoformat()}): record a meeting once it is held")
    meeting = find_meeting(session=session, framework=framework, body=body, day=meeting_day or held_on)
    assert meeting.id is not None
    new = insert_ignoring_duplicates(session, MeetingRecord, [
        {"occurrence_id": meeting.id, "status": "held", "held_on": held_on, "actor": actor[:120], "recorded_at": utc_now()}], ["occurrence_id"])
    record = _record(session, meeting.id)
    assert record is not None
    if record.status == "cancelled":
        raise MeetingError(f"the {body} meeting of {meeting.window_start.isoformat()} was recorded as cancelled: it was not changed")
    if record.held_on != held_on:
        raise MeetingError(f"the {body} meeting of {meeting.window_start.isoformat()} was recorded as held on {record.held_on}: it was not changed")
    before = set(_attendees(session, meeting.id))
    insert_ignoring_duplicates(session, MeetingAttendance, [{"occurrence_id": meeting.id, "agency_key": a} for a in agencies],
                               ["occurrence_id", "agency_key"])
    everyone = _attendees(session, meeting.id)
    added = tuple(a for a in agencies if a not in before)
    if new:
        chair = framework.bodies[body].chair or framework.bodies[body].name
        now = utc_now()
        session.execute(
            update(Task).where(Task.occurrence_id == meeting.id, Task.status.in_(UNFINISHED))  # type: ignore[attr-defined]
            .values(status="closed", closed_at=now, done_on=held_on, done_by=chair[:120], evidence="meeting held", updated_at=now)
        )
        audit(session=session, actor=actor, action="meeting-held", subject=meeting.key,
              detail={"held_on": held_on.isoformat(), "planned": meeting.window_start.isoformat(), "attended": everyone})
    elif added:
        audit(session=session, actor=actor, action="meeting-attendance-added", subject=meeting.key, detail={"attended": list(added)})
    return MeetingOutcome(meeting.key, body, meeting.window_start, "held", held_on, added, len(everyone), recorded=bool(new))


def record_cancelled(*, session: Session, framework: Framework, body: str, meeting_day: date, actor: str,
                     cancelled_on: date | None = None) -> MeetingOutcome:
    """Record the body's meeting planned on (or in the month of) ``meeting_day`` as
    cancelled. Findings placed on it are taken off and placed, in the same transaction,
    on the body's next meeting whose papers are due on or after ``cancelled_on`` (default
    the meeting's planned day), or left pending until one is planned."""
    meeting = find_meeting(session=session, framework=framework, body=body, day=meeting_day)
    assert meeting.id is not None
    new = insert_ignoring_duplicates(session, MeetingRecord, [
        {"occurrence_id": meeting.id, "status": "cancelled", "held_on": None, "actor": actor[:120], "recorded_at": utc_now()}], ["occurrence_id"])
    record = _record(session, meeting.id)
    assert record is not None
    if record.status == "held":
        raise MeetingError(f"the {body} meeting of {meeting.window_start.isoformat()} was recorded as held on {record.held_on}: it cannot be cancelled")
    if new:
        now = utc_now()
        session.execute(
            update(Task).where(Task.occurrence_id == meeting.id, Task.status.in_(UNFINISHED))  # type: ignore[attr-defined]
            .values(status="cancelled", updated_at=now)
        )
        audit(session=session, actor=actor, action="meeting-cancelled", subject=meeting.key, detail={"planned": meeting.window_start.isoformat()})
    # Its findings go to the body's next meeting (a cancelled meeting is never a placement).
    unplace_meeting(session=session, framework=framework, occurrence_id=meeting.id, meeting_key=meeting.key,
                    on=cancelled_on or meeting.window_start, actor=actor)
    return MeetingOutcome(meeting.key, body, meeting.window_start, "cancelled", None, (), 0, recorded=bool(new))


def meeting_lines(*, session: Session, financial_year: int, zone: str = "UTC") -> list[MeetingLine]:
    """Every meeting planned in the financial year, by day: planned, held or cancelled;
    start times in ``zone`` (the partnership's)."""
    tz = ZoneInfo(zone)
    rows = session.execute(
        select(Occurrence, MeetingRecord.status, MeetingRecord.held_on)
        .outerjoin(MeetingRecord, MeetingRecord.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Occurrence.kind == "meeting", Occurrence.financial_year == financial_year)
        .order_by(Occurrence.window_start, Occurrence.activity)
    ).all()
    attendees: dict[int, list[str]] = {}
    for occurrence_id, agency in session.execute(
        select(MeetingAttendance.occurrence_id, MeetingAttendance.agency_key)
        .where(MeetingAttendance.occurrence_id.in_([o.id for o, _, _ in rows]))  # type: ignore[attr-defined]
        .order_by(MeetingAttendance.agency_key)
    ).all():
        attendees.setdefault(occurrence_id, []).append(agency)
    minutes = counts_of(session=session, occurrence_ids=[o.id for o, _, _ in rows])
    return [MeetingLine(o.key, o.activity, o.title, o.window_start, o.starts_at.astimezone(tz) if o.starts_at else None, status or "planned", held_on, tuple(attendees.get(o.id, [])),
                        *minutes.get(o.id, (0, 0)))
            for o, status, held_on in rows]


def attendance(*, session: Session, framework: Framework, financial_year: int) -> dict[str, tuple[int, int]]:
    """For each roster agency: (meetings attended, meetings held) in the financial year,
    counting only the held meetings of the bodies it attends (its roster ``attends``),
    so the first is never more than the second. The dataset's meeting-attendance measure
    (Core 4) is the first as a percentage of the second; (0, 0) means nothing to count."""
    held = dict(session.execute(
        select(Occurrence.id, Occurrence.activity).join(MeetingRecord, MeetingRecord.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Occurrence.kind == "meeting", Occurrence.financial_year == financial_year, MeetingRecord.status == "held")
    ).all())
    present = set(session.execute(
        select(MeetingAttendance.occurrence_id, MeetingAttendance.agency_key).where(MeetingAttendance.occurrence_id.in_(list(held)))  # type: ignore[attr-defined]
    ).tuples())
    result: dict[str, tuple[int, int]] = {}
    for key, agency in framework.agencies.items():
        expected = [oid for oid, body in held.items() if body in agency.attends]
        result[key] = (sum(1 for oid in expected if (oid, key) in present), len(expected))
    return result



@dataclass(frozen=True)
class MeetingRecorded(MeetingOutcome):
    """What ``record_meeting`` did: the meeting held (``added`` the agencies newly
    recorded as present) or cancelled, the decisions newly recorded (their numbers) and
    the actions newly agreed (their references), and how many of each it has in all."""

    decisions_added: tuple[int, ...] = ()
    actions_added: tuple[str, ...] = ()
    decisions: int = 0
    actions: int = 0
    occurrence_id: int = 0  # the meeting's occurrence (for agreed_at and decisions_of)

    @property
    def changed(self) -> bool:
        return self.recorded or bool(self.added or self.decisions_added or self.actions_added)


def _present(framework: Framework, attended: Iterable[str]) -> list[str]:
    keys: list[str] = []
    for key in (str(a).strip() for a in attended):
        if key not in framework.agencies:
            raise MeetingRecordError("attended", f"{excerpt(key)} is not an agency of the roster: expected agency keys from {', '.join(framework.agencies)}")
        if key not in keys:
            keys.append(key)
    return keys


def _checked_action(framework: Framework, agreed: AgreedAction, item: int) -> AgreedAction:
    what = checked_minute(agreed.what, "actions", item)
    try:
        owner_kind_of(framework, str(agreed.owner).strip())
    except ActionError as exc:
        raise MeetingRecordError("actions", str(exc), item=item) from None
    if not isinstance(agreed.due, date):
        raise MeetingRecordError("actions", "has no due date: give the day it is due, YYYY-MM-DD", item=item)
    return AgreedAction(what, str(agreed.owner).strip(), agreed.due)


def record_meeting(
    *, session: Session, framework: Framework, body: str, meeting_day: date, held: bool, today: date, actor: str,
    held_on: date | None = None, attended: Iterable[str] = (), decisions: Iterable[str] = (), actions: Iterable[AgreedAction] = (),
) -> MeetingRecorded:
    """Record the body's meeting planned on (or in the month of) ``meeting_day``: held on
    ``held_on`` (default its planned day; not after ``today``) with the agencies present
    (roster keys), its decisions and the actions agreed (each due on or after the day it
    was held), or cancelled (with none of those). Everything is checked before anything is
    written (MeetingRecordError names the field); recording it again adds only what is new.
    A meeting recorded held cannot be recorded cancelled, nor held on another day, and one
    recorded cancelled cannot be recorded held."""
    present = _present(framework, attended)
    texts = [checked_minute(text, "decisions", item) for item, text in enumerate(decisions, 1)]
    agreed = [_checked_action(framework, a, item) for item, a in enumerate(actions, 1)]
    if not held:
        if held_on is not None:
            raise MeetingRecordError("held_on", "a cancelled meeting was not held: leave the day out, or record it held")
        for field, given in (("attended", present), ("decisions", texts), ("actions", agreed)):
            if given:
                raise MeetingRecordError(field, "a cancelled meeting has no attendance, decisions or actions: leave them out, or record it held")
    try:
        meeting = find_meeting(session=session, framework=framework, body=body, day=meeting_day)
    except MeetingError as exc:
        raise MeetingRecordError("meeting" if body in meeting_bodies(framework) else "body", str(exc)) from None
    assert meeting.id is not None
    planned = meeting.window_start
    day = held_on or planned
    if held and day > today:
        raise MeetingRecordError("held_on", f"{day.isoformat()} is in the future (today is {today.isoformat()}): record a meeting once it is held")
    for item, a in enumerate(agreed, 1):
        if held and a.due < day:
            raise MeetingRecordError("actions", f"is due on {a.due.isoformat()}, before the meeting ({day.isoformat()}): give a due date on or after it", item=item)
    existing = _record(session, meeting.id)
    if existing is not None and existing.status == "cancelled" and held:
        raise MeetingRecordError("held", f"the {body} meeting of {planned.isoformat()} was recorded as cancelled: it cannot be recorded as held")
    if existing is not None and existing.status == "held":
        if not held:
            raise MeetingRecordError("held", f"the {body} meeting of {planned.isoformat()} was recorded as held on {existing.held_on}: it cannot be cancelled")
        if existing.held_on != day:
            raise MeetingRecordError("held_on", f"the {body} meeting of {planned.isoformat()} was recorded as held on {existing.held_on}: give that day")
    try:
        if held:
            outcome = record_held(session=session, framework=framework, body=body, held_on=day, attended=present, today=today, actor=actor,
                                  meeting_day=planned)
        else:
            outcome = record_cancelled(session=session, framework=framework, body=body, meeting_day=planned, actor=actor)
    except MeetingError as exc:  # recorded otherwise meanwhile, by a run at the same moment
        raise MeetingRecordError("held", str(exc)) from None
    # Held locked until the transaction ends, so two records of one meeting at once add each decision and action once.
    session.execute(select(MeetingRecord).where(MeetingRecord.occurrence_id == meeting.id).with_for_update()).scalar_one()
    numbers = add_decisions(session=session, meeting=meeting, decisions=texts, actor=actor)
    references = add_agreed_actions(session=session, framework=framework, meeting=meeting, actions=agreed, on=day, actor=actor)
    counts = counts_of(session=session, occurrence_ids=[meeting.id]).get(meeting.id, (0, 0))
    return MeetingRecorded(outcome.key, outcome.body, outcome.day, outcome.status, outcome.held_on, outcome.added, outcome.attendance,
                           outcome.recorded, numbers, references, *counts, meeting.id)
