"""One installation's data folder, found from anywhere; a read never makes a new database.

Before #16 the data folder was ``.qaf`` relative to wherever ``qaf`` ran: ``qaf returns
template`` in another folder quietly created an empty database there and answered "no
agency task has this reference".
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.yearly_plan import plan_financial_year
from tests.installation.conftest import qaf, refused

AS_OF = "2027-04-01"


def return_task(partnership: Framework) -> str:
    """The reference of the first 2027/28 agency task answered by a return."""
    for o in plan_financial_year(partnership, FinancialYear(2027)):
        if partnership.return_type_for(o.activity) and o.due is not None and o.end >= FinancialYear(2027).start:
            agency = next((a.key for a in o.assignees if a.kind == "agency"), None)
            if agency:
                return f"{o.key}/{agency}"
    raise AssertionError("the partnership has no task answered by a return")


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory, partnership_file: Path) -> Path:
    """A project folder whose installation has 2027/28 planned (one per partnership)."""
    project = tmp_path_factory.mktemp("project")
    planned = qaf("plan", "--fy", "2027", "--as-of", AS_OF, "--framework", str(partnership_file), cwd=project)
    assert planned.returncode == 0, planned.stderr
    return project


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("command", [
    ("returns", "template", "TASK", "FRAMEWORK"),
    ("returns", "list"),
    ("tasks", "--fy", "2027", "FRAMEWORK"),
    ("cases", "FRAMEWORK"),
    ("feeds", "list"),
    ("feeds", "issue", "partnership", "FRAMEWORK"),
    ("rapid-review", "start", "--aware", "2027-04-01", "FRAMEWORK"),
    ("actions", "list", "FRAMEWORK"),
])
def test_a_command_in_another_folder_refuses_and_creates_no_database(
    installation: Path, tmp_path: Path, partnership: Framework, partnership_file: Path, command: tuple[str, ...]
) -> None:
    elsewhere = tmp_path / "Downloads"
    elsewhere.mkdir()
    words = {"TASK": [return_task(partnership)], "FRAMEWORK": ["--framework", str(partnership_file)]}
    argv = [part for word in command for part in words.get(word, [word])]
    line = refused(qaf(*argv, cwd=elsewhere),
                   "no qaframework database here", f"no .qaf data folder in {elsewhere} or the folders above it",
                   "export QAF_DATA_DIR=")
    assert "no agency task" not in line
    assert files_under(elsewhere) == [], "nothing is written where the command ran"
    assert not (tmp_path / ".qaf").exists()


def test_the_same_command_finds_the_installation_from_a_subfolder_and_through_qaf_data_dir(
    installation: Path, tmp_path: Path, partnership: Framework, partnership_file: Path
) -> None:
    task = return_task(partnership)
    deeper = installation / "returns" / "2027-28"
    deeper.mkdir(parents=True, exist_ok=True)
    written = qaf("returns", "template", task, "--format", "json", "--output", "t.json", "--framework", str(partnership_file), cwd=deeper)
    assert written.returncode == 0, written.stderr
    assert json.loads((deeper / "t.json").read_text())["task"] == task
    assert not (deeper / ".qaf").exists() and not (installation / "returns" / ".qaf").exists()

    elsewhere = tmp_path / "Downloads"
    elsewhere.mkdir()
    listed = qaf("tasks", "--fy", "2027", "--framework", str(partnership_file), cwd=elsewhere, env={"QAF_DATA_DIR": str(installation / ".qaf")})
    assert listed.returncode == 0, listed.stderr
    assert task in listed.stdout
    with sqlite3.connect(installation / ".qaf" / "qaframework.db") as db:
        (tasks,) = db.execute("select count(*) from task").fetchone()
    assert f"{tasks} tasks in financial year 2027/28." in listed.stdout
    assert files_under(elsewhere) == []


def test_a_relative_qaf_data_dir_is_made_absolute_once_and_recorded(tmp_path: Path, partnership_file: Path) -> None:
    (tmp_path / "srv").mkdir()
    upgraded = qaf("db", "upgrade", cwd=tmp_path / "srv", env={"QAF_DATA_DIR": "data/qaf"})
    assert upgraded.returncode == 0, upgraded.stderr
    record = json.loads((tmp_path / "srv" / "data" / "qaf" / "installation.json").read_text())
    assert record["data_dir"] == str(tmp_path / "srv" / "data" / "qaf")
    assert len(record["id"]) == 32 and record["prefect_api_url"] is None
    again = qaf("db", "upgrade", cwd=tmp_path / "srv", env={"QAF_DATA_DIR": "data/qaf"})
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "srv" / "data" / "qaf" / "installation.json").read_text()) == record, "the id is kept"


def test_a_wrong_qaf_data_dir_is_named_in_the_refusal(tmp_path: Path, partnership_file: Path) -> None:
    missing = tmp_path / "typo" / ".qaf"
    refused(qaf("tasks", cwd=tmp_path, env={"QAF_DATA_DIR": str(missing)}), f"QAF_DATA_DIR is {missing}", "qaf db upgrade")
    assert not (tmp_path / "typo").exists()
    (tmp_path / "a-file").write_text("not a folder")
    refused(qaf("tasks", cwd=tmp_path, env={"QAF_DATA_DIR": str(tmp_path / "a-file")}), f"the data folder {tmp_path / 'a-file'} is not a folder")
    refused(qaf("tasks", cwd=tmp_path, env={"QAF_DATA_DIR": " "}), "QAF_DATA_DIR", "is empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_missing_sqlite_file_named_by_qaf_database_url_is_not_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'qaf.db'}"
    refused(qaf("returns", "list", cwd=tmp_path, env={"QAF_DATABASE_URL": url}), f"no database file {tmp_path / 'elsewhere' / 'qaf.db'}", "QAF_DATABASE_URL")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
def test_a_read_on_an_empty_postgresql_database_creates_no_tables(tmp_path: Path, postgres_url: str) -> None:
    refused(qaf("tasks", cwd=tmp_path, env={"QAF_DATABASE_URL": postgres_url}), "has no qaframework tables", "qaf db upgrade creates them")
    engine = create_engine(postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    assert list(tmp_path.iterdir()) == []
    planned = qaf("plan", "--fy", "2027", "--as-of", AS_OF, cwd=tmp_path, env={"QAF_DATABASE_URL": postgres_url})
    assert planned.returncode == 0, planned.stderr
    assert not (tmp_path / ".qaf").exists(), "a PostgreSQL installation's plan writes no local folder"
    listed = qaf("tasks", "--fy", "2027", cwd=tmp_path, env={"QAF_DATABASE_URL": postgres_url})
    assert listed.returncode == 0 and "tasks in financial year 2027/28." in listed.stdout
