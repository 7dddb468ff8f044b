"""The complete-task deployment under a real Prefect API: a runner serves it, the test
answers its form through the API as the UI does. The form is pre-filled with the task; a
refused answer is deleted from Prefect and the form offered again with the reason (which
never quotes it); the answer that marks the task done is deleted once stored; nothing
typed reaches Prefect's parameters, inputs, logs or artifacts.

The flow reads today from the clock, so these tests use the financial year 2026/27,
whose first windows opened before this was written."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID

import pytest
from sqlalchemy import select

from qaframework.clock import today_in
from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.tables import AuditLogEntry, Task
from tests.completion.conftest import body_task, plan, return_task
from tests.flows.runner import FORM_WAIT_SECONDS
from tests.flows.runner import client as _client
from tests.flows.runner import served as serve
from tests.flows.runner import wait_for

YEAR = 2026
CANARY = "CANARY-Evidence-Wilhelmina"


@pytest.fixture(scope="module")
def served(prefect_api: None) -> Iterator[None]:
    from flows.complete_task import complete_task

    with serve(complete_task, "complete-task"):
        yield


@pytest.fixture
def flow_database(database_url: str, partnership: Framework, monkeypatch: pytest.MonkeyPatch) -> str:
    """The flows read QAF_ settings when they start: point them at a fresh database and
    the partnership's file, with the year planned and its first windows opened."""
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_FRAMEWORK_FILE", str(partnership.source))
    reference, occurrence, _ = body_task(partnership, YEAR)
    assert occurrence.start < today_in(partnership.document.partnership.timezone), "the task's window has opened"
    plan(database_url, partnership, YEAR, opened_on=occurrence.start)
    return database_url


def _inputs(run_id: UUID) -> list:  # type: ignore[type-arg]
    with _client() as client:
        return list(client.filter_flow_run_input(flow_run_id=run_id, key_prefix="suspended-", limit=100, exclude_keys=set()))


def _form(run_id: UUID, key: str) -> tuple[dict, str]:  # type: ignore[type-arg]
    """The waiting form's schema and description, once they are there."""
    deadline = time.monotonic() + FORM_WAIT_SECONDS
    while time.monotonic() < deadline:
        state = wait_for(run_id, {"PAUSED", "FAILED", "CRASHED", "COMPLETED"}).state.type.value
        found = {i.key: i.value for i in _inputs(run_id)}
        if state == "PAUSED" and {f"suspended-{key}-schema", f"suspended-{key}-description"} <= found.keys():  # Prefect pauses the run, then saves the schema, then the description
            schema = found[f"suspended-{key}-schema"]
            return (json.loads(schema) if isinstance(schema, str) else schema), str(found.get(f"suspended-{key}-description", ""))
        assert state == "PAUSED", f"the run is {state}, not waiting for {key}"
        time.sleep(0.3)
    raise AssertionError(f"no form {key}: {[i.key for i in _inputs(run_id)]}")


def _answer(run_id: UUID, key: str, values: dict[str, object]) -> tuple[dict, str]:  # type: ignore[type-arg]
    from prefect.flow_runs import resume_flow_run

    form = _form(run_id, key)
    resume_flow_run(run_id, run_input=values)
    return form


def _task(url: str, reference: str) -> Task:
    assignee = reference.rpartition("/")[2]
    with transaction(url) as session:
        from qaframework.persistence.completion import find_task

        task = session.get(Task, find_task(session=session, reference=reference).task_id)
        assert task is not None and task.assignee_key == assignee
        return task


