"""Returns under a real Prefect API: the submit-return form answered through the API (as
the UI does), and the inbox sweep run twice over real files."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from flows.plan_year import plan_year
from flows.sweep_returns_inbox import sweep_returns_inbox
from qaframework.framework import load_framework
from qaframework.persistence.database import transaction
from qaframework.persistence.returns import find_return_task
from qaframework.persistence.tables import ReturnSubmission, Task
from qaframework.persistence.task_status import open_started_tasks
from qaframework.returns.templates import template_json, template_xlsx
from tests.flows.runner import FORM_WAIT_SECONDS
from tests.flows.runner import client as _client
from tests.flows.runner import served as serve
from tests.flows.runner import wait_for as _wait

ROOT = Path(__file__).resolve().parents[2]
TASK = "multi-agency-audit/2027-04/avon-somerset-police"
DOMAINS = ("voice-of-the-child", "information-sharing", "risk-assessment", "planning-and-review")


def _planned(database_url: str) -> None:
    plan_year("2027", as_of=date(2027, 4, 1))
    with transaction(database_url) as session:
        open_started_tasks(session=session, on=date(2027, 4, 1), actor="test")


def _api():  # type: ignore[no-untyped-def]
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def _artifact(key: str) -> list[dict[str, object]]:
    import httpx

    found = httpx.post(f"{_api()}/artifacts/filter", json={"artifacts": {"key": {"any_": [key]}}, "limit": 1, "sort": "CREATED_DESC"}, timeout=30).json()
    assert found, f"no artifact {key}"
    data = found[0]["data"]
    return json.loads(data) if isinstance(data, str) else data


@pytest.fixture
def inbox(qaf_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "inbox"
    monkeypatch.setenv("QAF_RETURNS_INBOX", str(folder))
    monkeypatch.setenv("QAF_INBOX_SETTLE_SECONDS", "0")
    monkeypatch.setenv("QAF_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("QAF_SMTP_HOST", raising=False)
    _planned(qaf_database)
    return folder


def _files(database_url: str, reference: str) -> tuple[bytes, bytes]:
    """A good .json and a broken .xlsx return for a task, made from its real templates."""
    framework = load_framework(ROOT / "schedules" / "sscp.yaml")
    with transaction(database_url) as session:
        task = find_return_task(session=session, framework=framework, reference=reference)
    rt = framework.document.returns["multi-agency-case-audit"]
    good = json.loads(template_json("multi-agency-case-audit", rt, task, "police"))
    good["grades"] = [{"case_number": "MAA-2027-004", "domain": d, "grade": "Good"} for d in DOMAINS]
    broken = template_xlsx("multi-agency-case-audit", rt, task, "police", "Avon and Somerset Constabulary")
    return json.dumps(good).encode(), broken  # the .xlsx has no graded case: rejected


def test_the_sweep_receives_files_away_and_tells_the_sender_once(inbox: Path, qaf_database: str) -> None:
    good, broken = _files(qaf_database, TASK)
    (inbox / "avon-somerset-police").mkdir(parents=True)
    (inbox / "audit-q1.json").write_bytes(good)
    (inbox / "avon-somerset-police" / "Q1 audit (draft).xlsx").write_bytes(broken)
    (inbox / "~$lock.xlsx").write_bytes(b"an Office lock file")
    (inbox / "nested.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)  # breaks the JSON parser itself
    (inbox / "copying.xlsx.part").write_bytes(b"half a file")

    first = sweep_returns_inbox(date(2027, 4, 20))
    assert first == {"accepted": 1, "rejected": 2, "already received": 0, "left for the next sweep": 0}
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == ["copying.xlsx.part", "~$lock.xlsx"], "the rest was filed away"
    accepted = list((inbox / "processed" / "accepted").rglob("*"))
    rejected = list((inbox / "processed" / "rejected").rglob("*.xlsx"))
    assert any(p.name.endswith("-audit-q1.json") for p in accepted) and len(rejected) == 1
    assert len(list((inbox / "processed" / "rejected").rglob("*-nested.json"))) == 1, "an unparseable file is kept, not stuck"
    with transaction(qaf_database) as session:
        rows = session.execute(select(ReturnSubmission).order_by(ReturnSubmission.id)).scalars().all()
        task = session.get(Task, next(r.task_id for r in rows if r.status == "accepted"))
    by_file = {r.original_filename: r for r in rows}
    assert (by_file["audit-q1.json"].status, by_file["Q1 audit (draft).xlsx"].status, by_file["nested.json"].status) == ("accepted", "rejected", "rejected")
    assert {r.source for r in rows} == {"inbox"} and task is not None and task.status == "submitted"
    assert json.loads(by_file["Q1 audit (draft).xlsx"].reasons)[0]["where"] == 'sheet "Grades"'
    assert by_file["Q1 audit (draft).xlsx"].original == broken and by_file["Q1 audit (draft).xlsx"].agency_key == "avon-somerset-police"
    assert "could not be read as a .json return" in json.loads(by_file["nested.json"].reasons)[0]["expected"]

    # A crash after storing but before filing away: the same files come round again.
    (inbox / "avon-somerset-police" / "Q1 audit (draft) (copy).xlsx").write_bytes(broken)
    (inbox / "nested (copy).json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    again = sweep_returns_inbox(date(2027, 4, 20))
    assert again == {"accepted": 0, "rejected": 0, "already received": 2, "left for the next sweep": 0}
    with transaction(qaf_database) as session:
        assert len(session.execute(select(ReturnSubmission)).scalars().all()) == 3

    by_agency = {r["agency"]: r for r in _artifact("returns-by-agency")}
    police = by_agency["Avon and Somerset Constabulary"]
    assert (police["received"], police["outstanding"]) == (1, police["expected"] - 1)
    by_activity = {r["activity"]: r for r in _artifact("returns-by-activity")}
    assert by_activity["Multi-Agency Audit 2027/28 Q1"]["received"] == 1


def test_the_sweep_twice_at_once_receives_each_file_once(inbox: Path, qaf_database: str) -> None:
    from tests.concurrency import at_once

    good, _ = _files(qaf_database, TASK)
    inbox.mkdir(parents=True)
    (inbox / "audit.json").write_bytes(good)
    results = at_once(lambda: sweep_returns_inbox(date(2027, 4, 20)))
    assert sum(r["accepted"] + r["already received"] for r in results) >= 1
    with transaction(qaf_database) as session:
        assert [r.status for r in session.execute(select(ReturnSubmission)).scalars()] == ["accepted"]
    assert not (inbox / "audit.json").exists()


@pytest.fixture(scope="module")
def served() -> Iterator[None]:
    """The submit-return deployment, served by a runner as a worker would run it."""
    from flows.submit_return import submit_return

    with serve(submit_return, "submit-return"):
        yield


def _schema(run_id, key: str) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    """Poll until the suspended run's form schema exists (resuming earlier fails); returns
    it and the form's description."""
    _wait(run_id, {"PAUSED"})
    deadline = time.monotonic() + FORM_WAIT_SECONDS
    with _client() as client:
        while time.monotonic() < deadline:
            found = {i.key: i.value for i in client.filter_flow_run_input(flow_run_id=run_id, key_prefix="suspended-", limit=50, exclude_keys=set())}
            if {f"suspended-{key}-schema", f"suspended-{key}-description"} <= found.keys():  # Prefect pauses the run, then saves the schema, then the description
                schema = found[f"suspended-{key}-schema"]
                description = found.get(f"suspended-{key}-description", "")
                return (json.loads(schema) if isinstance(schema, str) else schema), str(description)
            time.sleep(0.3)
    raise AssertionError(f"no input schema {key}")


