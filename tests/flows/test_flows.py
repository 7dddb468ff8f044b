"""The scheduled flows under a real Prefect API: right dates, no duplicates, no partial
writes, and catch-up after downtime."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from flows.check_deadlines import check_deadlines
from flows.open_activities import open_activities
from flows.plan_year import plan_year
from qaframework.persistence.database import transaction
from qaframework.persistence.repository import count_rows, tasks_for
from qaframework.persistence.tables import AuditLogEntry, Occurrence, Task
from qaframework.persistence.watermarks import advance_watermark, read_watermark
from tests.concurrency import at_once

ROOT = Path(__file__).resolve().parents[2]


def deployments() -> list[dict]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]


@pytest.mark.parametrize("deployment", deployments(), ids=lambda d: d["name"])
def test_every_entrypoint_loads_for_real(deployment: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.flows import load_flow_from_entrypoint

    monkeypatch.chdir(ROOT)
    flow = load_flow_from_entrypoint(deployment["entrypoint"], use_placeholder_flow=False)
    assert flow.name == deployment["name"]
    schema = flow.parameters.model_dump()
    for name, spec in schema["properties"].items():
        assert spec.get("description"), f"{deployment['name']}: parameter {name} has no description for the UI form"
    assert deployment["description"].strip() and deployment["tags"]


def _tasks(url: str, fy: int) -> list[tuple[Task, Occurrence]]:
    with transaction(url) as session:
        return tasks_for(session=session, financial_year=fy)


def _counts(url: str) -> tuple[int, int]:
    with transaction(url) as session:
        return count_rows(session=session, model=Occurrence), count_rows(session=session, model=Task)


def test_plan_year_writes_tasks_with_their_due_dates(qaf_database: str) -> None:
    result = plan_year("2027/28", as_of=date(2027, 3, 1))
    assert result["financial_year"] == "2027/28" and result["occurrences_created"] == 66
    rows = _tasks(qaf_database, 2027)
    due = {(o.key, t.assignee_key): t.due for t, o in rows}
    assert due[("multi-agency-audit/2027-10", "avon-somerset-police")] == date(2027, 10, 29)
    assert due[("rpd-annual-report/2027-05", "business-unit")] == date(2027, 5, 28)
    assert due[("s11-practitioner-survey/2027-07", "somerset-csc")] == date(2028, 3, 31)
    assert {t.status for t, _ in rows} == {"planned"}
    again = plan_year("2027", as_of=date(2027, 3, 1))
    assert (again["occurrences_created"], again["tasks_created"]) == (0, 0)
    assert _counts(qaf_database) == (66, len(rows))


def test_open_activities_opens_started_windows_once(qaf_database: str) -> None:
    plan_year("2027", as_of=date(2027, 3, 1))
    first = open_activities(date(2027, 7, 1))
    expected = {"multi-agency-audit/2027-04", "practitioner-survey/2027-04", "insight-visit/2027-05", "mape/2027-05",
                "rpd-annual-report/2027-05", "training-annual-report/2027-05", "focus-group/2027-07", "mape/2027-07",
                "multi-agency-audit/2027-07", "s11-practitioner-survey/2027-07", "dataset-return/2027-04", "dataset-return/2027-07"}
    assert set(first["occurrences"]) == expected
    second = open_activities(date(2027, 7, 1))
    assert second["opened"] == 0
    opened = [(o.key, t.assignee_key) for t, o in _tasks(qaf_database, 2027) if t.status == "open"]
    assert len(opened) == len(set(opened)) == first["opened"]


def test_open_activities_does_nothing_on_a_bank_holiday(qaf_database: str) -> None:
    plan_year("2027", as_of=date(2027, 3, 1))
    result = open_activities(date(2027, 5, 31))  # spring bank holiday
    assert result["skipped"] == "not a working day"
    assert {t.status for t, _ in _tasks(qaf_database, 2027)} == {"planned"}


def test_two_runs_at_once_create_and_open_nothing_twice(qaf_database: str) -> None:
    results = at_once(lambda: open_activities(date(2027, 4, 1)))
    assert sum(r["opened"] for r in results) == 34  # 14 tasks each for April's audit and survey, 6 for the dataset return
    occurrences, tasks = _counts(qaf_database)
    assert occurrences == 66
    keys = [(o.key, t.assignee_key) for t, o in _tasks(qaf_database, 2027)]
    assert len(keys) == len(set(keys)) == tasks


@contextmanager
def failing_statement(prefix: str) -> Iterator[None]:
    """Make every engine fail on statements starting with ``prefix``: a crash half-way."""

    def fail(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(prefix):
            raise RuntimeError(f"injected failure on {prefix}")

    event.listen(Engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", fail)


def test_a_run_failing_half_way_leaves_nothing_partial_and_a_rerun_completes(qaf_database: str) -> None:
    with failing_statement("INSERT INTO TASK"):
        with pytest.raises(RuntimeError, match="injected failure"):
            plan_year("2027", as_of=date(2027, 3, 1))
    assert _counts(qaf_database) == (0, 0)

    plan_year("2027", as_of=date(2027, 3, 1))
    with failing_statement("UPDATE TASK"):
        with pytest.raises(RuntimeError, match="injected failure"):
            open_activities(date(2027, 4, 1))
    with transaction(qaf_database) as session:
        assert read_watermark(session=session, job="open-activities") is None
    assert {t.status for t, _ in _tasks(qaf_database, 2027)} == {"planned"}

    result = open_activities(date(2027, 4, 1))
    assert result["opened"] == 34
    with transaction(qaf_database) as session:
        assert read_watermark(session=session, job="open-activities") == date(2027, 4, 1)
        opened_entries = [e for e in session.execute(select(AuditLogEntry)).scalars() if e.action == "tasks-opened"]
    assert len(opened_entries) == 1


def test_catch_up_after_ten_days_of_downtime_across_the_year_end(qaf_database: str) -> None:
    """The server was down from 23 March 2027, over Easter, until 1 April, and FY 2027/28
    was never planned. The run on Thursday 1 April plans the new year and opens April's
    windows, once."""
    plan_year("2026", as_of=date(2026, 4, 1))
    open_activities(date(2027, 3, 22))
    with transaction(qaf_database) as session:
        assert read_watermark(session=session, job="open-activities") == date(2027, 3, 22)
    result = open_activities(date(2027, 4, 1))
    assert result["since"] == "2027-03-23"
    assert set(result["occurrences"]) == {"multi-agency-audit/2027-04", "practitioner-survey/2027-04", "dataset-return/2027-04"}
    assert result["opened"] == 34
    assert open_activities(date(2027, 4, 1))["opened"] == 0
    assert len(_tasks(qaf_database, 2027)) > 0


def test_watermark_never_moves_back(qaf_database: str) -> None:
    from qaframework.persistence.database import prepare

    prepare(qaf_database)
    with transaction(qaf_database) as session:
        advance_watermark(session=session, job="x", through=date(2027, 4, 10))
    with transaction(qaf_database) as session:
        advance_watermark(session=session, job="x", through=date(2027, 4, 1))
    with transaction(qaf_database) as session:
        assert read_watermark(session=session, job="x") == date(2027, 4, 10)


def latest_artifact(key: str) -> dict:
    """The newest version of an artifact, read back through the Prefect REST API."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    response = httpx.post(
        f"{PREFECT_API_URL.value()}/artifacts/filter",
        json={"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC", "limit": 1},
        timeout=30,
    )
    response.raise_for_status()
    (artifact,) = response.json()
    return artifact


