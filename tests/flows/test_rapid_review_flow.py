"""The rapid review clock chain under a real Prefect API: a runner serves the
deployment, the test fills in each stage's form through the API, and nothing private
reaches Prefect."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
import yaml
from sqlalchemy import update

from qaframework.persistence.database import transaction
from qaframework.persistence.tables import ReviewCase
from tests.flows.runner import FORM_WAIT_SECONDS
from tests.flows.runner import client as _client
from tests.flows.runner import served as serve
from tests.flows.runner import wait_for

ROOT = Path(__file__).resolve().parents[2]
CANARY = "CANARY-Casefile-Family-Name-Wilhelmina"


@pytest.fixture(scope="module")
def served() -> Iterator[None]:
    """The rapid-review deployment, with its prefect.yaml trigger, served by a runner."""
    from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger

    from flows.rapid_review import rapid_review

    (spec,) = [d for d in yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"] if d["name"] == "rapid-review"]
    triggers = [DeploymentEventTrigger(**{k: v for k, v in t.items() if k != "type"}) for t in spec["triggers"]]
    with serve(rapid_review, "rapid-review", triggers):
        yield


def answer(run_id: UUID, stage_key: str, values: dict[str, object]) -> None:
    """Fill in the suspended run's form: poll until its input schema exists first
    (resuming earlier fails)."""
    from prefect.flow_runs import resume_flow_run

    wait_for(run_id, {"PAUSED"})
    deadline = time.monotonic() + FORM_WAIT_SECONDS
    with _client() as client:
        while time.monotonic() < deadline:
            keys = [i.key for i in client.filter_flow_run_input(flow_run_id=run_id, key_prefix="suspended-", limit=50, exclude_keys=set())]
            if any(k.endswith(f"-{stage_key}-schema") for k in keys):
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"no input schema for {stage_key}: {keys}")
    resume_flow_run(run_id, run_input=values)


def _schema(run_id: UUID, stage_key: str) -> dict:  # type: ignore[type-arg]
    """The stage form's JSON schema as Prefect stores it for the UI."""
    import json

    wait_for(run_id, {"PAUSED"})
    deadline = time.monotonic() + FORM_WAIT_SECONDS
    with _client() as client:
        while time.monotonic() < deadline:
            found = [i for i in client.filter_flow_run_input(flow_run_id=run_id, key_prefix="suspended-", limit=50, exclude_keys=set())
                     if i.key.endswith(f"-{stage_key}-schema")]
            if found:
                value = found[0].value
                return json.loads(value) if isinstance(value, str) else value  # type: ignore[no-any-return]
            time.sleep(0.3)
    raise AssertionError(f"no input schema for {stage_key}")


def _reference(run_id: UUID, database_url: str) -> str:
    from qaframework.persistence.database import prepare

    prepare(database_url)
    deadline = time.monotonic() + FORM_WAIT_SECONDS
    while time.monotonic() < deadline:
        with transaction(database_url) as session:
            from sqlalchemy import select

            found = session.execute(select(ReviewCase.reference).where(ReviewCase.opened_by_run == str(run_id))).scalar_one_or_none()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("the run opened no case")


