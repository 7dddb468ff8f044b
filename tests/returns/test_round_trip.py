"""Every return type, round trip: the template written by ``qaf returns template``, filled
in as a named contact would, imported by ``qaf returns import``, stored, and counted on
the dashboard (``qaf returns status``, the same figures as the Prefect artifacts)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from qaframework.cli import main
from qaframework.framework import Framework
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.returns import receive_return
from qaframework.persistence.tables import ReturnSubmission, Task
from qaframework.persistence.task_status import open_started_tasks
from tests.concurrency import at_once


@pytest.fixture
def qaf(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        request: pytest.FixtureRequest) -> Callable[..., tuple[int, str, str]]:
    """Run ``qaf`` in this process against a fresh database (an installation with an empty
    schema; a test marked ``fresh_installation`` gets none at all); returns (exit code,
    stdout, stderr)."""
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / ".qaf"))
    monkeypatch.delenv("QAF_FRAMEWORK_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    # An installation exists: reads never create a database (#16), so start one here.
    if request.node.get_closest_marker("fresh_installation") is None:
        assert main(["db", "upgrade"]) == 0
        capsys.readouterr()

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def plan_and_open(qaf: Callable[..., tuple[int, str, str]], database_url: str, fy: int, on: date) -> None:
    code, _, err = qaf("plan", "--fy", str(fy), "--as-of", on.isoformat())
    assert code == 0, err
    with transaction(database_url) as session:
        open_started_tasks(session=session, on=on, actor="test")


def fill_sheet(path: Path, sheet: str, fill: Callable[[dict[str, Any]], dict[str, Any]] | None = None, rows: list[dict[str, Any]] | None = None) -> None:
    """Fill in a template's sheet by header: ``fill`` completes each pre-filled row, ``rows`` adds rows."""
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    headers = [c.value for c in ws[1]]
    if fill:
        for row in ws.iter_rows(min_row=2):
            values = fill({h: c.value for h, c in zip(headers, row)})
            for h, c in zip(headers, row):
                if h in values:
                    c.value = values[h]
    for extra in rows or []:
        ws.append([extra.get(h) for h in headers])
    book.save(path)


S11_TASK = "s11-self-assessment/2026-07/avon-somerset-police"


def _s11(path: Path) -> None:
    ratings = {"senior-lead": "Partially met", "escalation": "Not met"}
    fill_sheet(path, "Ratings", lambda r: {"Rating": ratings.get(r["Standard"], "Fully met"), "Evidence": f"Board minutes for {r['Standard']}"})
    fill_sheet(path, "Actions", rows=[
        {"Domain": "leadership-and-governance", "Standard": "senior-lead", "Action": "Name a deputy lead", "Owner": "Director of Nursing", "Due": datetime(2027, 6, 30)},
        {"Domain": "Culture and challenge", "Standard": "escalation", "Action": "Relaunch the escalation policy", "Owner": "Head of Safeguarding", "Due": "30/09/2027"},
    ])


def _survey(path: Path) -> None:
    fill_sheet(path, "Results", lambda r: {"Respondents": 40, "Positive": 31, "Findings": "Most know how to escalate"})


def _schools(path: Path) -> None:
    standards = ["dsl", "policy", "training", "safer-recruitment", "online-safety", "governance"]
    fill_sheet(path, "Schools", rows=[
        {"School URN": urn, "School name": name, "Standard": s, "Compliance": "Partially compliant" if (urn, s) == (123456, "online-safety") else "Compliant"}
        for urn, name in ((123456, "Example Primary School"), (654321, "Example Academy")) for s in standards
    ])


def _case_audit(path: Path) -> None:
    domains = ["voice-of-the-child", "information-sharing", "risk-assessment", "planning-and-review"]
    fill_sheet(path, "Grades", rows=[{"Case number": case, "Domain": d, "Grade": "Good" if d != "information-sharing" else "Requires improvement"}
                                     for case in ("MAA-2027-001", "MAA-2027-002") for d in domains])
    fill_sheet(path, "Learning", rows=[{"Case number": "MAA-2027-002", "Learning theme": "Health visitors were not invited to strategy discussions"}])
    fill_sheet(path, "Actions", rows=[{"Action": "Invite health to every strategy discussion", "Owner": "MASH manager", "Due": datetime(2027, 9, 30)}])


def _dataset(path: Path) -> None:
    fill_sheet(path, "Values", lambda r: {"Value": 37.5 if r["Unit"] == "percent" else 120})


