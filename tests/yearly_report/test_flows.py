"""The yearly report's flows under the session's Prefect API: assemble-yearly-report
files the report and shows its figures and charts (SVG images from data: URLs, each
above its table) as a markdown artifact without the free text people typed; the
sign-off-yearly-report deployment waits for each sign-off's form and the publication's,
stores each answer, deletes it from Prefect, and the publication finishes the task.

The sign-off flow reads today from the clock, so these use the financial year 2025/26,
ended before this was written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qaframework.clock import today_in
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.persistence.tables import Task
from qaframework.persistence.task_status import open_started_tasks
from qaframework.persistence.yearly_report_steps import steps_of
from qaframework.yearly_plan import plan_financial_year
from tests.completion.test_complete_task_flow import _answer, _inputs
from tests.flows.runner import client as _client
from tests.flows.runner import served as serve
from tests.flows.runner import wait_for
from tests.partnerships.conftest import sqlite_only
from tests.yearly_report.conftest import simulate_year, year_of
from tests.yearly_report.test_sign_off import _report_task

YEAR = 2025
CANARY = "CANARY-Signer-Wilhelmina"


@pytest.fixture(scope="module")
def served(prefect_api: None) -> Iterator[None]:
    from flows.sign_off_yearly_report import sign_off_yearly_report

    with serve(sign_off_yearly_report, "sign-off-yearly-report"):
        yield


@sqlite_only
def test_assemble_flow_files_the_report_and_shows_charts_without_typed_text(prefect_api: None, database_url: str, partnership: Framework,
                                                                              monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from flows.assemble_yearly_report import assemble_yearly_report

    simulate_year(database_url, partnership)
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_FRAMEWORK_FILE", str(partnership.source))
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / ".qaf"))
    fy = year_of(partnership)
    result = assemble_yearly_report(financial_year=fy, as_of=FinancialYear(fy).end + timedelta(days=60))
    assert (result["version"], result["new"], result["draft"]) == (1, True, False)
    again = assemble_yearly_report(financial_year=fy, as_of=FinancialYear(fy).end + timedelta(days=60))
    assert (again["version"], again["new"]) == (1, False), "run twice, filed once"
    with _client() as client:
        from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"yearly-report-{fy}-{(fy + 1) % 100:02d}"])))
    markdown = str(found[-1].data)
    assert markdown.count("](data:image/svg+xml;base64,") > 5
    assert "## What the partnership did" in markdown and "**Returns on time, late and missing, by agency**" in markdown
    assert "Audit tools returned too late" not in markdown and "Add health to every strategy meeting invite" not in markdown


def test_sign_off_forms_are_stored_deleted_and_publication_finishes_the_task(served: None, database_url: str, partnership: Framework,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.deployments import run_deployment

    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_FRAMEWORK_FILE", str(partnership.source))
    prepare(database_url)
    with transaction(database_url) as session:
        sync_directory(session=session, framework=partnership)
        for y in (YEAR, YEAR + 1):
            write_plan(session=session, occurrences=plan_financial_year(partnership, FinancialYear(y)), actor="test",
                       as_of=FinancialYear(YEAR).start - timedelta(days=1))
    import tests.yearly_report.test_sign_off as sign_off_tests

    monkeypatch.setattr(sign_off_tests, "FY", YEAR)
    task, occurrence = _report_task(database_url, partnership)
    today = today_in(partnership.document.partnership.timezone)
    assert occurrence.window_start < today
    with transaction(database_url) as session:
        open_started_tasks(session=session, on=occurrence.window_start, actor="test")
    run = run_deployment("sign-off-yearly-report/sign-off-yearly-report", parameters={"financial_year": YEAR}, timeout=0)
    day = occurrence.window_start + timedelta(days=1)
    # Signed "on" a day within the year: refused, the reason shown, never the answer.
    _answer(run.id, f"yearly-report-{YEAR}-independent-scrutiny-1", {"signed_on": date(YEAR + 1, 3, 1).isoformat(), "signed_by": CANARY})
    schema, description = _answer(run.id, f"yearly-report-{YEAR}-independent-scrutiny-2", {"signed_on": day.isoformat(), "signed_by": "Independent Scrutineer"})
    assert "is within 2025/26" in description and CANARY not in description
    _answer(run.id, f"yearly-report-{YEAR}-top-body-1", {"signed_on": day.isoformat(), "signed_by": "Chair"})
    _answer(run.id, f"yearly-report-{YEAR}-published-1", {"published_on": (day + timedelta(days=1)).isoformat(), "address": "https://example.org/yr"})
    final = wait_for(run.id, {"COMPLETED", "FAILED", "CRASHED"})
    assert final.state.type.value == "COMPLETED"
    with transaction(database_url) as session:
        steps = steps_of(session=session, financial_year=YEAR)
        assert [steps[k].day for k in ("independent_scrutiny", "top_body", "published")] == [day, day, day + timedelta(days=1)]
        done = session.execute(select(Task).where(Task.id == task.id)).scalar_one()
        assert (done.status, done.done_on) == ("closed", day + timedelta(days=1))
    left = [i for i in _inputs(run.id) if i.key.endswith("-response")]
    assert left == [], "every answer is deleted from Prefect once stored"
