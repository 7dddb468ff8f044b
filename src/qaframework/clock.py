"""Today, in the partnership's time zone: the one place the software asks the clock.

A run at 00:30 on 1 April in London is already in the new financial year, although it
is still 31 March in UTC for half the year.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def today_in(zone: str) -> date:
    return datetime.now(ZoneInfo(zone)).date()