CASES = [
    # (task, financial year planned, as of, filler, the table checked, how many rows it has)
    pytest.param(S11_TASK, 2026, date(2026, 7, 1), _s11, "ratings", 12, id="s11-self-assessment"),
    pytest.param("s11-practitioner-survey/2027-07/avon-somerset-police", 2027, date(2027, 7, 1), _survey, "results", 6, id="survey-results"),
    pytest.param("s175-audit/2028-01/somerset-education", 2027, date(2028, 1, 4), _schools, "schools", 12, id="school-audit"),
    pytest.param("multi-agency-audit/2027-04/avon-somerset-police", 2027, date(2027, 4, 1), _case_audit, "grades", 8, id="case-audit"),
    pytest.param("dataset-return/2027-07/somerset-csc", 2027, date(2027, 7, 1), _dataset, "values", 10, id="dataset"),
]


@pytest.mark.parametrize(("task", "fy", "on", "fill", "table", "rows"), CASES)
def test_each_return_type_round_trips(qaf: Callable[..., tuple[int, str, str]], database_url: str, tmp_path: Path,
                                      task: str, fy: int, on: date, fill: Callable[[Path], None], table: str, rows: int) -> None:
    plan_and_open(qaf, database_url, fy, on)
    code, out, err = qaf("returns", "template", task, "--output", "return.xlsx")
    assert code == 0, err
    fill(tmp_path / "return.xlsx")
    code, out, err = qaf("returns", "import", "return.xlsx")
    assert code == 0, err
    assert f"accepted as version 1 of {task}" in out

    with transaction(database_url) as session:
        (stored,) = session.execute(select(ReturnSubmission)).scalars().all()
        task_row = session.get(Task, stored.task_id)
    assert (stored.status, stored.version, stored.source, stored.file_format) == ("accepted", 1, "cli", "xlsx")
    assert stored.original == (tmp_path / "return.xlsx").read_bytes(), "the file is kept as it was sent"
    payload = json.loads(stored.payload)
    assert payload["task"] == task and len(payload[table]) == rows
    assert task_row is not None and task_row.status == "submitted"

    code, out, err = qaf("returns", "status", "--fy", str(fy), "--json")
    assert code == 0, err
    report = json.loads(out)
    agency_key = task.rsplit("/", 1)[1]
    (line,) = [t for t in report["tasks"] if t["task"] == task]
    assert (line["status"], line["versions_accepted"], line["late"]) == ("submitted", 1, False)
    (activity_row,) = [r for r in report["returns-by-activity"] if r["activity"].endswith(payload["period"]) and r["received"]]
    assert activity_row["received"] == 1 and activity_row["expected"] >= 1
    assert activity_row["outstanding"] == activity_row["expected"] - 1, "the other agencies still owe theirs"
    agency_names = {"avon-somerset-police": "Avon and Somerset Constabulary", "somerset-education": "Somerset Council Education Safeguarding",
                    "somerset-csc": "Somerset Council Children's Social Care"}
    (agency_row,) = [r for r in report["returns-by-agency"] if r["agency"] == agency_names[agency_key]]
    assert agency_row["received"] == 1 and agency_row["received late"] == 0


def test_the_s11_summary_is_red_amber_green_by_domain(qaf: Callable[..., tuple[int, str, str]], database_url: str, tmp_path: Path) -> None:
    plan_and_open(qaf, database_url, 2026, date(2026, 7, 1))
    assert qaf("returns", "template", S11_TASK, "--output", "s11.xlsx")[0] == 0
    _s11(tmp_path / "s11.xlsx")
    assert qaf("returns", "import", "s11.xlsx")[0] == 0
    code, out, err = qaf("returns", "status", "--fy", "2026", "--json")
    report = json.loads(out)
    domains = {r["domain"]: r for r in report["s11-rag-by-domain"]}
    assert domains["Leadership and governance"] == {"domain": "Leadership and governance", "Green": 1, "Amber": 1, "Red": 0, "overall": "Amber"}
    assert domains["Culture and challenge"]["overall"] == "Red"
    assert domains["Commissioning and quality"] == {"domain": "Commissioning and quality", "Green": 2, "Amber": 0, "Red": 0, "overall": "Green"}
    (police,) = report["s11-rag-by-agency"]
    assert (police["agency"], police["Leadership and governance"], police["Culture and challenge"], police["Performance and outcomes"]) == (
        "Avon and Somerset Constabulary", "Amber", "Red", "Green")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_templates_round_trip(qaf: Callable[..., tuple[int, str, str]], database_url: str, tmp_path: Path, fmt: str) -> None:
    task = "dataset-return/2027-07/somerset-csc"
    plan_and_open(qaf, database_url, 2027, date(2027, 7, 1))
    assert qaf("returns", "template", task, "--format", fmt, "--output", f"r.{fmt}")[0] == 0
    path = tmp_path / f"r.{fmt}"
    if fmt == "json":
        body = json.loads(path.read_text())
        for row in body["values"]:
            row["value"] = 5
        path.write_text(json.dumps(body))
    else:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        start = lines.index("[Values]") + 2
        path.write_text("\n".join(lines[:start] + [l.replace(",,", ",5,", 1) for l in lines[start:]]), encoding="utf-8")
    code, out, err = qaf("returns", "import", str(path))
    assert code == 0, err
    with transaction(database_url) as session:
        (stored,) = session.execute(select(ReturnSubmission)).scalars().all()
    values = json.loads(stored.payload)["values"]
    assert {(v["measure"], v["period"]) for v in values} >= {("referrals", "2027-04"), ("referrals", "2027-06"), ("children-in-need", "2027/28 Q1")}
    assert all(v["value"] == 5 for v in values) and stored.file_format == fmt


