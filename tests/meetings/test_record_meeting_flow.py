"""The record-meeting deployment under the session's Prefect API: a runner serves it, the
test answers its form through the API as the UI does. The form is pre-filled with the
meeting (held, its planned day, the roster's agencies as choices); a refused answer is
deleted from Prefect and the form offered again with the reason (which never quotes it);
the answer that records the meeting is deleted once stored; nothing typed reaches
Prefect's parameters, inputs, logs or artifacts.

The flow reads today from the clock, so these tests use a meeting of the financial year
2026/27 held before this was written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qaframework.clock import today_in
from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.learning_tables import ImprovementAction, MeetingRecord
from qaframework.persistence.meetings import agreed_at, decisions_of, present_at
from qaframework.persistence.tables import AuditLogEntry
from qaframework.yearly_plan import PlannedOccurrence
from tests.completion.test_complete_task_flow import _answer, _form, _inputs
from tests.flows.runner import client as _client
from tests.flows.runner import served as serve
from tests.flows.runner import wait_for
from tests.meetings.conftest import attended_body, counts, meetings, occurrence_id, owners, plan

YEAR = 2026
CANARY = "CANARY-Decision-Wilhelmina"


@pytest.fixture(scope="module")
def served(prefect_api: None) -> Iterator[None]:
    from flows.record_meeting import record_meeting

    with serve(record_meeting, "record-meeting"):
        yield


def _held_meeting(framework: Framework) -> tuple[str, list[str], PlannedOccurrence]:
    """A body that agencies attend, its agencies, and its first meeting before today."""
    body, attendees = attended_body(framework)
    today = today_in(framework.document.partnership.timezone)
    meeting = next(m for m in meetings(framework, YEAR) if m.activity == body and m.start < today)
    return body, attendees, meeting


@pytest.fixture
def flow_database(database_url: str, partnership: Framework, monkeypatch: pytest.MonkeyPatch) -> str:
    """The flows read QAF_ settings when they start: a fresh database, the partnership's file, its year planned."""
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_FRAMEWORK_FILE", str(partnership.source))
    plan(database_url, partnership, YEAR)
    return database_url


