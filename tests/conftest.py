"""Shared fixtures: the shipped framework, and real SQLite and PostgreSQL databases.

PostgreSQL tests use the server named by QAF_TEST_POSTGRES_URL (default: the local
server on 127.0.0.1:5432, database ``test``, trust auth, as on CI). Each test gets its
own schema, dropped afterwards. Where no server answers, those tests are skipped with
the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from qaframework.framework import Framework, load_framework
from qaframework.persistence.database import make_engine

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORK_FILE = ROOT / "schedules" / "sscp.yaml"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One real Prefect API (prefect_test_harness) for the whole session, shared by every
    test that runs flows: several servers in one session would leave Prefect's process-wide
    clients (the events worker) talking to one that has gone."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def framework() -> Framework:
    return load_framework(FRAMEWORK_FILE)


def _postgres_base_url() -> str:
    return os.environ.get("QAF_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


_postgres_problem: list[str] = []


def _postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None if it can (checked once per session)."""
    if _postgres_problem:
        return _postgres_problem[0] or None
    url = _postgres_base_url()
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            connection.execute(text("select 1"))
        probe.dispose()
        _postgres_problem.append("")
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        _postgres_problem.append(
            f"PostgreSQL is not reachable at {url} ({type(exc).__name__}); "
            "start it or set QAF_TEST_POSTGRES_URL to run these tests"
        )
    return _postgres_problem[0] or None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema of its own."""
    reason = _postgres_unreachable()
    if reason:
        pytest.skip(reason)
    base = _postgres_base_url()
    schema = f"qaf_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'qaf.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'qaf.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
