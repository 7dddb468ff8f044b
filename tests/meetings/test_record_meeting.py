"""``record_meeting``: a meeting held with its attendance, decisions and agreed actions (or
cancelled), recorded again without adding anything, added to later, and every refusal
naming its field and writing nothing; ``agreed_at`` and ``decisions_of`` reading it back."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qaframework.framework import Framework
from qaframework.persistence.actions import complete_action, drop_action
from qaframework.persistence.database import transaction
from qaframework.persistence.learning_tables import ImprovementAction
from qaframework.persistence.meetings import (
    AgreedAction, AgreedActionLine, MeetingRecordError, agreed_at, attendance, decisions_of, record_meeting,
)
from qaframework.persistence.tables import AuditLogEntry, Occurrence, Task
from tests.meetings.conftest import TODAY, YEAR, attended_body, audit_actions, counts, meeting_of, occurrence_id, owners


def _record(url: str, framework: Framework, body: str, day: date, **given: object):  # type: ignore[no-untyped-def]
    with transaction(url) as session:
        return record_meeting(session=session, framework=framework, body=body, meeting_day=day, today=given.pop("today", TODAY),  # type: ignore[arg-type]
                              actor="test", **{"held": True, **given})  # type: ignore[arg-type]


def test_a_meeting_held_with_attendance_decisions_and_actions_and_recorded_again(planned: str, partnership: Framework) -> None:
    body, attendees = attended_body(partnership)
    meeting = meeting_of(partnership, body)
    agency, unit = owners(partnership)
    due = meeting.start + timedelta(days=60)
    actions = [AgreedAction("Audit the referral pathway again", agency, due), AgreedAction("Circulate the revised plan", unit, due + timedelta(days=1))]
    done = _record(planned, partnership, body, meeting.start, attended=[attendees[0], attendees[1], attendees[0]],
                   decisions=["Adopt the audit plan", "  Adopt   the audit plan ", "Ask for a report in the autumn"], actions=actions)
    assert (done.key, done.status, done.held_on, done.recorded, done.attendance) == (meeting.key, "held", meeting.start, True, 2)
    assert (done.decisions_added, done.decisions, done.actions) == ((1, 2), 2, 2)
    fy = meeting.start.year if meeting.start.month >= 4 else meeting.start.year - 1
    assert done.actions_added == (f"A-{fy}-0001", f"A-{fy}-0002") and done.changed

    oid = occurrence_id(planned, meeting.key)
    with transaction(planned) as session:
        assert decisions_of(session=session, occurrence_id=oid) == ["Adopt the audit plan", "Ask for a report in the autumn"]
        assert agreed_at(session=session, occurrence_id=oid, today=meeting.start) == [
            AgreedActionLine(f"A-{fy}-0001", "Audit the referral pathway again", "agency", agency, due, "open", False, None),
            AgreedActionLine(f"A-{fy}-0002", "Circulate the revised plan", "body", unit, due + timedelta(days=1), "open", False, None),
        ]
        # Each is an action of the previous issue: its owner's task opened the day the meeting was held.
        tasks = session.execute(select(Task.assignee_key, Task.due, Task.status, Task.opened_on, Occurrence.activity)
                                .join(ImprovementAction, ImprovementAction.task_id == Task.id)
                                .join(Occurrence, Task.occurrence_id == Occurrence.id).order_by(ImprovementAction.number)).all()  # type: ignore[arg-type]
        assert [tuple(t) for t in tasks] == [(agency, due, "open", meeting.start, body), (unit, due + timedelta(days=1), "open", meeting.start, body)]
        # Attendance feeds Core 4: both agencies attended one of the one held meeting they attend.
        counted = attendance(session=session, framework=partnership, financial_year=fy)
    assert counted[attendees[0]] == counted[attendees[1]] == (1, 1)
    assert audit_actions(planned, meeting.key) == ["meeting-held", "meeting-decisions-added", "meeting-actions-agreed"]

    # The same again (spaces aside), with the agencies in another order: nothing is added.
    before = counts(planned)
    again = _record(planned, partnership, body, meeting.start, held_on=meeting.start, attended=[attendees[1], attendees[0]],
                    decisions=["Ask for a report  in the autumn", "Adopt the audit plan"],
                    actions=[AgreedAction(" Circulate the revised  plan", unit, due + timedelta(days=1)), actions[0]])
    assert (again.recorded, again.added, again.decisions_added, again.actions_added, again.changed) == (False, (), (), (), False)
    assert counts(planned) == before

    # Later: one more decision and one more action, and the rest again: only they are added.
    later = _record(planned, partnership, body, meeting.start, decisions=["Adopt the audit plan", "Review the plan in March"],
                    actions=[*actions, AgreedAction("Audit the referral pathway again", agency, due + timedelta(days=7))])
    assert (later.decisions_added, later.decisions, later.actions_added, later.actions) == ((3,), 3, (f"A-{fy}-0003",), 3)
    with transaction(planned) as session:
        assert decisions_of(session=session, occurrence_id=oid)[-1] == "Review the plan in March"


def test_agreed_actions_show_where_they_stand(planned: str, partnership: Framework) -> None:
    body, _ = attended_body(partnership)
    meeting = meeting_of(partnership, body)
    agency, unit = owners(partnership)
    due = meeting.start + timedelta(days=30)
    done = _record(planned, partnership, body, meeting.start, actions=[
        AgreedAction("First", agency, due), AgreedAction("Second", unit, due), AgreedAction("Third", agency, due + timedelta(days=10))])
    first, second, third = done.actions_added
    with transaction(planned) as session:
        complete_action(session=session, reference=first, on=due - timedelta(days=1), evidence="Audit report filed", actor="test", today=TODAY)
        drop_action(session=session, reference=second, reason="Overtaken by the new plan", on=due, actor="test", today=TODAY)
    with transaction(planned) as session:
        lines = agreed_at(session=session, occurrence_id=done.occurrence_id, today=due + timedelta(days=11))
        other = meeting_of(partnership, body, 1)
        assert agreed_at(session=session, occurrence_id=occurrence_id(planned, other.key)) == []
    assert [(a.reference, a.status, a.overdue, a.done_on) for a in lines] == [
        (first, "done", False, due - timedelta(days=1)), (second, "dropped", False, None), (third, "open", True, None)]
    assert lines[2].as_dict() == {"reference": third, "what": "Third", "owner_kind": "agency", "owner": agency,
                                  "due": (due + timedelta(days=10)).isoformat(), "status": "open", "overdue": True, "done_on": None}


def test_a_meeting_cancelled_and_the_rules_between_held_and_cancelled(planned: str, partnership: Framework) -> None:
    body, attendees = attended_body(partnership)
    held, cancelled = meeting_of(partnership, body, 0), meeting_of(partnership, body, 1)
    outcome = _record(planned, partnership, body, cancelled.start, held=False)
    assert (outcome.status, outcome.recorded, outcome.held_on, outcome.attendance) == ("cancelled", True, None, 0)
    before = counts(planned)
    assert _record(planned, partnership, body, cancelled.start, held=False).changed is False and counts(planned) == before
    with pytest.raises(MeetingRecordError) as refused:
        _record(planned, partnership, body, cancelled.start, decisions=["Adopt the plan"])
    assert (refused.value.field, f"was recorded as cancelled: it cannot be recorded as held" in refused.value.reason) == ("held", True)
    _record(planned, partnership, body, held.start, attended=[attendees[0]])
    with pytest.raises(MeetingRecordError) as refused:
        _record(planned, partnership, body, held.start, held=False)
    assert refused.value.field == "held" and refused.value.reason.endswith("it cannot be cancelled")
    with pytest.raises(MeetingRecordError) as refused:
        _record(planned, partnership, body, held.start, held_on=held.start + timedelta(days=1))
    assert refused.value.field == "held_on" and refused.value.reason.endswith(f"was recorded as held on {held.start}: give that day")
    assert counts(planned) == {**before, "MeetingAttendance": before["MeetingAttendance"] + 1, "MeetingRecord": before["MeetingRecord"] + 1,
                               "AuditLogEntry": before["AuditLogEntry"] + 1}


IDENTIFYING = "Child seen at BA1 1AA"


def test_refusals_name_the_field_and_write_nothing(planned: str, partnership: Framework) -> None:
    body, attendees = attended_body(partnership)
    meeting = meeting_of(partnership, body)
    agency, unit = owners(partnership)
    due = meeting.start + timedelta(days=30)
    ok = AgreedAction("Audit the pathway", agency, due)
    without = next(k for k, b in partnership.bodies.items() if b.meetings is None)
    cases: list[tuple[dict[str, object], str, int | None, str]] = [
        ({"decisions": ["Fine", IDENTIFYING]}, "decisions", 2, "looks like a UK postcode"),
        ({"decisions": ["x" * 2001]}, "decisions", 1, "is 2001 characters long: at most 2000"),
        ({"decisions": ["   "]}, "decisions", 1, "is empty"),
        ({"actions": [ok, AgreedAction("Born on 12/03/2015", agency, due)]}, "actions", 2, "could be a date of birth"),
        ({"actions": [AgreedAction("Audit it", agency, meeting.start - timedelta(days=1))]}, "actions", 1,
         f"is due on {meeting.start - timedelta(days=1)}, before the meeting ({meeting.start}): give a due date on or after it"),
        ({"actions": [AgreedAction("Audit it", "no-such-owner", due)]}, "actions", 1, "is not an agency or body of the partnership"),
        ({"attended": [attendees[0], "no-such-agency"]}, "attended", None, "'no-such-agency' is not an agency of the roster"),
        ({"today": meeting.start - timedelta(days=1)}, "held_on", None, f"{meeting.start} is in the future"),
        ({"held": False, "decisions": ["Adopt"]}, "decisions", None, "a cancelled meeting has no attendance, decisions or actions"),
        ({"held": False, "held_on": meeting.start}, "held_on", None, "a cancelled meeting was not held"),
    ]
    before = counts(planned)
    for given, field, item, reason in cases:
        with pytest.raises(MeetingRecordError) as refused:
            _record(planned, partnership, body, meeting.start, attended=given.pop("attended", [attendees[0]] if given.get("held", True) else []), **given)
        assert (refused.value.field, refused.value.item) == (field, item), given
        assert reason in refused.value.reason and "BA1" not in str(refused.value) and "12/03" not in str(refused.value)
    for name, day, field in (("no-such-body", meeting.start, "body"), (without, meeting.start, "body"),
                             (body, meeting.start - timedelta(days=400), "meeting")):
        with pytest.raises(MeetingRecordError) as refused:
            _record(planned, partnership, name, day)
        assert refused.value.field == field
    assert counts(planned) == before
    with transaction(planned) as session:
        assert not session.execute(select(AuditLogEntry).where(AuditLogEntry.subject == meeting.key)).first()


def test_a_meeting_of_the_next_year_numbers_its_actions_in_the_year_it_was_held(database_url: str, partnership: Framework) -> None:
    from tests.meetings.conftest import plan

    plan(database_url, partnership, YEAR + 1)
    body, _ = attended_body(partnership)
    meeting = meeting_of(partnership, body, 0, YEAR + 1)
    agency, _ = owners(partnership)
    done = _record(database_url, partnership, body, meeting.start, today=meeting.start, actions=[AgreedAction("Audit it", agency, meeting.start)])
    assert done.actions_added == (f"A-{YEAR + 1}-0001",)
