"""The record-findings form under one real Prefect API (the flows' harness)."""

from __future__ import annotations

import pytest

from tests.flows.conftest import qaf_database  # noqa: F401 - the database for flows


@pytest.fixture(autouse=True)
def _under_the_prefect_api(prefect_api: None) -> None:
    """The form runs under the session's one Prefect API (tests/conftest.py)."""
