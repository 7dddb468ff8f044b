"""Placing findings on their routes, and placing later those that could not be placed yet.

:func:`place_finding` stores where a finding goes when it is recorded
(:mod:`qaframework.learning.routing` decides); a placement is unique per finding and
route, so placing twice, or at once, stores it once, and a stored placement never moves.
A body whose next meeting is not planned yet is placed by :func:`place_pending`, which a
scheduled flow calls every working day (and after a year is planned). A meeting that is
cancelled gives its findings up (:func:`unplace_meeting`): they are placed on the body's
next meeting instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlmodel import Session

from qaframework.framework import Framework
from qaframework.learning.routing import Meeting, PlannedActivity, Placement, Routing, report_occurrence, route_finding, routes_of
from qaframework.persistence.learning_tables import Finding, FindingPlacement, MeetingRecord
from qaframework.persistence.repository import audit, insert_ignoring_duplicates
from qaframework.persistence.tables import Occurrence, utc_now


@dataclass(frozen=True)
class PlacingResult:
    placed: int  # placements stored now
    linked: int  # report placements given their occurrence, now that it is planned
    pending: int  # routes still waiting for a meeting to be planned


def meetings_from(*, session: Session, framework: Framework, on_or_after: date) -> list[Meeting]:
    """Planned meetings on or after a day that are not cancelled, each on its day in the
    partnership's time zone."""
    zone = ZoneInfo(framework.document.partnership.timezone)
    rows = session.execute(
        select(Occurrence.key, Occurrence.activity, Occurrence.starts_at, Occurrence.window_start)
        .outerjoin(MeetingRecord, MeetingRecord.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Occurrence.kind == "meeting", Occurrence.window_start >= on_or_after)
        .where((MeetingRecord.status.is_(None)) | (MeetingRecord.status != "cancelled"))  # type: ignore[union-attr]
    ).all()
    return [Meeting(key, body, starts.astimezone(zone).date() if starts is not None else start) for key, body, starts, start in rows]


def planned_reports(*, session: Session, activities: Iterable[str]) -> list[PlannedActivity]:
    wanted = sorted(set(activities))
    if not wanted:
        return []
    rows = session.execute(
        select(Occurrence.key, Occurrence.activity, Occurrence.window_start)
        .where(Occurrence.kind == "activity", Occurrence.activity.in_(wanted))  # type: ignore[attr-defined]
    ).all()
    return [PlannedActivity(key, activity, start) for key, activity, start in rows]


def _occurrence_ids(session: Session, keys: Iterable[str]) -> dict[str, int]:
    wanted = sorted({k for k in keys if k})
    if not wanted:
        return {}
    return dict(session.execute(select(Occurrence.key, Occurrence.id).where(Occurrence.key.in_(wanted))).all())  # type: ignore[attr-defined, arg-type]


def _store(session: Session, finding: Finding, placements: Iterable[Placement], on: date, actor: str) -> int:
    placements = list(placements)
    ids = _occurrence_ids(session, [p.occurrence for p in placements if p.occurrence])
    stored = 0
    for p in placements:
        row = {"finding_id": finding.id, "route": p.route, "kind": p.kind, "occurrence_id": ids.get(p.occurrence) if p.occurrence else None,
               "financial_year": p.financial_year, "placed_on": on, "created_at": utc_now()}
        if insert_ignoring_duplicates(session, FindingPlacement, [row], ["finding_id", "route"]):
            stored += 1
            detail: dict[str, object] = {"route": p.route, "kind": p.kind, "financial_year": p.financial_year}
            if p.occurrence:
                detail["occurrence"] = p.occurrence
            if p.meeting_day:
                detail.update(meeting_day=p.meeting_day.isoformat(), papers_due=p.papers_due.isoformat() if p.papers_due else None)
            audit(session=session, actor=actor, action="finding-placed", subject=finding.reference, detail=detail)
    return stored


def _route(session: Session, framework: Framework, finding: Finding, routes: list[str], papers_open_on: date | None) -> Routing:
    since = max(finding.recorded_on, papers_open_on or finding.recorded_on)
    return route_finding(
        framework, activity=finding.activity, recorded_on=finding.recorded_on, routes=routes, papers_open_on=papers_open_on,
        meetings=meetings_from(session=session, framework=framework, on_or_after=since),
        planned=planned_reports(session=session, activities=[r for r in routes if r in framework.activities]),
    )


