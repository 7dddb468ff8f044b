"""Flow tests run against one real Prefect API (prefect_test_harness) per session, with
our database on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture(scope="session", autouse=True)
def prefect_api() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def qaf_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the flows (which read QAF_ settings at start) at a fresh database."""
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.delenv("QAF_FRAMEWORK_FILE", raising=False)
    return database_url
