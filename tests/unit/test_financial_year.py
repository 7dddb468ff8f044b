from datetime import date

import pytest

from qaframework.errors import InvalidFinancialYearError
from qaframework.financial_year import FinancialYear, quarter_months, quarter_of


@pytest.mark.parametrize("text", ["2027", "2027/28", "FY2027", "fy 2027", "2027-28", "2027-2028", " 2027 "])
def test_parse_accepts_the_ways_people_write_a_financial_year(text: str) -> None:
    assert FinancialYear.parse(text) == FinancialYear(2027)


@pytest.mark.parametrize("text", ["", "27", "20x7", "2027/29", "2027-2029", "2027/2", "April 2027", "1999", "2100"])
def test_parse_rejects_malformed_or_unsupported_years(text: str) -> None:
    with pytest.raises(InvalidFinancialYearError):
        FinancialYear.parse(text)


def test_financial_year_runs_april_to_march_and_is_written_with_two_digit_end() -> None:
    fy = FinancialYear(2027)
    assert (fy.start, fy.end, str(fy)) == (date(2027, 4, 1), date(2028, 3, 31), "2027/28")
    assert str(FinancialYear(2099)) == "2099/00"


@pytest.mark.parametrize(
    ("day", "fy"),
    [(date(2027, 3, 31), 2026), (date(2027, 4, 1), 2027), (date(2027, 12, 31), 2027), (date(2028, 2, 29), 2027)],
)
def test_containing_puts_january_to_march_in_the_previous_years_financial_year(day: date, fy: int) -> None:
    assert FinancialYear.containing(day) == FinancialYear(fy)


@pytest.mark.parametrize(
    ("day", "quarter"),
    [(date(2027, 4, 1), "Q1"), (date(2027, 6, 30), "Q1"), (date(2027, 7, 1), "Q2"), (date(2027, 9, 30), "Q2"),
     (date(2027, 10, 1), "Q3"), (date(2027, 12, 31), "Q3"), (date(2028, 1, 1), "Q4"), (date(2028, 3, 31), "Q4")],
)
def test_quarters_follow_the_financial_year(day: date, quarter: str) -> None:
    assert quarter_of(day) == quarter


def test_quarter_months() -> None:
    assert [quarter_months(q) for q in (1, 2, 3, 4)] == [(4, 5, 6), (7, 8, 9), (10, 11, 12), (1, 2, 3)]


def test_month_start_places_january_to_march_in_the_following_calendar_year() -> None:
    fy = FinancialYear(2027)
    assert fy.month_start(4) == date(2027, 4, 1)
    assert fy.month_start(3) == date(2028, 3, 1)
