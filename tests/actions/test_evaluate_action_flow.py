"""The evaluate-action deployment under a real Prefect API: a runner serves it, the test
answers its form through the API as the UI does. A refused answer is deleted from Prefect
and the form offered again with the reason; the recorded answer is deleted once stored;
nothing typed reaches Prefect's parameters, inputs, logs or artifacts. And the risk
register and heat map artifacts that check-deadlines publishes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID

import pytest
from sqlalchemy import select

from qaframework.clock import today_in
from qaframework.framework import Framework
from qaframework.persistence.actions import add_action, complete_action
from qaframework.persistence.database import transaction
from qaframework.persistence.learning_tables import ActionEvaluation
from qaframework.persistence.tables import AuditLogEntry
from tests.actions.conftest import first_activity_occurrence, make_finding, planned_without_tasks
from tests.flows.runner import FORM_WAIT_SECONDS
from tests.flows.runner import client as _client
from tests.flows.runner import served as serve
from tests.flows.runner import wait_for

CANARY = "CANARY-Evaluation-Note-Wilhelmina"


@pytest.fixture(scope="module")
def served(prefect_api: None) -> Iterator[None]:
    from flows.evaluate_action import evaluate_action

    with serve(evaluate_action, "evaluate-action"):
        yield


@pytest.fixture
def flow_database(database_url: str, partnership: Framework, monkeypatch: pytest.MonkeyPatch) -> str:
    """The flows read QAF_ settings when they start: point them at a fresh database and
    the partnership's file."""
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_FRAMEWORK_FILE", str(partnership.source))
    planned_without_tasks(database_url, partnership)
    return database_url


def _today(partnership: Framework) -> date:
    """The flow runs in its own process and asks the clock: the test's days are relative to today."""
    return today_in(partnership.document.partnership.timezone)


def _done_action(url: str, partnership: Framework) -> str:
    """An action added 90 days ago and done 30 days ago."""
    today = _today(partnership)
    subject, _ = first_activity_occurrence(partnership)
    finding = make_finding(url, partnership, subject)
    with transaction(url) as session:
        reference = add_action(session=session, framework=partnership, what="Invite health to every strategy discussion",
                               owner=next(iter(partnership.agencies)), due=today + timedelta(days=30), actor="test",
                               on=today - timedelta(days=90), finding_reference=finding)
        complete_action(session=session, reference=reference, on=today - timedelta(days=30), evidence="Minutes of the meeting", actor="test",
                        today=today)
    return reference


def _inputs(run_id: UUID) -> list:  # type: ignore[type-arg]
    with _client() as client:
        return list(client.filter_flow_run_input(flow_run_id=run_id, key_prefix="suspended-", limit=100, exclude_keys=set()))


def _answer(run_id: UUID, key: str, values: dict[str, object]) -> None:
    """Fill in the waiting form once its schema is there (resuming earlier fails)."""
    from prefect.flow_runs import resume_flow_run

    deadline = time.monotonic() + FORM_WAIT_SECONDS
    while time.monotonic() < deadline:
        if wait_for(run_id, {"PAUSED", "FAILED", "CRASHED", "COMPLETED"}).state.type.value == "PAUSED" and any(
                i.key == f"suspended-{key}-schema" for i in _inputs(run_id)):
            resume_flow_run(run_id, run_input=values)
            return
        time.sleep(0.3)
    raise AssertionError(f"no form {key}: {[i.key for i in _inputs(run_id)]}")


