"""The demonstration year as a fixture, on each shipped framework file (the ``partnership``
fixture) and on SQLite and PostgreSQL (``database_url``).

``demo_year`` is the URL of a database holding the demonstration year, written by
``write_demo_year`` as ``qaf demo`` writes it, "today" being :data:`DEMO_TODAY`; its papers
are under ``tmp_path / ".qaf"`` (the data folder of the in-process ``qaf`` fixture).
``demo_database`` gives the same with the outcome (the year, the last day walked, the
counts) and the data folder. On SQLite the year is written once per framework file and
the file copied for each test (a test may change its copy); on PostgreSQL it is written
for each test.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from qaframework.demo import DemoOutcome, default_year, write_demo_year
from qaframework.framework import Framework
from qaframework.persistence.database import prepare, transaction
from tests.partnerships.conftest import Qaf, framework, partnership, partnership_qaf, qaf  # noqa: F401 - fixtures

__all__ = ["DEMO_TODAY", "DemoDatabase", "Qaf", "build_demo", "postgresql_only", "sqlite_only"]

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
postgresql_only = pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)

#: The day the demonstration is written on: the default year is then the latest year
#: ended by it in the Section 11 cycle's year one (SSCP: 2023/24; the example: 2025/26).
DEMO_TODAY = date(2026, 12, 2)


@dataclass(frozen=True)
class DemoDatabase:
    url: str
    data_dir: Path
    outcome: DemoOutcome
    framework: Framework
    seconds: float  # the processor time writing the year took (the first time, on SQLite)


def build_demo(url: str, framework: Framework, data_dir: Path, *, papers: bool = True) -> tuple[DemoOutcome, float]:
    """Write the demonstration year into the (new) database at ``url``; and the processor
    seconds it took (not the wall clock: the test machines are shared, and a loaded one
    waits for its turn, not for the demonstration)."""
    prepare(url)
    started = time.process_time()
    with transaction(url) as session:
        outcome = write_demo_year(session=session, framework=framework, fy=default_year(framework, DEMO_TODAY), data_dir=data_dir,
                                  today=DEMO_TODAY, papers=papers)
    return outcome, time.process_time() - started


_SQLITE_BUILT: dict[str, tuple[Path, DemoOutcome, float]] = {}


@pytest.fixture
def demo_database(database_url: str, partnership: Framework, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> DemoDatabase:
    data_dir = tmp_path / ".qaf"
    if make_url(database_url).get_backend_name() != "sqlite":
        outcome, seconds = build_demo(database_url, partnership, data_dir)
        return DemoDatabase(database_url, data_dir, outcome, partnership, seconds)
    key = str(partnership.source)
    if key not in _SQLITE_BUILT:
        folder = tmp_path_factory.mktemp("demo-year")
        outcome, seconds = build_demo(f"sqlite:///{folder / 'qaf.db'}", partnership, folder / "data")
        _SQLITE_BUILT[key] = (folder, outcome, seconds)
    folder, outcome, seconds = _SQLITE_BUILT[key]
    target = Path(make_url(database_url).database or "")
    for suffix in ("", "-wal", "-shm"):
        if (folder / f"qaf.db{suffix}").exists():
            shutil.copyfile(folder / f"qaf.db{suffix}", target.with_name(target.name + suffix))
    if (folder / "data").exists():
        shutil.copytree(folder / "data", data_dir, dirs_exist_ok=True)
    return DemoDatabase(database_url, data_dir, outcome, partnership, seconds)


@pytest.fixture
def demo_year(demo_database: DemoDatabase) -> str:
    """The URL of a database holding the demonstration year (see the module's docstring)."""
    return demo_database.url