def test_the_whole_chain_with_forms_and_nothing_private_in_prefect(served: None, qaf_database: str) -> None:
    from prefect.deployments import run_deployment

    run = run_deployment("rapid-review/rapid-review", parameters={"aware": "2027-03-24", "notified": "2027-03-25"}, timeout=0)
    reference = _reference(run.id, qaf_database)
    # The run is named after the case and the stage it waits for; the stage's form has
    # the stage as its only choice, already chosen.
    schema = _schema(run.id, "rapid-review")
    assert (schema["properties"]["stage"]["enum"], schema["properties"]["stage"]["default"]) == (["rapid-review"], "rapid-review")
    with _client() as client:
        assert client.read_flow_run(run.id).name == f"case-{reference}-rapid-review"
    with transaction(qaf_database) as session:
        session.execute(update(ReviewCase).where(ReviewCase.reference == reference).values(private_notes=CANARY))
    answer(run.id, "rapid-review", {"stage": "rapid-review", "done_on": "2027-04-13"})
    answer(run.id, "executive-sign-off", {"stage": "executive-sign-off", "signed_off_on": "2027-04-14", "signed_by": "Chair of the SSCP Executive"})
    answer(run.id, "decision", {"stage": "decision", "decision": "no-review", "decided_on": "2027-04-14", "rationale": f"Criteria not met. {CANARY}"})
    finished = wait_for(run.id, {"COMPLETED", "FAILED", "CRASHED"})
    assert finished.state.type.value == "COMPLETED"
    assert finished.name == f"case-{reference}-complete"

    from qaframework.framework import load_framework
    from qaframework.persistence.cases import case_view

    with transaction(qaf_database) as session:
        view = case_view(session=session, framework=load_framework(ROOT / "schedules" / "sscp.yaml"), reference=reference)
    assert (view.status, view.decision) == ("closed", "no-review")
    dues = {s.key: (s.due, s.done_on, s.state) for s in view.stages}
    # Aware Wed 24 March 2027: 5 working days over Easter (26 and 29 March) is Fri
    # 2 April; notified Thu 25 March: 15 working days is Mon 19 April.
    assert dues["panel-notification"] == (date(2027, 4, 2), date(2027, 3, 25), "on time")
    assert dues["rapid-review"] == (date(2027, 4, 19), date(2027, 4, 13), "on time")

    with _client() as client:
        flow_run = client.read_flow_run(run.id)
        inputs = client.filter_flow_run_input(flow_run_id=run.id, key_prefix="suspended-", limit=100, exclude_keys=set())
    everything = [str(flow_run.parameters), *[i.value for i in inputs]]
    assert not [i.key for i in inputs if i.key.endswith("-response")], "answers are deleted from Prefect once recorded"
    import httpx
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    logs = httpx.post(f"{api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [str(run.id)]}}, "limit": 200}, timeout=30).json()
    artifacts = httpx.post(f"{api}/artifacts/filter", json={"artifacts": {"key": {"any_": [f"case-{reference.lower()}"]}}, "limit": 50, "sort": "CREATED_DESC"}, timeout=30).json()
    assert artifacts and logs
    everything += [entry["message"] for entry in logs] + [str(a["data"]) + str(a.get("description")) for a in artifacts]
    for text in everything:
        assert CANARY not in text and "Wilhelmina" not in text
    assert reference in str(artifacts[0]["description"])


def test_a_case_resumes_from_the_database_after_its_run_is_gone(served: None, qaf_database: str) -> None:
    from prefect.deployments import run_deployment

    first = run_deployment("rapid-review/rapid-review", parameters={"aware": "2027-12-21", "notified": "2027-12-23"}, timeout=0)
    reference = _reference(first.id, qaf_database)
    answer(first.id, "rapid-review", {"stage": "rapid-review", "done_on": "2028-01-17"})
    wait_for(first.id, {"PAUSED"})
    with _client() as client:
        client.delete_flow_run(first.id)
    second = run_deployment("rapid-review/rapid-review", parameters={"reference": reference, "aware": "2027-12-21"}, timeout=0)
    # It stands at the Executive's sign-off: the form waiting is that one.
    wait_for(second.id, {"PAUSED"})
    answer(second.id, "executive-sign-off", {"stage": "executive-sign-off", "signed_off_on": "2028-01-18", "signed_by": "Independent Scrutineer"})
    wait_for(second.id, {"PAUSED"})
    with _client() as client:
        keys = [i.key for i in client.filter_flow_run_input(flow_run_id=second.id, key_prefix="suspended-", limit=50, exclude_keys=set())]
    assert any(k.endswith("-decision-schema") for k in keys)
    assert not any(k.endswith("-rapid-review-schema") for k in keys), "the stage done by the lost run is not asked again"


def test_the_serious_incident_event_starts_a_run_with_its_dates(served: None, qaf_database: str) -> None:
    from prefect.events import emit_event

    emit_event(
        event="qaf.serious-incident.notified",
        resource={"prefect.resource.id": "qaf.serious-incident.la-case-system"},
        payload={"aware": "2027-06-01", "notified": "2027-06-03"},
    )
    emit_event(
        event="qaf.serious-incident.notified",
        resource={"prefect.resource.id": "qaf.serious-incident.la-case-system"},
        payload={"aware": "2027-06-02"},
    )
    deadline = time.monotonic() + FORM_WAIT_SECONDS
    with _client() as client:
        while time.monotonic() < deadline:
            deployment = client.read_deployment_by_name("rapid-review/rapid-review")
            from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

            runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])), limit=50)
            started = [r for r in runs if r.parameters.get("aware") == "2027-06-01"]
            only_aware = [r for r in runs if r.parameters.get("aware") == "2027-06-02"]
            if started and only_aware:
                break
            time.sleep(1)
        else:
            raise AssertionError("the event started no run")
    assert started[0].parameters["notified"] == "2027-06-03"
    assert only_aware[0].parameters.get("notified") is None
