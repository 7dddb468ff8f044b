"""The ``qaf`` command line, run as a user runs it: a process of its own, real files."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from qaframework.cli import build_parser
from qaframework.financial_year import FinancialYear
from tests.qaf_process import QAF, environment, run_qaf

SCHEDULES = Path(__file__).resolve().parents[2] / "schedules"


def qaf(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``qaf`` in a process of its own, forked from one that has done the imports
    (tests/qaf_process.py); ``cold_qaf`` starts the console script afresh."""
    return run_qaf(*args, cwd=cwd, env=_environment(env))


def cold_qaf(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([QAF, *args], cwd=cwd, env=_environment(env), capture_output=True, text=True, timeout=120)


def _environment(env: dict[str, str] | None) -> dict[str, str]:
    return environment(env, without=("QAF_",))


def assert_clean_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert re.match(r"^qaf( [a-z-]+)*: error: ", lines[0]), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_calendar_json_contract(tmp_path: Path) -> None:
    result = qaf("calendar", "--fy", "2027", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert len(items) == 66
    for item in items:
        assert {"activity", "title", "start", "end", "due", "period", "assignees"} <= set(item)
        assert item["period"] in {None, "Q1", "Q2", "Q3", "Q4"}
        assert isinstance(item["assignees"], list) and item["assignees"]
    audit_q4 = next(i for i in items if i["activity"] == "multi-agency-audit" and i["period"] == "Q4")
    assert (audit_q4["start"], audit_q4["end"], audit_q4["due"]) == ("2028-01-01", "2028-01-31", "2028-01-31")
    executive = [i for i in items if i["activity"] == "executive"]
    assert [i["starts_at"] for i in executive][:2] == ["2027-05-11T10:00:00+01:00", "2027-07-13T10:00:00+01:00"]
    assert executive[-1]["starts_at"] == "2028-03-14T10:00:00+00:00"
    assert not (tmp_path / ".qaf").exists(), "printing the calendar writes nothing"


def test_calendar_table_is_readable(tmp_path: Path) -> None:
    result = qaf("calendar", "--fy", "2027/28", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "financial year 2027/28 (01 April 2027 to 31 March 2028)" in result.stdout
    assert any(line.startswith("2027-10-01  2027-10-31  2027-10-29  Q3") and "Multi-Agency Audit" in line for line in result.stdout.splitlines())
    assert "66 occurrences" in result.stdout


def test_calendar_defaults_to_the_current_financial_year(tmp_path: Path) -> None:
    result = qaf("calendar", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    current = FinancialYear.containing(datetime.now(ZoneInfo("Europe/London")).date())
    assert {i["financial_year"] for i in json.loads(result.stdout)} == {str(current)}


@pytest.mark.parametrize(
    ("rule", "start", "due"),
    [("rapid-review", "2026-12-18", "2027-01-13"), ("panel-notification", "2026-12-21", "2026-12-30"),
     ("cspr", "2027-08-31", "2028-02-29"), ("cspr", "2026-08-31", "2027-02-28"), ("rapid-review", "2027-03-20", "2027-04-13")],
)
def test_deadline(tmp_path: Path, rule: str, start: str, due: str) -> None:
    result = qaf("deadline", rule, start, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, due + "\n", "")


def test_plan_twice_creates_nothing_new_and_tasks_lists_them(tmp_path: Path) -> None:
    first = qaf("plan", "--fy", "2027", "--as-of", "2027-03-01", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "created 66 occurrences and" in first.stdout and "0 occurrences and 0 tasks already existed" in first.stdout
    assert (tmp_path / ".qaf" / "qaframework.db").exists()
    second = qaf("plan", "--fy", "2027", "--as-of", "2027-03-01", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "created 0 occurrences and 0 tasks; 66 occurrences and" in second.stdout
    tasks = qaf("tasks", "--fy", "2027", "--json", cwd=tmp_path)
    assert tasks.returncode == 0, tasks.stderr
    rows = json.loads(tasks.stdout)
    created = int(first.stdout.split(" tasks;")[0].rsplit(" ", 1)[1])
    assert len(rows) == created
    assert not [r for r in rows if r["activity"] in {"rapid-review", "cspr", "thematic-review", "inspection"}]
    assert not [r for r in rows if r["activity"] == "executive"], "meetings are not tasks"
    assert {r["due"] for r in rows if r["occurrence"] == "multi-agency-audit/2027-10"} == {"2027-10-29"}


def test_plan_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    env = {"QAF_DATABASE_URL": postgres_url}
    assert "created 66 occurrences" in qaf("plan", "--fy", "2027", cwd=tmp_path, env=env).stdout
    assert "created 0 occurrences" in qaf("plan", "--fy", "2027", cwd=tmp_path, env=env).stdout
    assert not (tmp_path / ".qaf").exists()


def test_two_plans_at_once_from_two_processes(tmp_path: Path) -> None:
    environment = _environment(None)
    procs = [subprocess.Popen([QAF, "plan", "--fy", "2028"], cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    created = sorted(int(out.split("created ")[1].split(" ")[0]) for out, _ in outputs)
    assert created == [0, 66]
    tasks = json.loads(qaf("tasks", "--fy", "2028", "--json", cwd=tmp_path).stdout)
    pairs = [(t["occurrence"], t["assignee"]) for t in tasks]
    assert len(pairs) == len(set(pairs)) > 0


@pytest.mark.parametrize("args", [
    ("calendar", "--fy", "2027", "--json"),
    ("calendar", "--fy", "27/28x"),
    ("validate", str(SCHEDULES / "no-such-file.yaml")),
    ("tasks", "--fy", "2027", "--json"),
], ids=["calendar", "refused-year", "missing-file", "no-installation"])
def test_a_forked_qaf_answers_as_the_console_script_started_cold(tmp_path: Path, args: tuple[str, ...]) -> None:
    """The forked ``qaf`` the other tests use gives what a new process of the console
    script gives: the same exit code, output and errors, on success and on refusal."""
    cold = cold_qaf(*args, cwd=tmp_path)
    forked = qaf(*args, cwd=tmp_path)
    assert (forked.returncode, forked.stdout, forked.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert cold.stdout or cold.stderr
    assert "Traceback" not in cold.stderr


def test_validate(tmp_path: Path) -> None:
    result = qaf("validate", str(SCHEDULES / "sscp.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "valid: 22 activities, 9 bodies, 13 agencies (the roster is marked as EXAMPLE data)" in result.stdout


def test_db_upgrade(tmp_path: Path) -> None:
    result = qaf("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"is at schema (\d{4}) \(newest: \1\)", result.stdout), result.stdout


def _broken_framework(tmp_path: Path) -> Path:
    text = (SCHEDULES / "sscp.yaml").read_text(encoding="utf-8").replace("cadence: bi-monthly", "cadence: fortnightly")
    (tmp_path / "example_agencies.yaml").write_text((SCHEDULES / "example_agencies.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("deadline", "rapid-reveiw", "2026-12-18"), ("unknown deadline rule 'rapid-reveiw'", "rapid-review")),
        (("deadline", "rapid-review", "2027-02-29"), ("'2027-02-29' is not a real date", "YYYY-MM-DD")),
        (("deadline", "rapid-review", "2026-13-01"), ("'2026-13-01' is not a real date",)),
        (("deadline", "rapid-review", "18/12/2026"), ("'18/12/2026' is not a real date",)),
        (("deadline", "rapid-review", "20261218"), ("'20261218' is not a real date",)),
        (("deadline", "rapid-review"), ("the following arguments are required: DATE",)),
        (("deadline", "cspr", "9999-12-31"), ("'9999-12-31' is outside the supported years 2000-2099",)),
        (("deadline", "panel-notification", "0001-01-01"), ("outside the supported years",)),
        (("calendar", "--fy", "\uff12\uff10\uff12\uff17"), ("is not a financial year",)),
        (("plan", "--fy", "2027", "--as-of", "2027-02-30"), ("--as-of date '2027-02-30' is not a real date",)),
        (("feeds", "issue", "nobody"), ("'nobody' is not an agency, a body or 'partnership'",)),
        (("calendar", "--fy", "20x7"), ("'20x7' is not a financial year",)),
        (("calendar", "--fy", "2027/29"), ("'2027/29' is not a financial year",)),
        (("calendar", "--fy", "1850"), ("outside the supported range",)),
        (("plan", "--fy", "next"), ("'next' is not a financial year",)),
        (("validate", "missing.yaml"), ("missing.yaml: file not found",)),
        (("calendar", "--bogus"), ("unrecognized arguments: --bogus",)),
        (("frobnicate",), ("invalid choice: 'frobnicate'",)),
        ((), ("the following arguments are required: COMMAND",)),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, args: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    assert_clean_error(qaf(*args, cwd=tmp_path), *fragments)
    assert not (tmp_path / ".qaf").exists()


@pytest.mark.parametrize("command", [("validate",), ("calendar", "--framework"), ("plan", "--framework")])
def test_an_invalid_framework_file_is_refused_by_every_command(tmp_path: Path, command: tuple[str, ...]) -> None:
    path = _broken_framework(tmp_path)
    result = qaf(*command, str(path), cwd=tmp_path)
    assert_clean_error(result, str(path), "activities.mape.cadence", "Input should be 'monthly'")
    assert not (tmp_path / ".qaf").exists()


def test_framework_file_from_the_environment(tmp_path: Path) -> None:
    path = _broken_framework(tmp_path)
    assert_clean_error(qaf("calendar", cwd=tmp_path, env={"QAF_FRAMEWORK_FILE": str(path)}), "activities.mape.cadence")


@pytest.mark.parametrize(
    ("env", "fragments"),
    [
        ({"QAF_DATABASE_URL": "mysql://root@localhost/qaf"}, ("QAF_DATABASE_URL", "sqlite:///PATH or postgresql://", "got mysql://")),
        ({"QAF_DATABASE_URL": "postgresql+psycopg2://x@127.0.0.1/y"}, ("QAF_DATABASE_URL", "got postgresql+psycopg2://")),
        ({"QAF_DATABASE_URL": "sqlitex:///foo"}, ("QAF_DATABASE_URL",)),
        ({"QAF_DATABASE_URL": "not a url"}, ("QAF_DATABASE_URL", "is not a database URL")),
        ({"QAF_DATABASE_URL": "sqlite:////proc/no-such-folder/x.db"}, ("cannot create the folder for the database",)),
        ({"QAF_PREFECT_PORT": "http"}, ("QAF_PREFECT_PORT",)),
    ],
)
@pytest.mark.parametrize("command", [("plan", "--fy", "2027"), ("tasks",), ("db", "upgrade"), ("feeds", "list")])
def test_bad_database_settings_are_one_line_errors(tmp_path: Path, env: dict[str, str], fragments: tuple[str, ...], command: tuple[str, ...]) -> None:
    if command[0] in ("tasks", "feeds") and "/proc/no-such-folder" in env.get("QAF_DATABASE_URL", ""):
        fragments = ("no database file /proc/no-such-folder/x.db (QAF_DATABASE_URL)",)  # a read creates nothing
    assert_clean_error(qaf(*command, cwd=tmp_path, env=env), *fragments)
    assert not (tmp_path / ".qaf").exists()


def test_a_data_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    env = {"QAF_DATA_DIR": str(tmp_path / "data")}
    assert_clean_error(qaf("tasks", cwd=tmp_path, env=env), f"the data folder {tmp_path / 'data'} is not a folder")
    assert_clean_error(qaf("plan", "--fy", "2027", cwd=tmp_path, env=env), "cannot create the folder for the database")


def test_a_database_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / ".qaf").mkdir()
    (tmp_path / ".qaf" / "qaframework.db").write_bytes(b"this is a spreadsheet, not a database" * 100)
    assert_clean_error(qaf("plan", "--fy", "2027", cwd=tmp_path), "cannot be used: file is not a database")
    assert (tmp_path / ".qaf" / "qaframework.db").read_bytes().startswith(b"this is a spreadsheet"), "the file is left as it was"


def test_unreachable_database(tmp_path: Path) -> None:
    result = qaf("plan", "--fy", "2027", cwd=tmp_path, env={"QAF_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/qaf"})
    assert_clean_error(result, "cannot reach the database at postgresql+psycopg://nobody@127.0.0.1:1/qaf", "QAF_DATABASE_URL")


def _subcommands(parser) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    import argparse

    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((name, sub))
                found += [(f"{name} {n}", s) for n, s in _subcommands(sub)]
    return found


def test_every_command_has_help_text() -> None:
    commands = _subcommands(build_parser())
    assert {name for name, _ in commands} >= {"calendar", "deadline", "plan", "tasks", "validate", "db", "db upgrade"}
    for name, sub in commands:
        assert sub.description, f"qaf {name} has no description"  # type: ignore[attr-defined]


def test_feeds_issue_list_and_revoke(tmp_path: Path) -> None:
    env = {"QAF_FEEDS_PUBLIC_URL": "https://calendar.partnership.example"}
    assert qaf("db", "upgrade", cwd=tmp_path).returncode == 0  # feeds are issued by an installation, never into a new one
    issued = qaf("feeds", "issue", "avon-somerset-police", "--label", "named contact", cwd=tmp_path, env=env)
    assert issued.returncode == 0, issued.stderr
    https = [w for w in issued.stdout.split() if w.startswith("https://")]
    webcal = [w for w in issued.stdout.split() if w.startswith("webcal://")]
    assert len(https) == 1 and https[0].startswith("https://calendar.partnership.example/feeds/") and https[0].endswith(".ics")
    assert webcal == ["webcal://" + https[0].removeprefix("https://")]
    public_id, secret = https[0].split("/feeds/")[1].removesuffix(".ics").split("/")
    listing = qaf("feeds", "list", cwd=tmp_path)
    assert public_id in listing.stdout and "agency:avon-somerset-police" in listing.stdout and "active" in listing.stdout
    assert secret not in listing.stdout, "a secret is shown once, when issued"
    revoked = qaf("feeds", "revoke", https[0], cwd=tmp_path)
    assert revoked.returncode == 0 and f"Feed {public_id} for agency:avon-somerset-police is revoked" in revoked.stdout
    assert "revoked" in qaf("feeds", "list", cwd=tmp_path).stdout
    assert_clean_error(qaf("feeds", "revoke", "0123456789abcdef", cwd=tmp_path), "no feed subscription '0123456789abcdef'")


def test_feeds_public_url_must_be_https(tmp_path: Path) -> None:
    result = qaf("feeds", "issue", "partnership", cwd=tmp_path, env={"QAF_FEEDS_PUBLIC_URL": "http://calendar.example"})
    assert_clean_error(result, "QAF_FEEDS_PUBLIC_URL", "must start with https://")


def test_rapid_review_start_record_cases_and_resume(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        nobody = str(s.getsockname()[1])
    env = {"PREFECT_API_URL": f"http://127.0.0.1:{nobody}/api"}
    assert qaf("db", "upgrade", cwd=tmp_path).returncode == 0
    started = qaf("rapid-review", "start", "--aware", "2026-12-14", cwd=tmp_path, env=env)
    assert started.returncode == 0, started.stderr
    assert "Opened case RR-2026-001." in started.stdout
    assert "National Panel notified" in started.stdout and "due 2026-12-21" in started.stdout
    assert f"Prefect is not running for this installation ({tmp_path / '.qaf'})" in started.stdout
    assert "qaf rapid-review resume RR-2026-001" in started.stdout
    recorded = qaf("rapid-review", "record", "RR-2026-001", "panel-notification", "--on", "2026-12-18", cwd=tmp_path, env=env)
    assert recorded.returncode == 0 and "done 2026-12-18  on time" in recorded.stdout
    # Notified on Friday 18 December: the rapid review is due 15 working days later.
    assert "Rapid review completed and sent to the National Panel   due 2027-01-13" in recorded.stdout
    assert_clean_error(qaf("rapid-review", "record", "RR-2026-001", "panel-notification", "--on", "2026-12-17", cwd=tmp_path, env=env),
                       "already recorded as done on 2026-12-18")
    assert_clean_error(qaf("rapid-review", "record", "RR-2026-001", "rapid-review", "--on", "2026-12-16", cwd=tmp_path, env=env),
                       "before the previous stage (2026-12-18)")
    assert_clean_error(qaf("rapid-review", "record", "RR-2026-001", "decision", "--on", "2027-01-10", cwd=tmp_path, env=env),
                       "the next stage is rapid-review, not decision")
    assert_clean_error(qaf("rapid-review", "record", "RR-2099-001", "decision", "--on", "2027-01-10", cwd=tmp_path, env=env), "no case 'RR-2099-001'")
    cases = qaf("cases", cwd=tmp_path, env=env)
    assert "RR-2026-001  open" in cases.stdout and "1 open case." in cases.stdout
    resumed = qaf("rapid-review", "resume", "RR-2026-001", cwd=tmp_path, env=env)
    assert resumed.returncode == 0 and "-> Rapid review completed" in resumed.stdout

    # The decision's rationale from a file (kept out of shell history) reaches the case record.
    assert qaf("rapid-review", "record", "RR-2026-001", "rapid-review", "--on", "2027-01-12", cwd=tmp_path, env=env).returncode == 0
    assert qaf("rapid-review", "record", "RR-2026-001", "executive-sign-off", "--on", "2027-01-13", "--signed-by", "Independent Scrutineer", cwd=tmp_path, env=env).returncode == 0
    (tmp_path / "why.txt").write_text("Criteria for a local review not met; learning taken to L&I.", encoding="utf-8")
    decided = qaf("rapid-review", "record", "RR-2026-001", "decision", "--on", "2027-01-14", "--decision", "no-review", "--rationale-file", "why.txt", cwd=tmp_path, env=env)
    assert decided.returncode == 0, decided.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / ".qaf" / "qaframework.db") as db:
        assert db.execute("select decision, decision_rationale from review_case").fetchone() == ("no-review", "Criteria for a local review not met; learning taken to L&I.")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("rapid-review", "start", "--aware", "2026-02-30"), "--aware date '2026-02-30' is not a real date"),
        (("rapid-review", "start", "--aware", "2026-12-14", "--notified", "2026-12-01"), "before the date the local authority became aware"),
        (("rapid-review", "start"), "the following arguments are required: --aware"),
    ],
)
def test_rapid_review_bad_input(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    assert qaf("db", "upgrade", cwd=tmp_path).returncode == 0
    assert_clean_error(qaf(*args, cwd=tmp_path), fragment)