def test_template_refuses_to_overwrite_a_file(qaf: Callable[..., tuple[int, str, str]], database_url: str, tmp_path: Path) -> None:
    plan_and_open(qaf, database_url, 2027, date(2027, 7, 1))
    (tmp_path / "filled.xlsx").write_bytes(b"a partner's filled-in return")
    code, _, err = qaf("returns", "template", "dataset-return/2027-07/somerset-csc", "--output", "filled.xlsx")
    assert code == 2 and "already exists" in err and "--force" in err
    assert (tmp_path / "filled.xlsx").read_bytes() == b"a partner's filled-in return"
    code, _, err = qaf("returns", "template", "dataset-return/2027-07/no-such-agency")
    assert code == 2 and "no agency task has this reference" in err


def _dataset_file(qaf: Callable[..., tuple[int, str, str]], tmp_path: Path, name: str, value: int) -> bytes:
    assert qaf("returns", "template", "multi-agency-audit/2027-04/avon-somerset-police", "--format", "json", "--output", name, "--force")[0] == 0
    body = json.loads((tmp_path / name).read_text())
    body["grades"] = [{"case_number": f"MAA-2027-{value:03d}", "domain": d, "grade": "Good"}
                      for d in ("voice-of-the-child", "information-sharing", "risk-assessment", "planning-and-review")]
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("received_at", "late"),
    [
        # Due Friday 30 April 2027. 23:30 BST on the 30th is 22:30 UTC: on time.
        (datetime(2027, 4, 30, 22, 30, tzinfo=timezone.utc), False),
        # 00:30 BST on Saturday 1 May is still 30 April in UTC: late all the same.
        (datetime(2027, 4, 30, 23, 30, tzinfo=timezone.utc), True),
        (datetime(2027, 5, 4, 9, 0, tzinfo=timezone.utc), True),
    ],
)
def test_a_late_return_is_flagged_by_the_london_day_it_arrived(qaf: Callable[..., tuple[int, str, str]], database_url: str, tmp_path: Path,
                                                              framework: Framework, received_at: datetime, late: bool) -> None:
    plan_and_open(qaf, database_url, 2027, date(2027, 4, 1))
    data = _dataset_file(qaf, tmp_path, "audit.json", 1)
    with transaction(database_url) as session:
        stored = receive_return(session=session, framework=framework, data=data, filename="audit.json", source="cli", actor="test", received_at=received_at)
    assert (stored.status, stored.late) == ("accepted", late)
    code, out, _ = qaf("returns", "status", "--fy", "2027", "--json")
    (police,) = [r for r in json.loads(out)["returns-by-agency"] if r["agency"] == "Avon and Somerset Constabulary"]
    assert police["received late"] == int(late)


def test_a_resubmission_keeps_both_versions(qaf: Callable[..., tuple[int, str, str]], database_url: str, tmp_path: Path, framework: Framework) -> None:
    plan_and_open(qaf, database_url, 2027, date(2027, 4, 1))
    first, second = _dataset_file(qaf, tmp_path, "a.json", 1), _dataset_file(qaf, tmp_path, "b.json", 2)
    for data, when in ((first, datetime(2027, 4, 20, 9, tzinfo=timezone.utc)), (second, datetime(2027, 5, 6, 9, tzinfo=timezone.utc))):
        with transaction(database_url) as session:
            receive_return(session=session, framework=framework, data=data, filename="audit.json", source="cli", actor="test", received_at=when)
    with transaction(database_url) as session:
        rows = session.execute(select(ReturnSubmission).order_by(ReturnSubmission.version)).scalars().all()
        task = session.get(Task, rows[0].task_id)
    assert [(r.version, r.status, r.late) for r in rows] == [(1, "accepted", False), (2, "accepted", True)]
    assert [json.loads(r.payload)["grades"][0]["case_number"] for r in rows] == ["MAA-2027-001", "MAA-2027-002"]
    assert task is not None and task.submitted_at == datetime(2027, 4, 20, 9, tzinfo=timezone.utc), "the first submission set the day it was submitted"
    code, out, _ = qaf("returns", "list", "--task", "multi-agency-audit/2027-04/avon-somerset-police")
    assert "v2" in out and "v1" in out and "2 submissions." in out
    code, out, err = qaf("returns", "original", str(rows[0].id), "--output", "v1.json")
    assert code == 0 and (tmp_path / "v1.json").read_bytes() == first


