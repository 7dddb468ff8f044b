"""The partnership's year: the financial year, April to March, and its quarters.

FY 2027 runs from 2027-04-01 to 2028-03-31 and is written "2027/28". Q1 is April to
June, Q2 July to September, Q3 October to December and Q4 January to March.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from qaframework.errors import InvalidFinancialYearError, excerpt

#: The years this software will plan. The bank-holiday tables and the partnership's
#: own horizon make anything outside this range a typo rather than a real request.
FIRST_SUPPORTED_YEAR = 2000
LAST_SUPPORTED_YEAR = 2099

_FY_PATTERN = re.compile(r"^(?:FY\s*)?([0-9]{4})(?:\s*[/-]\s*([0-9]{2}|[0-9]{4}))?$", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True, order=True)
class FinancialYear:
    """A financial year named by the calendar year in which it starts.

    >>> fy = FinancialYear(2027)
    >>> str(fy), fy.start, fy.end
    ('2027/28', datetime.date(2027, 4, 1), datetime.date(2028, 3, 31))
    """

    start_year: int

    def __post_init__(self) -> None:
        if not FIRST_SUPPORTED_YEAR <= self.start_year <= LAST_SUPPORTED_YEAR:
            raise InvalidFinancialYearError(
                f"financial year {self.start_year} is outside the supported range "
                f"{FIRST_SUPPORTED_YEAR}-{LAST_SUPPORTED_YEAR}: give the year the financial "
                "year starts in, for example 2027 for 2027/28"
            )

    @classmethod
    def parse(cls, text: str | int) -> "FinancialYear":
        """Read "2027", "2027/28", "FY2027" or "2027-2028".

        >>> FinancialYear.parse("2027/28")
        FinancialYear(start_year=2027)
        """
        if isinstance(text, int):
            return cls(text)
        match = _FY_PATTERN.match(text.strip())
        if not match:
            raise InvalidFinancialYearError(
                f"{excerpt(text)} is not a financial year: write the year it starts in, "
                "for example 2027 or 2027/28"
            )
        start = int(match.group(1))
        if match.group(2) is not None:
            end = int(match.group(2))
            expected = (start + 1) % 100 if len(match.group(2)) == 2 else start + 1
            if end != expected:
                raise InvalidFinancialYearError(
                    f"{excerpt(text)} is not a financial year: {start}/{(start + 1) % 100:02d} "
                    f"runs April {start} to March {start + 1}"
                )
        return cls(start)

    @classmethod
    def containing(cls, day: date) -> "FinancialYear":
        """The financial year a date falls in.

        >>> FinancialYear.containing(date(2027, 3, 31)), FinancialYear.containing(date(2027, 4, 1))
        (FinancialYear(start_year=2026), FinancialYear(start_year=2027))
        """
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def spanning(cls, first: date, last: date) -> list["FinancialYear"]:
        """Every financial year with a day between ``first`` and ``last`` inclusive.

        >>> [str(fy) for fy in FinancialYear.spanning(date(2027, 3, 25), date(2027, 4, 4))]
        ['2026/27', '2027/28']
        """
        start, end = cls.containing(first).start_year, cls.containing(last).start_year
        return [cls(y) for y in range(start, end + 1)]

    @property
    def start(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, 3, 31)

    def month_start(self, month: int) -> date:
        """The first day of a calendar month (1-12) within this financial year.

        >>> FinancialYear(2027).month_start(1)
        datetime.date(2028, 1, 1)
        """
        return date(self.start_year if month >= 4 else self.start_year + 1, month, 1)

    def next(self) -> "FinancialYear":
        return FinancialYear(self.start_year + 1)

    def __str__(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"


def quarter_of(day: date) -> str:
    """The financial quarter label of a date.

    >>> quarter_of(date(2027, 4, 1)), quarter_of(date(2027, 9, 30)), quarter_of(date(2028, 1, 5))
    ('Q1', 'Q2', 'Q4')
    """
    return f"Q{((day.month - 4) % 12) // 3 + 1}"


def quarter_months(quarter: int) -> tuple[int, int, int]:
    """The calendar months of a financial quarter (1-4).

    >>> quarter_months(4)
    (1, 2, 3)
    """
    first = (quarter - 1) * 3 + 4
    return tuple(((first - 1 + i) % 12) + 1 for i in range(3))  # type: ignore[return-value]