def test_check_deadlines_marks_overdue_and_publishes_the_dashboard(qaf_database: str) -> None:
    plan_year("2027", as_of=date(2027, 3, 1))
    open_activities(date(2027, 5, 4))
    result = check_deadlines(date(2027, 5, 4))
    # April's audit and survey were due on Friday 30 April; 14 agencies each.
    assert result["newly_overdue"] == 34
    assert check_deadlines(date(2027, 5, 4))["newly_overdue"] == 0
    overdue = {o.key for t, o in _tasks(qaf_database, 2027) if t.status == "overdue"}
    assert overdue == {"multi-agency-audit/2027-04", "practitioner-survey/2027-04", "dataset-return/2027-04"}

    table = latest_artifact("compliance-dashboard")
    rows = {r["key"]: r for r in json.loads(table["data"])}
    assert rows["avon-somerset-police"]["agency"] == "Avon and Somerset Constabulary"
    # Overdue: April's audit, survey and dataset return; open: May's insight visit.
    assert (rows["avon-somerset-police"]["overdue"], rows["avon-somerset-police"]["open"]) == (3, 1)
    markdown = latest_artifact("calendar-next-30-days")["data"]
    assert "Tue 11 May 2027: **SSCP Executive** meets at 10:00" in markdown
    assert "Fri 28 May 2027: RPD Annual Report due" in markdown


def test_without_a_mail_server_reminders_are_written_to_the_outbox_folder(qaf_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import email

    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("QAF_SMTP_HOST", raising=False)
    plan_year("2027", as_of=date(2027, 3, 1))
    open_activities(date(2027, 4, 1))
    result = check_deadlines(date(2027, 4, 1))
    files = sorted((tmp_path / "data" / "outbox").glob("*.eml"))
    assert result["emails_sent"] == len(files) > 0
    messages = [email.message_from_bytes(f.read_bytes()) for f in files]
    police = [m for m in messages if "safeguarding-returns@police.example.org" in m["To"]]
    assert len(police) == 1 and police[0]["Subject"] == "SSCP QA: 3 items for Avon and Somerset Constabulary"
    assert check_deadlines(date(2027, 4, 1))["emails_sent"] == 0, "a repeated run sends nothing again"
    assert len(list((tmp_path / "data" / "outbox").glob("*.eml"))) == len(files)


def test_the_smtp_password_can_come_from_a_prefect_secret_block(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.blocks.system import Secret

    from qaframework.config import Settings
    from tasks.reminders import transport_for

    Secret(value="s3cret-from-block").save("qaf-smtp-password", overwrite=True)
    monkeypatch.setenv("QAF_SMTP_HOST", "mail.partnership.example")
    monkeypatch.setenv("QAF_SMTP_PASSWORD_BLOCK", "qaf-smtp-password")
    transport = transport_for(Settings())
    assert (transport.host, transport.port, transport.password) == ("mail.partnership.example", 587, "s3cret-from-block")  # type: ignore[attr-defined]
