"""Findings on both shipped framework files and both databases.

The ``partnership`` fixture (ids ``sscp`` and ``example``) is each shipped file; ``qaf``
runs the command line in this process on a fresh SQLite or PostgreSQL database.
"""

from __future__ import annotations

from tests.partnerships.conftest import framework, partnership, partnership_qaf  # noqa: F401 - fixtures for these tests
from tests.returns.test_round_trip import qaf  # noqa: F401 - the in-process CLI fixture


import pytest  # noqa: E402

#: "Today" for the command line in these tests: after the days they record findings on.
TODAY = __import__("datetime").date(2029, 3, 30)


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    """``qaf findings`` reads today from the clock; these tests record findings in 2027-2029."""
    monkeypatch.setattr("qaframework.cli_findings.today_in", lambda zone: TODAY)
