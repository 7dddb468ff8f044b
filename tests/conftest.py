"""Shared fixtures: the shipped framework, and real SQLite and PostgreSQL databases.

PostgreSQL tests use the server named by QAF_TEST_POSTGRES_URL (default: the local
server on 127.0.0.1:5432, database ``test``, trust auth, as on CI). Each test gets its
own schema, dropped afterwards; ``database_url`` gives it already at the newest schema.
Where no server answers, those tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from qaframework.framework import Framework, load_framework
from qaframework.persistence.database import make_engine, migrate, prepare

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORK_FILE = ROOT / "schedules" / "sscp.yaml"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One real Prefect API for the whole session, shared by every test that runs flows:
    several servers in one session would leave Prefect's process-wide clients (the events
    worker) talking to one that has gone. It is Prefect's test server, on a PostgreSQL
    database of its own where the tests' PostgreSQL server answers (see
    ``tests/prefect_server.py``), else ``prefect_test_harness`` on SQLite.

    Flow runs send no heartbeats here. Prefect's heartbeat thread sleeps a second at a
    time and every run, each subflow too, waits for it to wake before it ends (an empty
    flow: 1.1 s with heartbeats, 0.2-0.3 s without); nothing here tests Prefect's
    detection of crashed runs, which they serve. Deployed runs keep Prefect's default.

    The server records no task runs and keeps no events (its task-run recorder and event
    persister are off): no test reads either from it, and on six flow-test files they cost
    a sixth of the CPU (191 s to 157 s; 131 s to 110 s of wall time). Its triggers still
    run, so an event still starts the rapid review's deployment
    (``tests/flows/test_prefect_test_server.py`` reads the server's settings)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED,
        PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED,
        temporary_settings,
    )

    from tests.prefect_server import prefect_test_server

    on_postgres = _postgres_unreachable() is None
    quiet = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED: False,
             PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED: False}
    with temporary_settings(quiet), prefect_test_server(on_postgres):
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


def _new_postgres_schema() -> tuple[str, Callable[[], None]]:
    """A URL to a new, empty PostgreSQL schema, and what drops it."""
    base = _postgres_base_url()
    schema = f"qaf_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        _catalogue_churned[0] = True

    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


#: Whether this process has made and dropped a schema (its catalogue rows to vacuum).
_catalogue_churned = [False]
#: The catalogue tables a schema made and dropped leaves dead rows in.
_CATALOGUE = ("pg_class", "pg_attribute", "pg_attrdef", "pg_depend", "pg_type", "pg_constraint", "pg_index",
              "pg_namespace", "pg_sequence", "pg_trigger", "pg_description", "pg_init_privs")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Vacuum the catalogue rows this process's schemas left. Every PostgreSQL test makes
    and drops a schema of about forty tables: a run of the suite leaves some 450,000 dead
    rows in pg_attribute. Where the server's autovacuum is off (as on CI here) they stay,
    and every later run's catalogue reads and DDL slow down (after two runs a count of
    pg_class took 50 ms, not 1; making a test's schema 0.17 s, not 0.12). VACUUM marks
    them free in a second or two; a role that may not vacuum the catalogue gets
    PostgreSQL's warning and nothing is done. (A database per test, copied from a
    migrated template, leaves no catalogue rows but was slower here: each DROP DATABASE
    forces a checkpoint.)"""
    if not _catalogue_churned[0]:
        return
    engine = create_engine(_postgres_base_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("VACUUM " + ", ".join(f"pg_catalog.{t}" for t in _CATALOGUE)))
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty PostgreSQL schema of its own."""
    yield from _empty_postgres()


def _empty_postgres() -> Iterator[str]:
    reason = _postgres_unreachable()
    if reason:
        pytest.skip(reason)
    url, drop = _new_postgres_schema()
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL to a SQLite file not yet made."""
    return f"sqlite:///{tmp_path / 'qaf.db'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to the newest schema once per session, for copying."""
    path = tmp_path_factory.mktemp("template") / "qaf.db"
    prepare(f"sqlite:///{path}")
    return in_one_file(path)


def in_one_file(path: Path) -> Path:
    """The SQLite database at ``path`` with all of it in that file (its write-ahead log
    folded in and switched off), so that copying the file copies the database."""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    return path


@pytest.fixture(scope="session")
def postgres_schema_statements() -> list[str]:
    """What migrating an empty PostgreSQL schema to the newest writes, statement by
    statement (recorded once per session), to send again to each test's schema: Alembic
    reads eleven migration scripts each time, the statements take a fraction of that.
    Its reads of the catalogue (the migrations themselves read nothing) are left out."""
    reason = _postgres_unreachable()
    if reason:
        pytest.skip(reason)
    url, drop = _new_postgres_schema()
    engine = make_engine(url)
    sent: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _sent(_connection, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith("SELECT"):
            # Sent again as one text, so none may carry values of its own.
            assert not parameters, f"a migration statement carries values, which the copy would lose: {statement[:200]}"
            sent.append(statement)

    try:
        migrate(engine)
    finally:
        engine.dispose()
        drop()
    return sent


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs twice: on SQLite and on PostgreSQL, in a database of its
    own already at the newest schema (a copy of one migrated once per session;
    tests/integration/test_database.py checks the copy is what migrating makes). A test
    marked ``fresh_installation`` gets it empty: nothing migrated, on SQLite no file."""
    if request.node.get_closest_marker("fresh_installation") is not None:
        if request.param == "sqlite":
            yield f"sqlite:///{tmp_path / 'qaf.db'}"
        else:
            yield from _empty_postgres()
        return
    if request.param == "sqlite":
        path = tmp_path / "qaf.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    statements = request.getfixturevalue("postgres_schema_statements")
    url, drop = _new_postgres_schema()
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            # One round trip for them all (0.15 s a test here, 0.2 s one by one).
            connection.exec_driver_sql(";\n".join(statements))
    finally:
        engine.dispose()
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
