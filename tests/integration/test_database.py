"""Migrations from empty, and idempotent plan writes, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from qaframework.financial_year import FinancialYear
from tests.concurrency import at_once
from qaframework.framework import Framework
from qaframework.persistence.database import head_revision, make_engine, migrate, schema_revision, session_scope
from qaframework.persistence.repository import audit, count_rows, sync_directory, tasks_for, write_plan
from qaframework.persistence.tables import Agency, AuditLogEntry, Body, Occurrence, Task
from qaframework.yearly_plan import plan_financial_year

TABLES = {"agency", "body", "occurrence", "task", "return_submission", "review_case", "reminder", "audit_log", "alembic_version"}


def _schema_of(engine: Engine) -> dict[str, object]:
    """Every table's columns, indexes, constraints and triggers, and the revision."""
    found = inspect(engine)
    tables = sorted(found.get_table_names())
    described: dict[str, object] = {"revision": schema_revision(engine)}
    for table in tables:
        described[table] = (
            [(c["name"], str(c["type"]), c["nullable"], str(c.get("default"))) for c in found.get_columns(table)],
            sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(table)),
            sorted(str(sorted(u["column_names"])) for u in found.get_unique_constraints(table)),
            sorted(str((f["constrained_columns"], f["referred_table"], f["referred_columns"])) for f in found.get_foreign_keys(table)),
            sorted(str(c.get("sqltext")) for c in found.get_check_constraints(table)),
        )
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            described["triggers"] = sorted(connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all())
        else:
            described["triggers"] = sorted(connection.execute(text(
                "SELECT event_object_table, trigger_name, action_statement FROM information_schema.triggers "
                "WHERE trigger_schema = current_schema()")).all())
            described["functions"] = sorted(connection.execute(text(
                "SELECT p.proname, p.prosrc, pg_get_function_result(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema()")).all())
    return described