def unplace_meeting(*, session: Session, framework: Framework, occurrence_id: int, meeting_key: str, on: date, actor: str) -> list[str]:
    """A meeting was cancelled on ``on``: take its findings off it (audit
    ``finding-unplaced``) and place them again, on their body's next meeting whose papers
    are due on or after ``on`` (or leave them pending until one is planned). Returns the
    references taken off."""
    rows = session.execute(
        select(FindingPlacement.id, FindingPlacement.finding_id, FindingPlacement.route, Finding.reference)
        .join(Finding, Finding.id == FindingPlacement.finding_id)  # type: ignore[arg-type]
        .where(FindingPlacement.occurrence_id == occurrence_id, FindingPlacement.kind == "meeting")
        .order_by(Finding.id)
    ).all()
    if not rows:
        return []
    session.execute(delete(FindingPlacement).where(FindingPlacement.id.in_([r[0] for r in rows])))  # type: ignore[union-attr]
    for _, _, route, reference in rows:
        audit(session=session, actor=actor, action="finding-unplaced", subject=reference,
              detail={"route": route, "occurrence": meeting_key, "reason": "the meeting was cancelled", "on": on.isoformat()})
    place_pending(session=session, framework=framework, on=on, actor=actor, finding_ids=[r[1] for r in rows])
    return [r[3] for r in rows]


def place_finding(*, session: Session, framework: Framework, finding: Finding, actor: str) -> Routing:
    """Store where a newly recorded finding goes; returns the routing (with what is pending)."""
    routing = _route(session, framework, finding, routes_of(framework, finding.activity), None)
    _store(session, finding, routing.placed, finding.recorded_on, actor)
    return routing


def place_pending(*, session: Session, framework: Framework, on: date, actor: str = "system:place-pending",
                  finding_ids: Iterable[int] | None = None) -> PlacingResult:
    """Place every open finding (or only those of ``finding_ids``) on the routes it is not
    placed on yet (a body's meeting planned since; its papers must still be open on
    ``on``), and link report placements to the report's occurrence once it is planned.
    Idempotent: run it as often as you like."""
    only = None if finding_ids is None else sorted(set(finding_ids))
    if only is not None and not only:
        return PlacingResult(0, 0, 0)
    placed_routes: dict[int, set[str]] = {}
    unlinked: list[tuple[int, str, int | None]] = []
    placed_statement = (
        select(FindingPlacement.finding_id, FindingPlacement.route, FindingPlacement.kind, FindingPlacement.occurrence_id, FindingPlacement.financial_year)
        .join(Finding, Finding.id == FindingPlacement.finding_id)  # type: ignore[arg-type]
        .where(Finding.status == "open")
    )
    open_statement = select(Finding).where(Finding.status == "open").order_by(Finding.id)
    if only is not None:
        placed_statement = placed_statement.where(Finding.id.in_(only))  # type: ignore[union-attr]
        open_statement = open_statement.where(Finding.id.in_(only))  # type: ignore[union-attr]
    for finding_id, route, kind, occurrence_id, fy in session.execute(placed_statement).all():
        placed_routes.setdefault(finding_id, set()).add(route)
        if kind == "activity" and occurrence_id is None:
            unlinked.append((finding_id, route, fy))
    stored = pending = 0
    for finding in session.execute(open_statement).scalars().all():
        missing = [r for r in routes_of(framework, finding.activity) if r not in placed_routes.get(finding.id, set())]  # type: ignore[arg-type]
        if not missing:
            continue
        routing = _route(session, framework, finding, missing, on)
        stored += _store(session, finding, routing.placed, on, actor)
        pending += len(routing.pending)
    linked = 0
    if unlinked:
        planned = planned_reports(session=session, activities={route for _, route, _ in unlinked})
        ids = _occurrence_ids(session, [o.key for o in planned])
        for finding_id, route, fy in unlinked:
            key = report_occurrence(planned, route, fy) if fy is not None else None
            if key is not None:
                linked += session.execute(
                    update(FindingPlacement).where(FindingPlacement.finding_id == finding_id, FindingPlacement.route == route,
                                                   FindingPlacement.occurrence_id.is_(None))  # type: ignore[union-attr]
                    .values(occurrence_id=ids[key])
                ).rowcount or 0
    return PlacingResult(stored, linked, pending)