def test_a_refused_answer_is_offered_again_and_nothing_typed_stays_in_prefect(served: None, flow_database: str, partnership: Framework) -> None:
    from prefect.deployments import run_deployment

    reference = _done_action(flow_database, partnership)
    today = _today(partnership)
    before_done, tomorrow, last_week = today - timedelta(days=60), today + timedelta(days=1), today - timedelta(days=7)
    run = run_deployment("evaluate-action/evaluate-action", parameters={"reference": reference}, timeout=0)
    key = f"evaluate-{reference.lower()}"
    # Evaluated before it was done: refused, not quoted, asked again.
    _answer(run.id, f"{key}-1", {"reference": reference, "judgement": "evidenced", "evaluated_on": before_done.isoformat(), "note": CANARY})
    # Evaluated tomorrow: refused too, asked again.
    _answer(run.id, f"{key}-2", {"reference": reference, "judgement": "evidenced", "evaluated_on": tomorrow.isoformat(), "note": "Too soon"})
    _answer(run.id, f"{key}-3", {"reference": reference, "judgement": "partly-evidenced", "evaluated_on": last_week.isoformat(), "note": "Attendance up; no audit yet"})
    finished = wait_for(run.id, {"COMPLETED", "FAILED", "CRASHED"})
    assert finished.state.type.value == "COMPLETED"

    with transaction(flow_database) as session:
        judged = session.execute(select(ActionEvaluation.judgement, ActionEvaluation.evaluated_on, ActionEvaluation.note, ActionEvaluation.actor)).all()
        refused = session.execute(select(AuditLogEntry.detail).where(AuditLogEntry.action == "action-evaluation-refused").order_by(AuditLogEntry.id)).scalars().all()
    assert [tuple(j)[:3] for j in judged] == [("partly-evidenced", last_week, "Attendance up; no audit yet")]
    assert judged[0].actor == f"prefect:evaluate-action:{run.id}"
    assert len(refused) == 2 and CANARY not in str(refused)
    assert f"cannot be evaluated on {before_done}, before it" in json.loads(refused[0])["reason"]
    assert f"cannot be evaluated on {tomorrow}: that is after today ({today})" in json.loads(refused[1])["reason"]

    inputs = _inputs(run.id)
    assert not [i.key for i in inputs if i.key.endswith("-response")], "answers are deleted from Prefect once handled"
    schema_3 = next(i.value for i in inputs if i.key == f"suspended-{key}-3-schema")
    assert reference in str(schema_3), "the form is offered again"
    import httpx
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    logs = httpx.post(f"{api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [str(run.id)]}}, "limit": 200}, timeout=30).json()
    with _client() as client:
        parameters = str(client.read_flow_run(run.id).parameters)
    everything = [parameters, *[str(i.value) for i in inputs], *[entry["message"] for entry in logs]]
    assert any(f"cannot be evaluated on {before_done}" in text for text in everything), "the reason is shown"
    assert any(f"cannot be evaluated on {tomorrow}: that is after today" in text for text in everything), "the reason is shown"
    for text in everything:
        assert CANARY not in text and "Wilhelmina" not in text


def test_an_open_action_is_not_evaluated(served: None, flow_database: str, partnership: Framework) -> None:
    from prefect.deployments import run_deployment

    subject, _ = first_activity_occurrence(partnership)
    finding = make_finding(flow_database, partnership, subject)
    with transaction(flow_database) as session:
        reference = add_action(session=session, framework=partnership, what="Audit the referral form", owner=next(iter(partnership.agencies)),
                               due=date(2027, 9, 30), actor="test", on=date(2027, 6, 1), finding_reference=finding)
    run = run_deployment("evaluate-action/evaluate-action", parameters={"reference": reference}, timeout=0)
    assert wait_for(run.id, {"COMPLETED", "FAILED", "CRASHED"}).state.type.value == "FAILED"
    with transaction(flow_database) as session:
        assert session.execute(select(ActionEvaluation)).first() is None


def test_the_risk_register_and_heat_map_artifacts(prefect_api: None, flow_database: str, partnership: Framework) -> None:
    import httpx
    from prefect import flow
    from prefect.settings import PREFECT_API_URL

    from qaframework.learning.register import ARTIFACT_KEYS
    from qaframework.learning.risk import rate
    from tasks.learning_artifacts import HEAT_MAP_KEY, REGISTER_KEY, publish_risk_register

    @flow
    def publish() -> dict:  # type: ignore[type-arg]
        return publish_risk_register(flow_database, partnership, date(2027, 9, 1))

    def latest(key: str) -> tuple[list[dict[str, str]], str]:
        found = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter",
                           json={"artifacts": {"key": {"any_": [key]}}, "limit": 1, "sort": "CREATED_DESC"}, timeout=30).json()
        data = found[0]["data"]
        return (json.loads(data) if isinstance(data, str) else data), found[0]["description"]

    publish()  # an empty register publishes too
    assert latest(REGISTER_KEY)[0] == []
    subject, _ = first_activity_occurrence(partnership)
    risk = make_finding(flow_database, partnership, subject, kind="risk", likelihood=4, impact=3, title="Too few audits")
    published = publish()
    register, description = latest(REGISTER_KEY)
    assert register == published[REGISTER_KEY] and [r["reference"] for r in register] == [risk]
    # The artifact (shown in the Prefect UI) carries no finding's free text: no title.
    assert set(register[0]) == set(ARTIFACT_KEYS) and "title" not in register[0]
    assert register[0]["theme"] == partnership.document.themes[next(iter(partnership.document.themes))]
    assert register[0]["score"] == rate(partnership.document.risk_matrix, 4, 3).score
    assert "Too few audits" not in json.dumps(register) + description
    matrix = partnership.document.risk_matrix
    assert f": 1, {int(bool(register[0]['above_tolerance']))} above tolerance {matrix.tolerance};" in description and len(description) <= 100
    grid, _ = latest(HEAT_MAP_KEY)
    assert [row["impact"] for row in grid] == [f"{i} {matrix.impact[i]}" for i in (5, 4, 3, 2, 1)]
    assert grid[2][f"4 {matrix.likelihood[4]}"].endswith(f": {risk}")
