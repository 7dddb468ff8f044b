"""Placing later (``place_pending``): a finding recorded when its bodies' next meetings are
not planned yet is placed once they are, once; and a placement never moves, even if the
framework file changes."""

from __future__ import annotations

import dataclasses
from datetime import date

from sqlalchemy import select

from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.finding_routes import place_pending
from qaframework.persistence.learning_tables import Finding, FindingPlacement
from qaframework.persistence.tables import AuditLogEntry, Occurrence
from tests.findings.test_typed import _subject, _theme
from tests.partnerships.conftest import Qaf, plan_years


def _placements(url: str) -> dict[str, tuple[str, str | None, int | None]]:
    with transaction(url) as session:
        rows = session.execute(
            select(FindingPlacement.route, FindingPlacement.kind, Occurrence.key, FindingPlacement.financial_year)
            .outerjoin(Occurrence, Occurrence.id == FindingPlacement.occurrence_id)  # type: ignore[arg-type]
        ).all()
    return {route: (kind, key, fy) for route, kind, key, fy in rows}


def test_pending_routes_are_placed_once_the_year_is_planned_and_never_moved(partnership_qaf: Qaf, database_url: str, partnership: Framework) -> None:
    plan_years(partnership_qaf, [2027], date(2027, 4, 1))
    key, body = _subject(partnership)
    activity = partnership.activities[key.split("/")[0]]
    code, out, err = partnership_qaf("findings", "add", "--occurrence", key, "--title", "Plans drift", "--summary", "Reviews late",
                                     "--kind", "area-for-improvement", "--theme", _theme(partnership), "--on", "2028-03-30")
    assert code == 0, err
    meeting_routes = [r for r in activity.routes if r in partnership.bodies and partnership.bodies[r].meetings]
    assert "waiting for a meeting: " + ", ".join(meeting_routes) in out
    before = _placements(database_url)
    assert not set(before) & set(meeting_routes)
    reports = [r for r in activity.routes if r in partnership.activities]
    assert all(before[r] == ("activity", None, 2027) for r in reports), "the report's year is known before it is planned"

    with transaction(database_url) as session:
        nothing = place_pending(session=session, framework=partnership, on=date(2028, 3, 31))
    assert (nothing.placed, nothing.linked, nothing.pending) == (0, 0, len(meeting_routes))

    plan_years(partnership_qaf, [2028], date(2028, 3, 1))
    with transaction(database_url) as session:
        result = place_pending(session=session, framework=partnership, on=date(2028, 3, 31), actor="prefect:check-deadlines")
    assert (result.placed, result.linked, result.pending) == (len(meeting_routes), len(reports), 0)
    after = _placements(database_url)
    for route in meeting_routes:
        kind, occurrence, fy = after[route]
        assert kind == "meeting" and occurrence is not None and occurrence.startswith(f"{route}/2028-") and fy == 2028
    assert all(after[r][1] is not None and after[r][1].startswith(f"{r}/2028-") for r in reports)
    with transaction(database_url) as session:
        placed_by = [a.actor for a in session.execute(select(AuditLogEntry).where(AuditLogEntry.action == "finding-placed")).scalars()]
    assert placed_by.count("prefect:check-deadlines") == len(meeting_routes)

    # Again: nothing new. And with papers due much earlier in a changed framework, nothing moves.
    changed_bodies = {k: b.model_copy(update={"papers_due_working_days": 30}) for k, b in partnership.bodies.items()}
    changed = dataclasses.replace(partnership, document=partnership.document.model_copy(update={"bodies": changed_bodies}))
    for framework in (partnership, changed):
        with transaction(database_url) as session:
            again = place_pending(session=session, framework=framework, on=date(2028, 4, 1))
        assert (again.placed, again.linked, again.pending) == (0, 0, 0)
    assert _placements(database_url) == after
    code, out, _ = partnership_qaf("findings", "list", "--route", body, "--json")
    assert '"pending": []' in out


def test_a_withdrawn_finding_is_not_placed_later(partnership_qaf: Qaf, database_url: str, partnership: Framework) -> None:
    plan_years(partnership_qaf, [2027], date(2027, 4, 1))
    key, _ = _subject(partnership)
    code, _, err = partnership_qaf("findings", "add", "--occurrence", key, "--title", "Plans drift", "--summary", "Reviews late",
                                   "--kind", "good-practice", "--theme", _theme(partnership), "--on", "2028-03-30")
    assert code == 0, err
    with transaction(database_url) as session:
        finding = session.execute(select(Finding)).scalar_one()
        finding.status = "withdrawn"
        session.add(finding)
    before = _placements(database_url)
    plan_years(partnership_qaf, [2028], date(2028, 3, 1))
    with transaction(database_url) as session:
        result = place_pending(session=session, framework=partnership, on=date(2028, 3, 31))
    assert result.placed == 0 and _placements(database_url) == before


def test_a_cancelled_meeting_gives_its_findings_to_the_bodys_next_meeting_or_leaves_them_pending(
        partnership_qaf: Qaf, database_url: str, partnership: Framework) -> None:
    from qaframework.persistence.meetings import record_cancelled

    plan_years(partnership_qaf, [2027], date(2027, 4, 1))
    key, body = _subject(partnership)
    code, _, err = partnership_qaf("findings", "add", "--occurrence", key, "--title", "Plans drift", "--summary", "Reviews late",
                                   "--kind", "good-practice", "--theme", _theme(partnership), "--on", "2027-06-01")
    assert code == 0, err
    moved_to = []
    while True:
        kind, meeting, _ = _placements(database_url)[body]
        assert kind == "meeting" and meeting is not None
        moved_to.append(meeting)
        with transaction(database_url) as session:
            day = session.execute(select(Occurrence.window_start).where(Occurrence.key == meeting)).scalar_one()
            record_cancelled(session=session, framework=partnership, body=body, meeting_day=day, actor="test", cancelled_on=day)
        if body not in _placements(database_url):
            break
        assert _placements(database_url)[body][1] != meeting, "a cancelled meeting keeps no findings"
    assert len(moved_to) >= 2 and moved_to == sorted(moved_to)
    with transaction(database_url) as session:
        unplaced = [(a.subject, a.detail) for a in session.execute(  # type: ignore[attr-defined]
            select(AuditLogEntry).where(AuditLogEntry.action == "finding-unplaced").order_by(AuditLogEntry.id)).scalars()]
    assert [s for s, _ in unplaced] == ["F-2027-0001"] * len(moved_to)
    assert [m in str(d) for (_, d), m in zip(unplaced, moved_to)] == [True] * len(moved_to)
    code, out, _ = partnership_qaf("findings", "list", "--json")
    assert body in __import__("json").loads(out)[0]["pending"], "no meeting left: pending for place_pending"
    plan_years(partnership_qaf, [2028], date(2028, 3, 1))
    with transaction(database_url) as session:
        place_pending(session=session, framework=partnership, on=date(2028, 3, 31))
    kind, meeting, _ = _placements(database_url)[body]
    assert kind == "meeting" and meeting is not None and meeting > moved_to[-1]