def test_the_same_file_twice_at_once_is_received_once_and_two_files_get_two_versions(
        qaf: Callable[..., tuple[int, str, str]], database_url: str, tmp_path: Path, framework: Framework) -> None:
    plan_and_open(qaf, database_url, 2027, date(2027, 4, 1))
    prepare(database_url)
    data = _dataset_file(qaf, tmp_path, "a.json", 1)

    def receive(content: bytes) -> Callable[[], Any]:
        def work() -> Any:
            with transaction(database_url) as session:
                return receive_return(session=session, framework=framework, data=content, filename="a.json", source="inbox", actor="test")
        return work

    results = at_once(receive(data))
    assert sorted(r.duplicate for r in results) == [False, True] and results[0].id == results[1].id
    contents = iter([_dataset_file(qaf, tmp_path, "b.json", 2), _dataset_file(qaf, tmp_path, "c.json", 3)])
    pair = [next(contents), next(contents)]
    at_once(lambda: receive(pair.pop())())
    with transaction(database_url) as session:
        versions = sorted(session.execute(select(ReturnSubmission.version)).scalars())
    assert versions == [1, 2, 3]


def test_going_back_to_an_earlier_file_is_a_new_version(qaf: Callable[..., tuple[int, str, str]], database_url: str, tmp_path: Path, framework: Framework) -> None:
    plan_and_open(qaf, database_url, 2027, date(2027, 4, 1))
    first, second = _dataset_file(qaf, tmp_path, "a.json", 1), _dataset_file(qaf, tmp_path, "b.json", 2)
    results = []
    for data in (first, second, first, first):
        with transaction(database_url) as session:
            results.append(receive_return(session=session, framework=framework, data=data, filename="audit.json", source="cli", actor="test"))
    assert [(r.version, r.duplicate) for r in results] == [(1, False), (2, False), (3, False), (3, True)]
    code, out, _ = qaf("returns", "status", "--fy", "2027", "--json")
    (line,) = [t for t in json.loads(out)["tasks"] if t["task"] == "multi-agency-audit/2027-04/avon-somerset-police"]
    assert line["versions_accepted"] == 3


def test_a_file_from_one_agency_naming_another_is_rejected_and_its_sender_told(
        qaf: Callable[..., tuple[int, str, str]], database_url: str, tmp_path: Path) -> None:
    plan_and_open(qaf, database_url, 2027, date(2027, 4, 1))
    (tmp_path / "police.json").write_bytes(_dataset_file(qaf, tmp_path, "police.json", 1))
    code, out, err = qaf("returns", "import", "police.json", "--agency", "somerset-csc")
    assert code == 2
    assert "names the agency avon-somerset-police, but the file came from somerset-csc" in err
    with transaction(database_url) as session:
        (row,) = session.execute(select(ReturnSubmission)).scalars().all()
        police_task = session.execute(select(Task.status).where(Task.assignee_key == "avon-somerset-police", Task.status == "submitted")).first()
    assert (row.status, row.agency_key, row.task_id, row.notice_status) == ("rejected", "somerset-csc", None, "pending")
    assert police_task is None, "nothing was counted for the agency the file named"


def test_a_return_imported_later_is_judged_by_the_day_it_arrived(qaf: Callable[..., tuple[int, str, str]], database_url: str, tmp_path: Path) -> None:
    plan_and_open(qaf, database_url, 2027, date(2027, 4, 1))
    (tmp_path / "on-time.json").write_bytes(_dataset_file(qaf, tmp_path, "on-time.json", 1))
    code, out, err = qaf("returns", "import", "on-time.json", "--received", "2027-04-30")
    assert code == 0 and "(on time)" in out, err
    (tmp_path / "late.json").write_bytes(_dataset_file(qaf, tmp_path, "late.json", 2))
    code, out, err = qaf("returns", "import", "late.json", "--received", "2027-05-04")
    assert code == 0 and "(late)" in out, err
    code, _, err = qaf("returns", "import", "late.json", "missing.json")
    assert code == 2 and "cannot read missing.json" in err and "nothing was imported" in err
    with transaction(database_url) as session:
        assert len(session.execute(select(ReturnSubmission)).scalars().all()) == 2
