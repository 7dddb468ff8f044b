"""The tests' Prefect server keeps its records where ``tests/prefect_server.py`` says, runs
without the services no test reads, and the tests' flow runs send no heartbeats
(``tests/conftest.py``)."""

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


def test_the_flow_tests_prefect_server_runs_without_the_services_no_test_reads() -> None:
    """The server's own settings, as it reports them: task runs and events are not written
    to its database (no test reads them, and recording them took a sixth of the flow
    tests' CPU); the triggers that start runs from events still run."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        services = client._client.get("/admin/settings").raise_for_status().json()["server"]["services"]
    assert services["task_run_recorder"]["enabled"] is False
    assert services["event_persister"]["enabled"] is False
    assert services["triggers"]["enabled"] is True
