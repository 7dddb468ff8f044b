"""What every step of the demonstration shares: the one session (one transaction), the
framework, the walk (its advancing "today") and where papers are filed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from qaframework.demo.guard import DEMO_ACTOR
from qaframework.demo.walk import Walk
from qaframework.errors import QAFrameworkError
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework


class DemoError(QAFrameworkError):
    """The demonstration could not be written (nothing was: it is one transaction)."""


@dataclass
class Demo:
    session: Session
    framework: Framework
    fy: FinancialYear
    walk: Walk
    data_dir: Path
    actor: str = DEMO_ACTOR
    #: How many of each thing the steps asked for (the summary counts the database itself).
    asked: dict[str, int] = field(default_factory=dict)

    def note(self, what: str, count: int = 1) -> None:
        self.asked[what] = self.asked.get(what, 0) + count

    @property
    def agencies(self) -> list[str]:
        return list(self.framework.agencies)

    def at_ten(self, day: date) -> datetime:
        """Ten in the morning in the partnership's zone on ``day``, in UTC."""
        zone = ZoneInfo(self.framework.document.partnership.timezone)
        return datetime.combine(day, time(10), tzinfo=zone).astimezone(timezone.utc)
