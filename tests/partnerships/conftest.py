"""Every capability, end to end, on each shipped framework file.

The ``partnership`` fixture is the loaded framework of one shipped file (ids ``sscp`` and
``example``); it also stands in for the suite's ``framework`` fixture, so the fixtures
reused from the other test packages (a planned year, the feed catalog) work on it. The
tests name no body, agency, activity, stage or decision: they ask the framework which
body plays a role, what the chain's stages are, who is on the roster.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from qaframework.framework import Framework, load_framework
from qaframework.persistence.database import transaction
from qaframework.persistence.tables import Occurrence, Task
from tests.conftest import FRAMEWORK_FILE, ROOT
from tests.reminders.conftest import planned_2027, smtp  # noqa: F401 - fixtures reused by these tests
from tests.returns.test_round_trip import qaf  # noqa: F401 - the in-process CLI fixture

SHIPPED = {
    "sscp": FRAMEWORK_FILE,
    "example": ROOT / "schedules" / "example_partnership.yaml",
}

Qaf = Callable[..., tuple[int, str, str]]
#: For tests that need a database only to run the CLI: SQLite alone.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="session", params=list(SHIPPED), ids=list(SHIPPED))
def partnership(request: pytest.FixtureRequest) -> Framework:
    """One shipped framework file, loaded with its roster."""
    return load_framework(SHIPPED[request.param])


@pytest.fixture(scope="session")
def framework(partnership: Framework) -> Framework:
    """The reused fixtures of the other packages plan and serve this partnership."""
    return partnership


@pytest.fixture
def partnership_qaf(qaf: Qaf, partnership: Framework) -> Qaf:
    """``qaf`` in this process with ``--framework`` naming the partnership's file (the
    environment names none, so a command that ignored it would use the wrong file)."""

    def run(*args: str) -> tuple[int, str, str]:
        return qaf(*args, "--framework", str(partnership.source))

    return run


def plan_years(partnership_qaf: Qaf, years: list[int], as_of: date) -> None:
    for year in years:
        code, _, err = partnership_qaf("plan", "--fy", str(year), "--as-of", as_of.isoformat())
        assert code == 0, err


def stored_tasks(url: str) -> list[tuple[Task, Occurrence]]:
    with transaction(url) as session:
        rows = session.execute(select(Task, Occurrence).join(Occurrence, Task.occurrence_id == Occurrence.id)).all()  # type: ignore[arg-type]
        return [(t, o) for t, o in rows]


def s11_years(partnership: Framework, count: int) -> list[int]:
    """``count`` consecutive financial years from the Section 11 cycle's year one."""
    first = partnership.document.section11.year_one
    return list(range(first, first + count))


def emails_of(partnership: Framework) -> set[str]:
    """Every address the partnership's files give: agencies' contacts and bodies."""
    return {a.contact.email for a in partnership.agencies.values()} | {b.email for b in partnership.bodies.values() if b.email}


def feed_domain(partnership: Framework) -> str:
    return f"{partnership.document.partnership.key}.qaframework"
