"""check-deadlines under the session's Prefect API, on each shipped framework file: the
run is named after its day, the ``today`` artifact is the run's only one (its Artifacts
tab opens on it; the dashboards are its subflow run's) and holds the day's rows, every artifact's
description fits the UI, the compliance dashboard keeps bodies out of its agency column
and the calendar says who each item is for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qaframework.framework import Framework
from tests.today.conftest import set_up_day

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def flow_database(prefect_api: None, database_url: str, partnership: Framework, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The flows read QAF_ settings when they start: a fresh database, the partnership's
    file, no mail server (emails go to the outbox folder)."""
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_FRAMEWORK_FILE", str(partnership.source))
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("QAF_SMTP_HOST", raising=False)
    return database_url


def artifacts_of(run_id: Any) -> list[dict[str, Any]]:
    import httpx
    from prefect.settings import PREFECT_API_URL

    response = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter",
                          json={"artifacts": {"flow_run_id": {"any_": [str(run_id)]}}, "limit": 100}, timeout=30)
    response.raise_for_status()
    return [a for a in response.json() if a["type"] != "result"]


def subflow_runs_of(run_id: Any) -> list[dict[str, Any]]:
    import httpx
    from prefect.settings import PREFECT_API_URL

    response = httpx.post(f"{PREFECT_API_URL.value()}/flow_runs/filter",
                          json={"flow_runs": {"parent_flow_run_id": {"any_": [str(run_id)]}}, "limit": 10}, timeout=30)
    response.raise_for_status()
    return list(response.json())


def test_check_deadlines_publishes_the_day_first_and_names_its_run(flow_database: str, partnership: Framework) -> None:
    from prefect.client.orchestration import get_client

    from flows.check_deadlines import check_deadlines

    day = set_up_day(flow_database, partnership)
    state = check_deadlines(day.on, return_state=True)
    assert state.is_completed(), state
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run_id).name == f"deadlines-{day.on.isoformat()}"

    own = artifacts_of(run_id)
    assert [a["key"] for a in own] == ["today"], "the run's page shows the business unit's day, alone"
    today = own[0]
    assert today["task_run_id"] is None, "the flow's own artifact"
    (dashboards,) = subflow_runs_of(run_id)
    assert dashboards["name"] == f"dashboards-{day.on.isoformat()}"
    published = {a["key"]: a for a in own + artifacts_of(dashboards["id"])}
    assert {"compliance-dashboard", "calendar-next-30-days", "risk-register", "risk-heat-map"} <= set(published)
    # Every artifact's description fits the UI's list without being cut off.
    for key, artifact in published.items():
        assert len(artifact["description"]) <= 100, (key, artifact["description"])

    markdown = today["data"]
    unit = partnership.role("business_unit")
    escalates = partnership.reminder_policy(day.occurrence.activity).escalate_after
    from qaframework.deadlines import working_day_calendar

    wd = working_day_calendar(partnership)
    who = partnership.agencies[day.agency].name
    assert (f"| {day.task} | {day.occurrence.title} | {who} | {day.occurrence.due.isoformat()} | {day.overdue_by} | sent | "  # type: ignore[union-attr]
            f"{wd.add_working_days(day.occurrence.due, escalates).isoformat()} |") in markdown  # type: ignore[arg-type]
    assert "| task | what | who | due | working_days_overdue | escalated | escalates_on |" in markdown
    assert f"| {day.new_case} |" in markdown and f"| {day.old_case} |" in markdown
    assert "## Returns rejected, awaiting a new version (`rejected_returns`)" in markdown
    assert f"The business unit's day, {day.on:%d %B %Y}" in today["description"]

    compliance = {r["key"]: r for r in json.loads(published["compliance-dashboard"]["data"])}
    assert (compliance[unit]["agency"], compliance[unit]["body"]) == ("", partnership.bodies[unit].name)
    assert (compliance[day.agency]["agency"], compliance[day.agency]["body"]) == (who, "")
    assert "a survey is a task, not a return" in published["compliance-dashboard"]["description"]
    calendar = published["calendar-next-30-days"]["data"]
    assert "(for " in calendar
