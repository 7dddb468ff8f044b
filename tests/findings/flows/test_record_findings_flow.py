"""The record-findings deployment under a real Prefect API, answered through the API as
the UI does: a refused answer (identifying text) is kept nowhere, the form comes back with
the reason (never the text), and the good answer is recorded and deleted from Prefect."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qaframework.clock import today_in
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.learning.identifying import DATE
from qaframework.persistence.database import transaction
from qaframework.persistence.learning_tables import Finding, FindingPlacement
from qaframework.persistence.tables import AuditLogEntry
from qaframework.yearly_plan import plan_financial_year
from tests.findings.test_typed import _theme
from tests.flows.runner import FORM_WAIT_SECONDS
from tests.flows.runner import client as _client
from tests.flows.runner import served as serve
from tests.flows.runner import wait_for as _wait
from tests.partnerships.conftest import Qaf, plan_years


@pytest.fixture(scope="module")
def served() -> Iterator[None]:
    from flows.record_findings import record_findings

    with serve(record_findings, "record-findings"):
        yield


def _opened_subject(framework: Framework, year: int, today: date) -> str:
    """An activity occurrence of ``year`` that has opened by ``today`` and is routed to a body."""
    for o in plan_financial_year(framework, FinancialYear(year)):
        if o.kind == "activity" and o.start <= today and framework.activities[o.activity].routes:
            return o.key
    raise AssertionError("no opened activity occurrence")


def _form(run_id, key: str) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    _wait(run_id, {"PAUSED"})
    deadline = time.monotonic() + FORM_WAIT_SECONDS
    with _client() as client:
        while time.monotonic() < deadline:
            found = {i.key: i.value for i in client.filter_flow_run_input(flow_run_id=run_id, key_prefix="suspended-", limit=50, exclude_keys=set())}
            if {f"suspended-{key}-schema", f"suspended-{key}-description"} <= found.keys():  # Prefect pauses the run, then saves the schema, then the description
                schema = found[f"suspended-{key}-schema"]
                description = found.get(f"suspended-{key}-description", "")
                if isinstance(description, str) and description.startswith('"'):
                    description = json.loads(description)
                return (json.loads(schema) if isinstance(schema, str) else schema), str(description)
            time.sleep(0.3)
    raise AssertionError(f"no form {key}")


def test_a_finding_typed_in_the_form_is_recorded_and_a_refused_answer_kept_nowhere(
        served: None, partnership_qaf: Qaf, qaf_database: str, partnership: Framework, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.deployments import run_deployment
    from prefect.flow_runs import resume_flow_run

    # The flow reads today from the clock (it runs in its own process): record on today,
    # on an occurrence of this year that has opened.
    today = today_in(partnership.document.partnership.timezone)
    year = FinancialYear.containing(today).start_year
    plan_years(partnership_qaf, [year, year + 1], FinancialYear(year).start)
    monkeypatch.setenv("QAF_FRAMEWORK_FILE", str(partnership.source))
    key = _opened_subject(partnership, year, today)
    theme = _theme(partnership)
    run = run_deployment("record-findings/record-findings", parameters={"subject": key}, timeout=0)
    schema, description = _form(run.id, "finding-1")
    assert description.startswith(f"A finding on {key}.")
    assert set(schema["properties"]) >= {"title", "summary", "kind", "theme", "agency", "likelihood", "impact", "recorded_on"}

    resume_flow_run(run.id, run_input={"title": "Missed referral", "summary": "Born on 12 March 2015 and not referred",
                                       "kind": "area-for-improvement", "theme": theme, "recorded_on": today.isoformat()})
    _, description = _form(run.id, "finding-2")
    assert f"The last answer was not recorded: summary: {DATE}" in description
    assert "2015" not in description and "Missed referral" not in description

    future = (today + timedelta(days=1)).isoformat()
    resume_flow_run(run.id, run_input={"title": "Strategy meetings were late", "summary": "In 3 of 5 cases in Q1 2027/28",
                                       "kind": "risk", "theme": theme, "likelihood": 2, "impact": 4, "recorded_on": future})
    _, description = _form(run.id, "finding-3")
    assert f"The last answer was not recorded: recorded_on: {future} is in the future (today is {today.isoformat()})" in description
    resume_flow_run(run.id, run_input={"title": "Strategy meetings were late", "summary": "In 3 of 5 cases in Q1 2027/28",
                                       "kind": "risk", "theme": theme, "likelihood": 2, "impact": 4, "recorded_on": today.isoformat()})
    finished = _wait(run.id, {"COMPLETED", "FAILED", "CRASHED"})
    assert finished.state.type.value == "COMPLETED", finished.state
    with transaction(qaf_database) as session:
        (finding,) = session.execute(select(Finding)).scalars().all()
        placements = session.execute(select(FindingPlacement)).scalars().all()
        added = session.execute(select(AuditLogEntry).where(AuditLogEntry.action == "finding-added")).scalar_one()
    assert (finding.reference, finding.source, finding.kind, finding.recorded_on, finding.actor) == (f"F-{year}-0001", "form", "risk", today, "prefect:record-findings")
    assert finding.derivation_key == f"form:{run.id}:3", "a replayed run finds the finding its attempt recorded"
    assert added.actor == "prefect:record-findings" and len(placements) == len(partnership.activities[finding.activity].routes)
    with _client() as client:
        inputs = client.filter_flow_run_input(flow_run_id=run.id, key_prefix="", limit=100, exclude_keys=set())
        parameters = client.read_flow_run(run.id).parameters
    assert not [i.key for i in inputs if i.key.endswith("-response")], "answers are deleted from Prefect once read"
    assert all("2015" not in str(i.value) and "Strategy meetings" not in str(i.value) for i in inputs)
    assert parameters == {"subject": key}