def test_a_suspended_submit_return_run_resumed_with_typed_input_stores_the_return(served: None, qaf_database: str) -> None:
    from prefect.deployments import run_deployment
    from prefect.flow_runs import resume_flow_run

    _planned(qaf_database)
    with transaction(qaf_database) as session:
        task_id = find_return_task(session=session, framework=load_framework(ROOT / "schedules" / "sscp.yaml"), reference=TASK).task_id
    run = run_deployment("submit-return/submit-return", parameters={"task": TASK}, timeout=0)
    schema, description = _schema(run.id, f"return-{task_id}-1")
    assert "Multi-agency audit return from Avon and Somerset Constabulary for Multi-Agency Audit 2027/28 Q1" in description
    properties = schema["properties"]
    assert properties["agency"]["default"] == "avon-somerset-police" and properties["period"]["default"] == "2027/28 Q1"
    assert {"grades", "learning", "actions"} <= set(properties)

    # An answer that fails the checks is kept and the form comes back with the reasons.
    # A theme of spaces passes Prefect's schema but not the form's own model.
    resume_flow_run(run.id, run_input={"agency": "avon-somerset-police", "period": "2027/28 Q1",
                                       "grades": [{"case_number": "Wilhelmina Smith", "domain": "voice-of-the-child", "grade": "Good"}],
                                       "learning": [{"theme": "   "}]})
    schema, description = _schema(run.id, f"return-{task_id}-2")
    assert "grades[0].case_number: expected a pseudonymous case number such as MAA-2027-017" in description
    assert "learning[0].theme: is empty" in description
    assert "Wilhelmina" not in description

    resume_flow_run(run.id, run_input={
        "agency": "avon-somerset-police", "period": "2027/28 Q1",
        "grades": [{"case_number": "MAA-2027-009", "domain": d, "grade": "Outstanding"} for d in DOMAINS],
        "learning": [{"theme": "Fathers were seen and heard"}],
        "actions": [{"action": "Share the practice guide", "owner": "Safeguarding lead", "due": "2027-06-30"}],
    })
    finished = _wait(run.id, {"COMPLETED", "FAILED", "CRASHED"})
    assert finished.state.type.value == "COMPLETED", finished.state

    with transaction(qaf_database) as session:
        rows = session.execute(select(ReturnSubmission).order_by(ReturnSubmission.version)).scalars().all()
        status = session.get(Task, task_id).status  # type: ignore[union-attr]
    assert [(r.status, r.version, r.source, r.file_format) for r in rows] == [("rejected", 1, "ui", "form"), ("accepted", 2, "ui", "form")]
    assert json.loads(rows[1].payload)["grades"][0]["case_number"] == "MAA-2027-009" and status == "submitted"
    with _client() as client:
        inputs = client.filter_flow_run_input(flow_run_id=run.id, key_prefix="suspended-", limit=100, exclude_keys=set())
        parameters = client.read_flow_run(run.id).parameters
    assert not [i.key for i in inputs if i.key.endswith("-response")], "answers are deleted from Prefect once stored"
    assert parameters == {"task": TASK}
    assert all("Wilhelmina" not in str(i.value) for i in inputs)
