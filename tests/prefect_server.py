"""The tests' Prefect API: Prefect's own test server, on PostgreSQL where one answers.

``prefect_test_harness`` always keeps the server's records in SQLite, one writer at a
time. Measured on five flow-test files on two workers: 194 s with the harness, 174 s
with the same server on PostgreSQL; with flow-run heartbeats off as well, 146 s and 126 s
(in an earlier round, heartbeats off on SQLite also saw a write wait out SQLite's 60 s
lock timeout). Where the tests' PostgreSQL server answers, this starts the
``SubprocessASGIServer`` the harness starts, with the harness's settings, on a new
database of that server (dropped afterwards), as ``docs/deploy.md``'s production server
on PostgreSQL runs. Elsewhere it is the harness itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from tests.scale_out.stack import fresh_database


@contextmanager
def prefect_test_server(on_postgres: bool) -> Iterator[None]:
    """Run a Prefect test server: on a new database of the tests' PostgreSQL server, or in
    SQLite (``prefect_test_harness``)."""
    if not on_postgres:
        from prefect.testing.utilities import prefect_test_harness

        with prefect_test_harness(server_startup_timeout=120):
            yield
        return
    with fresh_database("qaf_prefect") as url, _server_on(url.replace("postgresql://", "postgresql+asyncpg://", 1)):
        yield


@contextmanager
def _server_on(database_url: str) -> Iterator[None]:
    """What ``prefect_test_harness`` does, with the server's database at ``database_url``."""
    import prefect.context
    import prefect.settings
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.server.database.dependencies import temporary_database_interface
    from prefect.testing.utilities import _find_available_port
    from prefect.utilities.asyncutils import run_coro_as_sync

    settings = prefect.settings
    with ExitStack() as stack:
        stack.enter_context(temporary_database_interface())
        stack.enter_context(
            settings.temporary_settings({settings.PREFECT_SERVER_DATABASE_CONNECTION_URL: database_url})
        )
        server = SubprocessASGIServer(port=_find_available_port())
        prior_default = SubprocessASGIServer._instances.get(None)
        SubprocessASGIServer._instances[None] = server
        server.start(timeout=120)
        stack.enter_context(settings.temporary_settings({settings.PREFECT_API_URL: server.api_url}))
        stack.enter_context(
            prefect.context._temporary_global_settings_context(prefect.context.get_settings_context())
        )
        try:
            yield
        finally:

            async def drain() -> None:
                try:
                    drained = APILogWorker.instance().drain()
                    if inspect.isawaitable(drained):
                        await drained
                except RuntimeError:
                    pass
                drained = EventsWorker.drain_all()
                if inspect.isawaitable(drained):
                    await drained

            run_coro_as_sync(drain())
            server.stop()
            if prior_default is not None:
                SubprocessASGIServer._instances[None] = prior_default
            else:
                SubprocessASGIServer._instances.pop(None, None)