def test_the_form_is_prefilled_a_refused_answer_comes_back_and_nothing_typed_stays(served: None, flow_database: str, partnership: Framework) -> None:
    from prefect.deployments import run_deployment

    reference, occurrence, body = body_task(partnership, YEAR)
    task_id = _task(flow_database, reference).id
    today = today_in(partnership.document.partnership.timezone)
    run = run_deployment("complete-task/complete-task", parameters={"task": reference}, timeout=0)
    key = f"task-done-{task_id}"
    role = partnership.bodies[body].chair

    # In the future: refused, the reason shown, the answer not kept.
    schema, description = _answer(run.id, f"{key}-1", {"reference": reference, "done_on": (today + timedelta(days=30)).isoformat(),
                                                       "done_by": role, "evidence": CANARY})
    properties = schema["properties"]
    assert (properties["reference"]["default"], properties["done_by"]["default"]) == (reference, role)
    assert {"done_on", "evidence"} <= set(properties)
    assert reference in description and occurrence.title in description
    assert (f"due {occurrence.due:%d %B %Y}" if occurrence.due else "") in description
    # Identifying evidence: refused, never quoted.
    _, description = _answer(run.id, f"{key}-2", {"reference": reference, "done_on": occurrence.start.isoformat(), "done_by": role,
                                                  "evidence": f"{CANARY} seen at BA1 1AA"})
    assert "is in the future" in description and CANARY not in description
    done_on = occurrence.start + timedelta(days=2)
    _, description = _answer(run.id, f"{key}-3", {"reference": reference, "done_on": done_on.isoformat(), "done_by": role,
                                                  "evidence": "Notes filed with the minutes"})
    assert "evidence: looks like a UK postcode" in description and CANARY not in description and "BA1" not in description
    finished = wait_for(run.id, {"COMPLETED", "FAILED", "CRASHED"})
    assert finished.state.type.value == "COMPLETED", finished.state

    task = _task(flow_database, reference)
    assert (task.status, task.done_on, task.done_by, task.evidence) == ("closed", done_on, role, "Notes filed with the minutes")
    with transaction(flow_database) as session:
        entries = session.execute(select(AuditLogEntry).where(AuditLogEntry.subject == reference).order_by(AuditLogEntry.id)).scalars().all()
    assert [e.action for e in entries] == ["task-done-refused", "task-done-refused", "task-done"]
    assert {e.actor for e in entries} == {f"prefect:complete-task:{run.id}"}
    assert all(CANARY not in e.detail for e in entries)

    import httpx
    from prefect.settings import PREFECT_API_URL

    inputs = _inputs(run.id)
    assert not [i.key for i in inputs if i.key.endswith("-response")], "answers are deleted from Prefect once handled"
    logs = httpx.post(f"{PREFECT_API_URL.value()}/logs/filter", json={"logs": {"flow_run_id": {"any_": [str(run.id)]}}, "limit": 200}, timeout=30).json()
    with _client() as client:
        parameters = client.read_flow_run(run.id).parameters
    assert parameters == {"task": reference}
    everything = [str(parameters), *[str(i.value) for i in inputs], *[entry["message"] for entry in logs]]
    assert any("is in the future" in text for text in everything), "the reason is shown"
    for text in everything:
        assert CANARY not in text and "BA1 1AA" not in text


def test_another_task_is_refused_by_prefect_an_answer_that_does_not_fit_is_offered_again_and_a_done_task_ends_at_once(
        served: None, flow_database: str, partnership: Framework) -> None:
    from prefect.flow_runs import resume_flow_run
    from prefect.deployments import run_deployment

    reference, occurrence, body = body_task(partnership, YEAR)
    task_id = _task(flow_database, reference).id
    run = run_deployment("complete-task/complete-task", parameters={"task": reference}, timeout=0)
    key = f"task-done-{task_id}"
    schema, _ = _form(run.id, f"{key}-1")
    # The task is a choice of one, not a text box: Prefect itself refuses another.
    assert schema["properties"]["reference"]["enum"] == [reference]
    assert "reference" not in schema.get("required", [])
    with pytest.raises(RuntimeError, match="reference"):
        resume_flow_run(run.id, run_input={"reference": "someone else's task", "done_on": occurrence.start.isoformat(), "done_by": "Manager"})
    assert wait_for(run.id, {"PAUSED", "FAILED", "CRASHED", "COMPLETED"}).state.type.value == "PAUSED", "the form still waits"
    assert f"suspended-{key}-1-response" not in {i.key for i in _inputs(run.id)}
    # A day that does not exist passes Prefect's schema but not the form's own model.
    _answer(run.id, f"{key}-1", {"reference": reference, "done_on": f"{YEAR}-02-30", "done_by": "Manager"})
    _, description = _answer(run.id, f"{key}-2", {"reference": reference, "done_on": occurrence.start.isoformat(), "done_by": "Manager"})
    assert "the answer did not fit the form: give the day it was done as a date" in description and f"{YEAR}-02-30" not in description
    assert wait_for(run.id, {"COMPLETED", "FAILED", "CRASHED"}).state.type.value == "COMPLETED"
    assert _task(flow_database, reference).done_on == occurrence.start

    again = run_deployment("complete-task/complete-task", parameters={"task": reference}, timeout=0)
    finished = wait_for(again.id, {"COMPLETED", "FAILED", "CRASHED"})
    assert finished.state.type.value == "COMPLETED" and not [i for i in _inputs(again.id) if i.key.endswith("-schema")], "no form for a done task"


def test_a_task_its_return_answers_gets_no_form(served: None, flow_database: str, partnership: Framework) -> None:
    from prefect.deployments import run_deployment

    reference, _, _ = return_task(partnership, YEAR)
    run = run_deployment("complete-task/complete-task", parameters={"task": reference}, timeout=0)
    assert wait_for(run.id, {"COMPLETED", "FAILED", "CRASHED"}).state.type.value == "FAILED"
    assert not _inputs(run.id)
    assert _task(flow_database, reference).status != "closed"