def _everything(run_id: object) -> list[str]:
    """What Prefect keeps of the run: its parameters, inputs and logs."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    logs = httpx.post(f"{PREFECT_API_URL.value()}/logs/filter", json={"logs": {"flow_run_id": {"any_": [str(run_id)]}}, "limit": 200}, timeout=30).json()
    with _client() as client:
        parameters = client.read_flow_run(run_id).parameters  # type: ignore[arg-type]
    return [str(parameters), *[str(i.value) for i in _inputs(run_id)], *[entry["message"] for entry in logs]]  # type: ignore[arg-type]


def test_the_form_is_prefilled_refused_answers_come_back_and_the_meeting_is_recorded(served: None, flow_database: str,
                                                                                     partnership: Framework) -> None:
    from prefect.deployments import run_deployment

    body, attendees, meeting = _held_meeting(partnership)
    agency, unit = owners(partnership)
    oid = occurrence_id(flow_database, meeting.key)
    run = run_deployment("record-meeting/record-meeting", parameters={"body": body, "meeting": meeting.start.isoformat()}, timeout=0)
    key = f"meeting-{oid}"
    due = meeting.start + timedelta(days=60)
    answer = {"held": True, "held_on": meeting.start.isoformat(), "attended": attendees[:2], "decisions": ["Adopt the audit plan"],
              "actions": [{"what": "Audit the referral pathway again", "owner": agency, "due": due.isoformat()},
                          {"what": "Circulate the plan", "owner": unit, "due": due.isoformat()}]}
    before = counts(flow_database)

    # A decision that looks identifying: refused, never quoted.
    schema, description = _answer(run.id, f"{key}-1", {**answer, "decisions": [f"{CANARY} seen at BA1 1AA"]})
    properties = schema["properties"]
    assert (properties["held"]["default"], properties["held_on"]["default"], properties["attended"]["default"]) == (True, meeting.start.isoformat(), [])
    assert properties["attended"]["items"]["enum"] == list(partnership.agencies)
    owner_choices = schema["$defs"]["ActionAgreed"]["properties"]["owner"]["enum"]
    assert owner_choices == [*partnership.agencies, *partnership.bodies]
    assert f"({meeting.key}). Pressing Resume records it, all of it or nothing" in description
    # An action due before the meeting: refused with the reason.
    _, description = _answer(run.id, f"{key}-2", {**answer, "actions": [{"what": CANARY, "owner": agency,
                                                                         "due": (meeting.start - timedelta(days=1)).isoformat()}]})
    assert "The last answer was not recorded: decisions, number 1: looks like a UK postcode" in description
    assert CANARY not in description and "BA1" not in description
    _, description = _form(run.id, f"{key}-3")
    assert counts(flow_database) == {**before, "AuditLogEntry": before["AuditLogEntry"] + 2}, "a refused answer writes only its note"
    _answer(run.id, f"{key}-3", answer)
    assert f"actions, number 1: is due on {meeting.start - timedelta(days=1)}, before the meeting ({meeting.start})" in description
    finished = wait_for(run.id, {"COMPLETED", "FAILED", "CRASHED"})
    assert finished.state.type.value == "COMPLETED", finished.state

    with transaction(flow_database) as session:
        record = session.get(MeetingRecord, oid)
        assert record is not None and (record.status, record.held_on) == ("held", meeting.start)
        assert present_at(session=session, occurrence_id=oid) == sorted(attendees[:2])
        assert decisions_of(session=session, occurrence_id=oid) == ["Adopt the audit plan"]
        assert [(a.what, a.owner, a.due, a.status) for a in agreed_at(session=session, occurrence_id=oid)] == [
            ("Audit the referral pathway again", agency, due, "open"), ("Circulate the plan", unit, due, "open")]
        actor = f"prefect:record-meeting:{run.id}"
        entries = session.execute(select(AuditLogEntry.action).where(AuditLogEntry.subject == meeting.key, AuditLogEntry.actor == actor)
                                  .order_by(AuditLogEntry.id)).scalars().all()
        assert list(entries) == ["meeting-form-refused", "meeting-form-refused", "meeting-held", "meeting-decisions-added",
                                 "meeting-actions-agreed", "meeting-form-recorded"]
        assert all(CANARY not in e for e in session.execute(select(AuditLogEntry.detail)).scalars())
    assert not [i.key for i in _inputs(run.id) if i.key.endswith("-response")], "answers are deleted from Prefect once handled"
    everything = _everything(run.id)
    assert any("looks like a UK postcode" in text for text in everything), "the reason is shown"
    for text in everything:
        assert CANARY not in text and "BA1 1AA" not in text and "Audit the referral pathway" not in text

    # Another run: the form says what is recorded; the same answer again adds nothing.
    again = run_deployment("record-meeting/record-meeting", parameters={"body": body, "meeting": meeting.start.isoformat()}, timeout=0)
    before = counts(flow_database)
    schema, description = _answer(again.id, f"{key}-1", answer)
    assert schema["properties"]["attended"]["default"] == sorted(attendees[:2])
    assert f"Recorded already: held on {meeting.start:%d %B %Y}, 2 agencies present, 1 decisions, 2 actions agreed" in description
    assert wait_for(again.id, {"COMPLETED", "FAILED", "CRASHED"}).state.type.value == "COMPLETED"
    assert counts(flow_database) == {**before, "AuditLogEntry": before["AuditLogEntry"] + 1}


def test_a_meeting_cancelled_by_the_form_then_ends_at_once_and_an_unknown_meeting_fails(served: None, flow_database: str,
                                                                                        partnership: Framework) -> None:
    from prefect.deployments import run_deployment

    body, _, meeting = _held_meeting(partnership)
    oid = occurrence_id(flow_database, meeting.key)
    run = run_deployment("record-meeting/record-meeting", parameters={"body": body, "meeting": meeting.start.isoformat()}, timeout=0)
    _answer(run.id, f"meeting-{oid}-1", {"held": False, "held_on": meeting.start.isoformat(), "attended": [], "decisions": [], "actions": []})
    assert wait_for(run.id, {"COMPLETED", "FAILED", "CRASHED"}).state.type.value == "COMPLETED"
    with transaction(flow_database) as session:
        record = session.get(MeetingRecord, oid)
        assert record is not None and (record.status, record.held_on) == ("cancelled", None)
        assert session.execute(select(ImprovementAction)).first() is None

    again = run_deployment("record-meeting/record-meeting", parameters={"body": body, "meeting": meeting.start.isoformat()}, timeout=0)
    assert wait_for(again.id, {"COMPLETED", "FAILED", "CRASHED"}).state.type.value == "COMPLETED"
    assert not [i for i in _inputs(again.id) if i.key.endswith("-schema")], "no form for a cancelled meeting"
    lost = run_deployment("record-meeting/record-meeting", parameters={"body": body, "meeting": date(YEAR - 5, 6, 1).isoformat()}, timeout=0)
    assert wait_for(lost.id, {"COMPLETED", "FAILED", "CRASHED"}).state.type.value == "FAILED"
    assert not _inputs(lost.id)
