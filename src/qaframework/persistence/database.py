"""The database engine and its migrations.

SQLite by default (a file under the data folder), PostgreSQL when ``QAF_DATABASE_URL``
says so. The schema is owned by Alembic: :func:`migrate` brings any database, empty or
older, to the version this code expects.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlmodel import Session, create_engine

from qaframework.errors import DatabaseError, excerpt


def _where(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _use_wal(cursor: sqlite3.Cursor, attempts: int = 100) -> None:
    """Put the database in WAL mode (it stays so). Switching needs the file to itself, and
    SQLite answers "database is locked" at once, without waiting, when another process
    opens the new file at the same moment: so check first, and try again briefly."""
    for attempt in range(attempts):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite, creates the folder and enforces foreign keys.

    Statements' values are never put into error messages (``hide_parameters``): a
    failed write must not copy case notes into a log.
    """
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except ArgumentError:
        raise DatabaseError(f"{url!r} is not a database URL: check QAF_DATABASE_URL") from None
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot create the folder for the database {parsed.database}: {exc.strerror}. "
                    "Check QAF_DATA_DIR or QAF_DATABASE_URL"
                ) from None
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            _use_wal(cursor)
            cursor.close()

        return engine
    try:
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(f"cannot use the database at {_where(url)}: {exc}. Check QAF_DATABASE_URL") from None


def _alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("qaframework.persistence").joinpath("migrations")))
    config.attributes["engine"] = engine
    return config


#: Alembic keeps its migration context in module globals, so two threads of one process
#: must not migrate at once. Across processes, migrations/env.py takes a database lock.
_MIGRATING = threading.Lock()


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest schema (creating it from empty if need be).

    A database already at the newest revision (nearly every command and run) is left
    alone after one read of its revision: Alembic's upgrade would load and run every
    migration script to find nothing to do. Any other goes through the upgrade, which
    takes the database's lock and reads the revision again under it. A database at a
    revision these migrations do not have (upgraded by a newer qaframework) is refused,
    untouched."""
    try:
        with _MIGRATING:
            revision = schema_revision(engine)
            if revision == head_revision():
                return
            if revision is not None and revision not in _known_revisions():
                raise DatabaseError(
                    f"the database at {engine.url.render_as_string(hide_password=True)} is at schema revision "
                    f"{excerpt(revision)}, which this qaframework does not know (its newest is {head_revision()}): "
                    "a newer qaframework has upgraded it; use that version (or newer) with this database")
            command.upgrade(_alembic_config(engine), "head")
    except OperationalError as exc:
        raise DatabaseError(
            f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{' '.join(str(exc.orig).split())} Check QAF_DATABASE_URL and that the server is running"
        ) from None
    except SQLAlchemyError as exc:
        detail = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
        raise DatabaseError(
            f"the database at {engine.url.render_as_string(hide_password=True)} cannot be used: {detail}. "
            "Is QAF_DATABASE_URL (or the file in QAF_DATA_DIR) a qaframework database?"
        ) from None


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@cache
def _migrations() -> ScriptDirectory:
    """The migration scripts installed with this code, read once a process: they are part
    of the code (Alembic reads every script to know their order)."""
    return ScriptDirectory.from_config(_alembic_config())


def _known_revisions() -> set[str]:
    """Every revision of the migrations installed with this code."""
    return {script.revision for script in _migrations().walk_revisions()}


def head_revision() -> str | None:
    """The newest revision of the migrations installed with this code."""
    return _migrations().get_current_head()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed if the block succeeds, rolled back if it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def transaction(url: str) -> Iterator[Session]:
    """An engine of its own and one transaction on it: for a single unit of work (a
    Prefect task), which must not share connections with other tasks."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def prepare(url: str) -> None:
    """Create or upgrade the database at ``url``."""
    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()
