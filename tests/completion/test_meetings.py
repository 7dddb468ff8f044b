"""``qaf meetings held|cancelled|list`` and the attendance measure, on each shipped
framework file, SQLite and PostgreSQL: a meeting found by its planned day (or any day of
its month, or the working day a bank holiday moved it to), attendance by roster key,
recording again, and refusals that write nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.learning_tables import MeetingAttendance, MeetingRecord
from qaframework.persistence.meetings import attendance, record_held
from qaframework.persistence.tables import AuditLogEntry, Occurrence, Task
from tests.completion.conftest import TODAY, YEAR, Qaf, attended_body, meetings, moved_meeting, plan, snapshot
from tests.concurrency import at_once
from tests.completion.test_tasks_done import _refused


def _meeting_of(framework: Framework, body: str, index: int = 0):  # type: ignore[no-untyped-def]
    return [m for m in meetings(framework) if m.activity == body][index]


def _record(url: str, key: str) -> tuple[MeetingRecord | None, list[str]]:
    with transaction(url) as session:
        occurrence_id = session.execute(select(Occurrence.id).where(Occurrence.key == key)).scalar_one()
        record = session.get(MeetingRecord, occurrence_id)
        agencies = sorted(session.execute(select(MeetingAttendance.agency_key).where(MeetingAttendance.occurrence_id == occurrence_id)).scalars())
        return record, agencies


def test_a_meeting_held_with_its_attendance_and_recorded_again(cli: Qaf, planned: str, partnership: Framework) -> None:
    body, attendees = attended_body(partnership)
    meeting = _meeting_of(partnership, body)
    first, second = attendees[0], attendees[1]
    code, out, err = cli("meetings", "held", body, "--on", meeting.start.isoformat(), "--attended", f"{first},{first}, {second}")
    assert code == 0, err
    assert out.startswith(f"Held: the {partnership.bodies[body].name} meeting planned for {meeting.start:%d %B %Y} ({meeting.key})")
    assert "with 2 agencies attending" in out
    record, agencies = _record(planned, meeting.key)
    assert record is not None and (record.status, record.held_on) == ("held", meeting.start) and agencies == sorted([first, second])

    before = snapshot(planned)
    code, out, _ = cli("meetings", "held", body, "--on", meeting.start.isoformat(), "--attended", second)
    assert code == 0 and "nothing changed" in out and snapshot(planned) == before
    others = [a for a in partnership.agencies if a not in (first, second)]
    code, out, _ = cli("meetings", "held", body, "--on", meeting.start.isoformat(), "--attended", others[0], "--attended", first)
    assert code == 0 and "1 more agency recorded as attending (3 in all)" in out
    assert _record(planned, meeting.key)[1] == sorted([first, second, others[0]])
    with transaction(planned) as session:
        actions = [e.action for e in session.execute(select(AuditLogEntry).where(AuditLogEntry.subject == meeting.key)).scalars()]
    assert actions == ["meeting-held", "meeting-attendance-added"]

    before = snapshot(planned)
    _refused(cli("meetings", "held", body, "--on", (meeting.start + timedelta(days=1)).isoformat()), f"was recorded as held on {meeting.start.isoformat()}")
    _refused(cli("meetings", "cancelled", body, "--meeting", meeting.start.isoformat()), "it cannot be cancelled")
    assert snapshot(planned) == before


def test_a_meeting_held_late_in_its_month_or_in_another_with_meeting(cli: Qaf, planned: str, partnership: Framework) -> None:
    body, _ = attended_body(partnership)
    first, second = _meeting_of(partnership, body, 0), _meeting_of(partnership, body, 1)
    late = first.start + timedelta(days=1)
    if late.month == first.start.month:  # held a day late: found by the day it was held
        assert cli("meetings", "held", body, "--on", late.isoformat())[0] == 0
        assert _record(planned, first.key)[0].held_on == late  # type: ignore[union-attr]
    # Held in the month after it was planned: found by --meeting, its planned day.
    moved = second.start.replace(day=1) + timedelta(days=40)
    assert cli("meetings", "held", body, "--on", moved.isoformat(), "--meeting", second.start.isoformat())[0] == 0
    assert _record(planned, second.key)[0].held_on == moved  # type: ignore[union-attr]


def test_a_meeting_moved_by_a_bank_holiday_is_found_by_its_actual_day(cli: Qaf, database_url: str, partnership: Framework,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    meeting, bank_holiday = moved_meeting(partnership)
    plan(database_url, partnership, year=meeting.financial_year)
    monkeypatch.setattr("qaframework.cli_tasks.today_in", lambda zone: meeting.start + timedelta(days=7))
    code, out, err = cli("meetings", "held", meeting.activity, "--on", meeting.start.isoformat())
    assert code == 0, err
    assert f"planned for {meeting.start:%d %B %Y} ({meeting.key})" in out
    assert _record(database_url, meeting.key)[0].held_on == meeting.start  # type: ignore[union-attr]
    if bank_holiday.month == meeting.start.month:  # the day it would have been names the same meeting
        code, out, _ = cli("meetings", "held", meeting.activity, "--on", meeting.start.isoformat(), "--meeting", bank_holiday.isoformat())
        assert code == 0 and "nothing changed" in out


def test_cancelled_meetings_and_the_list(cli: Qaf, planned: str, partnership: Framework) -> None:
    body, attendees = attended_body(partnership)
    held, cancelled = _meeting_of(partnership, body, 0), _meeting_of(partnership, body, 1)
    assert cli("meetings", "held", body, "--on", held.start.isoformat(), "--attended", attendees[0])[0] == 0
    code, out, err = cli("meetings", "cancelled", body, "--meeting", cancelled.start.isoformat())
    assert code == 0 and out.startswith("Cancelled: the "), err
    before = snapshot(planned)
    code, out, _ = cli("meetings", "cancelled", body, "--meeting", cancelled.start.isoformat())
    assert code == 0 and "already recorded as cancelled: nothing changed" in out and snapshot(planned) == before
    _refused(cli("meetings", "held", body, "--on", cancelled.start.isoformat()), "was recorded as cancelled")

    code, out, err = cli("meetings", "list", "--fy", str(YEAR), "--json")
    assert code == 0, err
    rows = {r["meeting"]: r for r in json.loads(out)}
    assert set(rows) == {m.key for m in meetings(partnership)}
    assert (rows[held.key]["status"], rows[held.key]["held_on"], rows[held.key]["attendance"]) == ("held", held.start.isoformat(), 1)
    assert (rows[cancelled.key]["status"], rows[cancelled.key]["attendance"]) == ("cancelled", 0)
    assert {r["status"] for k, r in rows.items() if k not in (held.key, cancelled.key)} == {"planned"}
    assert rows[held.key]["starts_at"] == held.starts_at.isoformat()  # type: ignore[union-attr]
    code, out, _ = cli("meetings", "list", "--fy", str(YEAR))
    assert f"{held.start.isoformat()}  {held.starts_at:%H:%M}  {body}" in out and "held" in out  # type: ignore[union-attr]
    assert out.splitlines()[-1].startswith(f"{len(rows)} meetings in financial year") and "1 held, 1 cancelled" in out


def test_meeting_tasks_are_closed_when_held_and_cancelled_when_cancelled(planned: str, partnership: Framework) -> None:
    """The plan gives meetings no tasks; a task some future version puts on one is finished with it."""
    body, _ = attended_body(partnership)
    held, cancelled = _meeting_of(partnership, body, 0), _meeting_of(partnership, body, 1)
    with transaction(planned) as session:
        for m in (held, cancelled):
            occurrence_id = session.execute(select(Occurrence.id).where(Occurrence.key == m.key)).scalar_one()
            session.add(Task(occurrence_id=occurrence_id, assignee_kind="body", assignee_key=body, due=m.start, status="open"))
    from qaframework.persistence.meetings import record_cancelled

    with transaction(planned) as session:
        record_held(session=session, framework=partnership, body=body, held_on=held.start, attended=[], today=TODAY, actor="test")
        record_cancelled(session=session, framework=partnership, body=body, meeting_day=cancelled.start, actor="test")
    with transaction(planned) as session:
        rows = {o: (t.status, t.done_on) for t, o in session.execute(
            select(Task, Occurrence.key).join(Occurrence, Task.occurrence_id == Occurrence.id).where(Occurrence.kind == "meeting")).all()}  # type: ignore[arg-type]
    assert rows == {held.key: ("closed", held.start), cancelled.key: ("cancelled", None)}


def test_bad_meeting_input_is_one_line_and_writes_nothing(cli: Qaf, planned: str, partnership: Framework) -> None:
    body, _ = attended_body(partnership)
    meeting = _meeting_of(partnership, body)
    without = next(k for k, b in partnership.bodies.items() if b.meetings is None)
    before = snapshot(planned)
    _refused(cli("meetings", "held", "no-such-body", "--on", meeting.start.isoformat()), "is not a body")
    _refused(cli("meetings", "held", without, "--on", meeting.start.isoformat()), "has no meetings in the framework file")
    _refused(cli("meetings", "held", body, "--on", meeting.start.isoformat(), "--attended", "no-such-agency"), "is not an agency of the roster")
    _refused(cli("meetings", "held", body, "--on", "2027-13-01"), "is not a real date")
    _refused(cli("meetings", "held", body, "--on", (TODAY + timedelta(days=1)).isoformat(), "--meeting", meeting.start.isoformat()), "is in the future")
    gap = meeting.start.replace(day=1) - timedelta(days=1)  # the month before its first meeting of the year: none that month
    if not [m for m in meetings(partnership) if m.activity == body and (m.start.year, m.start.month) == (gap.year, gap.month)]:
        _refused(cli("meetings", "cancelled", body, "--meeting", gap.isoformat()), "no meeting")
    _refused(cli("meetings", "cancelled", body, "--meeting", "2040-06-01"), "plan the year first")
    assert snapshot(planned) == before


def test_two_records_of_one_meeting_at_once_record_it_once(planned: str, partnership: Framework) -> None:
    body, attendees = attended_body(partnership)
    meeting = _meeting_of(partnership, body)

    def held() -> bool:
        with transaction(planned) as session:
            return record_held(session=session, framework=partnership, body=body, held_on=meeting.start, attended=attendees,
                               today=TODAY, actor="test").recorded

    assert sorted(at_once(held)) == [False, True]
    assert _record(planned, meeting.key)[1] == sorted(attendees)


def test_attendance_counts_held_meetings_of_the_bodies_each_agency_attends(planned: str, partnership: Framework) -> None:
    body, attendees = attended_body(partnership)
    first, second, third = (_meeting_of(partnership, body, i) for i in range(3))
    elsewhere = next(k for k, b in partnership.bodies.items() if b.meetings is not None and k != body)
    outsider = next((a for a, agency in partnership.agencies.items() if body not in agency.attends), None)
    with transaction(planned) as session:
        record_held(session=session, framework=partnership, body=body, held_on=first.start, attended=attendees, today=TODAY, actor="test")
        record_held(session=session, framework=partnership, body=body, held_on=second.start, attended=attendees[:1] + ([outsider] if outsider else []),
                    today=TODAY, actor="test")
        from qaframework.persistence.meetings import record_cancelled

        record_cancelled(session=session, framework=partnership, body=body, meeting_day=third.start, actor="test")
        measure = attendance(session=session, framework=partnership, financial_year=YEAR)
    assert set(measure) == set(partnership.agencies)
    assert measure[attendees[0]][0] == 2 and measure[attendees[1]][0] == 1
    for key, agency in partnership.agencies.items():
        held_here = 2 if body in agency.attends else 0
        assert measure[key][1] == held_here, key  # cancelled and unrecorded meetings are not counted
        assert measure[key][0] <= measure[key][1]
    if outsider is not None:
        assert measure[outsider] == (0, 0), "a meeting of a body it does not attend is not counted"
    with transaction(planned) as session:
        assert attendance(session=session, framework=partnership, financial_year=YEAR + 1) == {k: (0, 0) for k in partnership.agencies}
    assert elsewhere != body
