"""Flow tests run against one real Prefect API (Prefect's test server) per session, with
our database on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _flows_run_under_the_prefect_api(prefect_api: None) -> None:
    """Every flow test runs under the session's one Prefect API (tests/conftest.py)."""


@pytest.fixture
def qaf_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the flows (which read QAF_ settings at start) at a fresh database."""
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.delenv("QAF_FRAMEWORK_FILE", raising=False)
    return database_url
