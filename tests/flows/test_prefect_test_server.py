"""The tests' Prefect server keeps its records where ``tests/prefect_server.py`` says, and
the tests' flow runs send no heartbeats (``tests/conftest.py``)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROBE = "qaf-test-server-probe"


@pytest.mark.postgres
def test_the_flow_tests_prefect_server_keeps_its_runs_in_postgresql_where_it_answers(postgres_url: str) -> None:
    from prefect import flow
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL, get_current_settings

    @flow(name=PROBE)
    def probe() -> int | None:
        return get_current_settings().flows.heartbeat_frequency  # what the engine reads

    assert probe() is None, "a run under test sends no heartbeats"
    url = make_url(PREFECT_SERVER_DATABASE_CONNECTION_URL.value())
    assert url.drivername == "postgresql+asyncpg"
    assert url.database.startswith("qaf_prefect_")
    engine = create_engine(url.set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            runs = connection.execute(
                text("select count(*) from flow_run join flow on flow.id = flow_run.flow_id "
                     "where flow.name = :name and flow_run.state_type = 'COMPLETED'"),
                {"name": PROBE},
            ).scalar_one()
    finally:
        engine.dispose()
    assert runs >= 1
