"""A planned partnership in a real database, and the feed catalog over it."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy.engine import Engine

from qaframework.feeds.catalog import FeedCatalog
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.database import prepare, transaction
from qaframework.persistence.repository import sync_directory, write_plan
from qaframework.persistence.tables import ReviewCase
from qaframework.yearly_plan import plan_financial_year, start_on_demand

CANARY = "CANARY-Jayden-Smith-dob-2019-04-02"
REFERENCE = "RR-2027-001"


class Clock:
    """A clock the test moves by hand: feed versions are stamped with it."""

    def __init__(self) -> None:
        self.now = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def planned(database_url: str, framework: Framework) -> str:
    """FY 2026/27 and 2027/28 planned, and one rapid review with private notes."""
    prepare(database_url)
    with transaction(database_url) as session:
        sync_directory(session=session, framework=framework)
        for fy in (2026, 2027):
            write_plan(session=session, occurrences=plan_financial_year(framework, FinancialYear(fy)), actor="test", as_of=date(2026, 4, 1))
        review = start_on_demand(framework, "rapid-review", date(2027, 3, 22), reference=REFERENCE)
        write_plan(session=session, occurrences=[review], actor="test")
        session.add(ReviewCase(reference=REFERENCE, kind="rapid-review", aware_date=date(2027, 3, 19), notified_date=date(2027, 3, 22), private_notes=CANARY))
    return database_url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def catalog(planned: str, engine: Engine, framework: Framework, clock: Clock) -> FeedCatalog:
    return FeedCatalog(framework, engine, refresh_seconds=0, clock=clock)