def test_the_tests_copy_of_a_migrated_database_is_what_migrating_makes(engine: Engine, request: pytest.FixtureRequest, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The suite's databases are copies of one migrated once (tests/conftest.py): each
    must be exactly what migrating an empty database makes, and at the newest revision."""
    empty = f"sqlite:///{tmp_path / 'empty.db'}" if engine.dialect.name == "sqlite" else request.getfixturevalue("postgres_url")
    empty_engine = make_engine(empty)
    request.addfinalizer(empty_engine.dispose)
    assert schema_revision(empty_engine) is None
    migrate(empty_engine)
    copied, migrated = _schema_of(engine), _schema_of(empty_engine)
    assert copied["revision"] == head_revision() and len(copied) > len(TABLES)
    assert copied == migrated


@pytest.mark.fresh_installation
def test_migrations_create_every_table_from_empty(engine: Engine) -> None:
    assert schema_revision(engine) is None
    migrate(engine)
    assert schema_revision(engine) == head_revision()
    assert TABLES <= set(inspect(engine).get_table_names())
    migrate(engine)  # a second upgrade is a no-op
    assert schema_revision(engine) == head_revision()


@pytest.mark.fresh_installation
def test_two_migrations_at_once_from_empty(engine: Engine) -> None:
    assert schema_revision(engine) is None
    at_once(lambda: migrate(engine))
    assert schema_revision(engine) == head_revision()


def test_a_database_at_the_newest_revision_is_only_read(engine: Engine) -> None:
    """Nearly every command and run finds its database up to date: migrating it then
    reads the revision and writes nothing (no lock taken, no migration script run)."""
    sent: list[str] = []

    def seen(_connection, _cursor, statement, _parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        sent.append(" ".join(statement.split()).upper())

    event.listen(engine, "before_cursor_execute", seen)
    try:
        migrate(engine)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert sent and all(s.startswith(("SELECT", "PRAGMA")) and "ADVISORY" not in s for s in sent), sent
    assert any("ALEMBIC_VERSION" in s for s in sent), sent
    assert schema_revision(engine) == head_revision()


@pytest.mark.fresh_installation
def test_a_database_at_an_older_revision_is_upgraded(engine: Engine) -> None:
    """A database left at the revision before the newest (by an older qaframework) gets
    the newest migration's indexes when it is next opened."""
    from alembic import command

    from qaframework.persistence.database import _alembic_config

    command.upgrade(_alembic_config(engine), "0010")
    assert schema_revision(engine) == "0010"
    assert "ix_reminder_status_email_id" not in {i["name"] for i in inspect(engine).get_indexes("reminder")}
    migrate(engine)
    assert schema_revision(engine) == head_revision()
    assert "ix_reminder_status_email_id" in {i["name"] for i in inspect(engine).get_indexes("reminder")}
    assert "ix_email_message_status_digest_date" in {i["name"] for i in inspect(engine).get_indexes("email_message")}


def test_a_database_a_newer_qaframework_upgraded_is_refused_untouched(engine: Engine, database_url: str, tmp_path,  # type: ignore[no-untyped-def]
                                                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A revision these migrations do not have: migrating refuses in one line naming it
    and the newest known, and changes nothing; the CLI says so and exits 2, no traceback."""
    from qaframework.cli import main
    from qaframework.errors import DatabaseError

    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    before = _schema_of(engine)
    with pytest.raises(DatabaseError, match=rf"is at schema revision '0099', which this qaframework does not know \(its newest is {head_revision()}\)"):
        migrate(engine)
    assert _schema_of(engine) == before and before["revision"] == "0099"
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / ".qaf"))
    monkeypatch.delenv("QAF_FRAMEWORK_FILE", raising=False)
    capsys.readouterr()
    for command in (["tasks"], ["db", "upgrade"]):
        assert main(command) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and err.startswith("qaf: error: "), err
        assert "'0099'" in err and "a newer qaframework has upgraded it" in err and "Traceback" not in err
    assert _schema_of(engine) == before


def test_the_audit_log_is_append_only(engine: Engine) -> None:
    migrate(engine)
    with session_scope(engine) as session:
        audit(session=session, actor="officer", action="plan-written", subject="FY 2027")
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement))
    with session_scope(engine) as session:
        (entry,) = session.execute(select(AuditLogEntry)).scalars().all()
        assert entry.actor == "officer"


def _plan(engine: Engine, framework: Framework, fy: int, as_of: date | None = None):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        sync_directory(session=session, framework=framework)
        return write_plan(session=session, occurrences=plan_financial_year(framework, FinancialYear(fy)), actor="test", as_of=as_of)


def test_writing_a_plan_twice_creates_nothing_new(engine: Engine, framework: Framework) -> None:
    migrate(engine)
    first = _plan(engine, framework, 2027)
    expected_tasks = sum(len(o.assignees) for o in plan_financial_year(framework, FinancialYear(2027)) if o.due)
    assert (first.occurrences_created, first.tasks_created) == (66, expected_tasks)
    second = _plan(engine, framework, 2027)
    assert (second.occurrences_created, second.tasks_created) == (0, 0)
    assert (second.occurrences_existing, second.tasks_existing) == (66, expected_tasks)
    with session_scope(engine) as session:
        assert count_rows(session=session, model=Occurrence) == 66
        assert count_rows(session=session, model=Task) == expected_tasks
        assert count_rows(session=session, model=Agency) == len(framework.agencies)
        assert count_rows(session=session, model=Body) == len(framework.bodies)
        # Only the run that created something is in the audit log.
        assert [e.action for e in session.execute(select(AuditLogEntry)).scalars()] == ["plan-written"]


def test_tasks_have_the_planned_due_dates(engine: Engine, framework: Framework) -> None:
    migrate(engine)
    _plan(engine, framework, 2027)
    with session_scope(engine) as session:
        rows = tasks_for(session=session, financial_year=2027)
    audit_q3 = {t.assignee_key: t for t, o in rows if o.key == "multi-agency-audit/2027-10"}
    assert set(audit_q3) == set(framework.agencies) | {"audit-subgroup"}
    assert {t.due.isoformat() for t in audit_q3.values()} == {"2027-10-29"}
    assert {t.status for t in audit_q3.values()} == {"planned"}
    meeting_tasks = [t for t, o in rows if o.kind == "meeting"]
    assert meeting_tasks == []


def test_two_concurrent_plan_writes_create_no_duplicates(engine: Engine, framework: Framework) -> None:
    migrate(engine)
    at_once(lambda: _plan(engine, framework, 2028))
    with session_scope(engine) as session:
        keys = [o.key for o in session.execute(select(Occurrence)).scalars()]
        assert len(keys) == len(set(keys)) == len(plan_financial_year(framework, FinancialYear(2028)))
        pairs = [(t.occurrence_id, t.assignee_key) for t in session.execute(select(Task)).scalars()]
        assert len(pairs) == len(set(pairs)) > 0
        assert count_rows(session=session, model=Agency) == len(framework.agencies)


def test_a_failure_half_way_writes_nothing(engine: Engine, framework: Framework) -> None:
    migrate(engine)

    def fail_on_task_insert(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO TASK"):
            raise RuntimeError("injected failure while inserting tasks")

    event.listen(engine, "before_cursor_execute", fail_on_task_insert)
    try:
        with pytest.raises(RuntimeError, match="injected failure"):
            _plan(engine, framework, 2027)
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_task_insert)
    with session_scope(engine) as session:
        assert count_rows(session=session, model=Occurrence) == 0
        assert count_rows(session=session, model=Agency) == 0
        assert count_rows(session=session, model=AuditLogEntry) == 0
    result = _plan(engine, framework, 2027)
    assert result.occurrences_created == 66


def test_directory_follows_the_roster(engine: Engine, framework: Framework) -> None:
    migrate(engine)
    _plan(engine, framework, 2027)
    with session_scope(engine) as session:
        police = session.execute(select(Agency).where(Agency.key == "avon-somerset-police")).scalar_one()
        assert police.contact_email == framework.agencies["avon-somerset-police"].contact.email
        assert police.section_11_duty is True
        qp = session.execute(select(Body).where(Body.key == "quality-performance")).scalar_one()
        assert qp.reports_to == "executive"


def test_the_migrations_match_the_models(engine: Engine) -> None:
    """Autogenerate finds nothing to add: every table change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    migrate(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_windows_closed_before_the_plan_date_get_no_tasks(engine: Engine, framework: Framework) -> None:
    migrate(engine)
    _plan(engine, framework, 2027, as_of=date(2027, 11, 15))
    with session_scope(engine) as session:
        keys = {o.key for _, o in tasks_for(session=session, financial_year=2027)}
        occurrences = count_rows(session=session, model=Occurrence)
    assert occurrences == 66, "every occurrence is still on the calendar"
    assert "multi-agency-audit/2027-10" not in keys  # closed 31 October
    assert {"mape/2027-11", "multi-agency-audit/2028-01", "s11-practitioner-survey/2027-07"} <= keys  # still open or to come
    assert not [k for k in keys if k.endswith(("2027-04", "2027-05", "2027-09"))]


def test_an_agency_added_mid_year_gets_only_what_is_still_open_and_one_removed_is_let_off(engine: Engine, framework: Framework) -> None:
    migrate(engine)
    _plan(engine, framework, 2027, as_of=date(2027, 3, 1))
    newcomer = framework.agencies["spark-somerset"].model_copy(update={"name": "New Agency"})
    agencies = {k: v for k, v in framework.agencies.items() if k != "swast"} | {"new-agency": newcomer}
    changed = replace(framework, roster=framework.roster.model_copy(update={"agencies": agencies}))
    changed_plan = plan_financial_year(changed, FinancialYear(2027))
    with session_scope(engine) as session:
        sync_directory(session=session, framework=changed)
        write_plan(session=session, occurrences=changed_plan, actor="test", as_of=date(2027, 11, 15))
    with session_scope(engine) as session:
        rows = tasks_for(session=session, financial_year=2027)
        log = [e.action for e in session.execute(select(AuditLogEntry)).scalars()]
    newcomer_tasks = {o.key for t, o in rows if t.assignee_key == "new-agency"}
    assert "multi-agency-audit/2027-10" not in newcomer_tasks and "multi-agency-audit/2028-01" in newcomer_tasks
    assert {t.status for t, _ in rows if t.assignee_key == "swast"} == {"cancelled"}
    assert "tasks-cancelled" in log
