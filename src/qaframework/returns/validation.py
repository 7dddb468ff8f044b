"""Checking a return against its task and the framework's definition of it.

Each row is checked for types (a number where a number belongs, a real date), then the
return as a whole against the framework: every Section 11 standard rated once, an
action for each standard not fully met, case numbers that are pseudonymous, every
dataset measure the agency provides given for each period the task covers. Every
problem names its place and what was expected; values typed in cells are never quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from qaframework.financial_year import FinancialYear, quarter_of, quarter_months
from qaframework.framework.return_types import MEASURE_UNITS, S11_RATINGS, SCHOOL_COMPLIANCE, DatasetType, ReturnType
from qaframework.returns.documents import Document, Row
from qaframework.returns.layout import ABOUT_FIELDS, LAYOUTS
from qaframework.returns.problems import Problems, ReturnFileUnreadable


@dataclass(frozen=True)
class ReturnTask:
    """The task a return answers, as the validation needs it (keys and dates only)."""

    task_id: int
    reference: str  # occurrence key and agency: multi-agency-audit/2027-04/avon-somerset-police
    agency_key: str
    activity: str
    title: str
    financial_year: int
    period: str | None
    window_start: date
    due: date | None
    status: str

    @property
    def period_label(self) -> str:
        return period_label(self.financial_year, self.period)


def task_reference(occurrence_key: str, agency_key: str) -> str:
    """How a task is named to people: its occurrence and its agency.

    >>> task_reference("multi-agency-audit/2027-04", "avon-somerset-police")
    'multi-agency-audit/2027-04/avon-somerset-police'
    >>> split_task_reference(_)
    ('multi-agency-audit/2027-04', 'avon-somerset-police')
    """
    return f"{occurrence_key}/{agency_key}"


def split_task_reference(reference: str) -> tuple[str, str]:
    occurrence_key, _, agency_key = reference.strip().rpartition("/")
    return occurrence_key, agency_key


def period_label(financial_year: int, period: str | None) -> str:
    """
    >>> period_label(2027, "Q1"), period_label(2026, None)
    ('2027/28 Q1', '2026/27')
    """
    fy = str(FinancialYear(financial_year))
    return f"{fy} {period}" if period else fy


def covered_quarter(window_start: date) -> tuple[FinancialYear, int]:
    """The quarter a dataset return reports: the whole quarter before the one its window
    opens in (a window opening mid-quarter still reports the last quarter that has ended).

    >>> covered_quarter(date(2027, 4, 1)), covered_quarter(date(2027, 7, 1))
    ((FinancialYear(start_year=2026), 4), (FinancialYear(start_year=2027), 1))
    >>> covered_quarter(date(2027, 5, 1)), covered_quarter(date(2028, 2, 1))
    ((FinancialYear(start_year=2026), 4), (FinancialYear(start_year=2027), 3))
    """
    fy = FinancialYear.containing(window_start)
    opening = int(quarter_of(window_start)[1])
    if opening == 1:
        return FinancialYear(fy.start_year - 1), 4
    return fy, opening - 1


def expected_periods(period: str, window_start: date) -> list[str]:
    """The periods a measure is given for in the return whose window opens on ``window_start``.

    Monthly measures for each month of the quarter reported, quarterly for the quarter,
    yearly only in the return after the year's last quarter.

    >>> expected_periods("month", date(2027, 7, 1))
    ['2027-04', '2027-05', '2027-06']
    >>> expected_periods("quarter", date(2028, 1, 1)), expected_periods("year", date(2028, 1, 1))
    (['2027/28 Q3'], [])
    >>> expected_periods("year", date(2027, 4, 1))
    ['2026/27']
    """
    fy, quarter = covered_quarter(window_start)
    if period == "month":
        return [f"{fy.month_start(m):%Y-%m}" for m in quarter_months(quarter)]
    if period == "quarter":
        return [f"{fy} Q{quarter}"]
    return [str(fy)] if quarter == 4 else []


def dataset_rows_expected(rt: DatasetType, agency_key: str, agency_type: str, window_start: date) -> list[tuple[str, str]]:
    """(measure, period) pairs an agency owes in one dataset return."""
    return [
        (key, period)
        for key, m in rt.measures.items()
        if agency_key in m.provided_by or agency_type in m.provided_by
        for period in expected_periods(m.period, window_start)
    ]


_TYPE_MESSAGES = {
    "int_parsing": "expected a whole number, such as 12",
    "int_from_float": "expected a whole number, such as 12",
    "int_type": "expected a whole number, such as 12",
    "float_parsing": "expected a number, such as 12.5",
    "float_type": "expected a number, such as 12.5",
    "finite_number": "expected a number, such as 12.5",
    "date_parsing": "expected a real date written YYYY-MM-DD or DD/MM/YYYY, such as 2027-06-30",
    "date_from_datetime_parsing": "expected a real date written YYYY-MM-DD or DD/MM/YYYY, such as 2027-06-30",
    "date_from_datetime_inexact": "expected a date without a time of day",
    "date_type": "expected a real date written YYYY-MM-DD or DD/MM/YYYY, such as 2027-06-30",
    "missing": "is empty: this column must be filled in",
    "string_too_short": "is empty: this column must be filled in",
    "string_type": "expected text",
}


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind]
    if kind == "string_too_long":
        return f"is too long: at most {error['ctx']['max_length']} characters"
    if kind == "greater_than_equal":
        return f"expected a number, {error['ctx']['ge']} or more"
    if kind == "less_than_equal":
        return f"expected a number, at most {error['ctx']['le']}"
    if kind == "string_pattern_mismatch":
        return "expected the school's 6-digit URN, such as 123456"
    return error["msg"].removeprefix("Value error, ")


def _match(value: str, options: dict[str, str]) -> str | None:
    """A key given by its key or by its name, whatever the case."""
    if value in options:
        return value
    folded = value.casefold()
    for key, name in options.items():
        if folded in (key.casefold(), name.casefold()):
            return key
    return None


def _choices(options: dict[str, str] | list[str] | tuple[str, ...]) -> str:
    items = list(options)
    return ", ".join(items[:12]) + (f" (and {len(items) - 12} more)" if len(items) > 12 else "")


def check_about(document: Document, problems: Problems) -> dict[str, str | None]:
    """The About sheet's return type, task and agency, as text (checked against the task later)."""
    found: dict[str, str | None] = {}
    for name, what in ABOUT_FIELDS:
        value, where = document.about.get(name, (None, ""))
        if name not in document.about:
            problems.add(*_about_missing(document, name, what))
        elif value is None:
            problems.add(where, f"is empty: give {what}")
        found[name] = None if value is None else str(value).strip()
    return found


def _about_missing(document: Document, name: str, what: str) -> tuple[str, str]:
    if document.format == "json":
        return name, f"is missing: give {what}"
    return ('sheet "About"' if document.format == "xlsx" else "section [About]"), f'has no row "{name}": give {what}'


def check_identity(about: dict[str, str | None], document: Document, return_type_key: str, task: ReturnTask, problems: Problems) -> None:
    """The About sheet must name the task's return type and agency."""
    if about.get("return_type") and about["return_type"] != return_type_key:
        problems.add(document.about["return_type"][1], f"expected {return_type_key}: task {task.reference} takes the {return_type_key} return")
    if about.get("agency") and about["agency"] != task.agency_key:
        problems.add(document.about["agency"][1], f"expected {task.agency_key}: task {task.reference} belongs to that agency")


def validate_tables(rt: ReturnType, task: ReturnTask, agency_type: str, document: Document, problems: Problems) -> dict[str, list[dict[str, Any]]]:
    """Read and check every table of the return; returns the clean rows by table field."""
    clean: dict[str, list[dict[str, Any]]] = {}
    rows_by_table: dict[str, list[tuple[Row, Any]]] = {}
    ctx = _Context({spec.field: spec.sheet for spec in LAYOUTS[rt.kind]}, set(), set(), problems)
    for spec in LAYOUTS[rt.kind]:
        try:
            table = document.table(spec)
        except ReturnFileUnreadable as exc:
            problems.add(exc.problem.where, exc.problem.expected)
            continue
        if spec.required and not table.rows:
            problems.add(table.where, "has no rows: fill in at least one, as the template shows")
        checked: list[tuple[Row, Any]] = []
        for row in table.rows:
            try:
                checked.append((row, spec.row_model.model_validate(row.values)))
            except ValidationError as exc:
                ctx.broken.add(spec.field)
                for error in exc.errors(include_url=False):
                    field = str(error["loc"][0]) if error["loc"] else None
                    problems.add(row.where(field), _message(error))
        rows_by_table[spec.field] = checked
        ctx.where[spec.field] = table.where
        ctx.read.add(spec.field)
        clean[spec.field] = [m.model_dump(mode="json", exclude_none=True) for _, m in checked]
    checker = {
        "s11-self-assessment": _check_s11, "survey-results": _check_survey, "school-audit": _check_schools,
        "case-audit": _check_case_audit, "dataset": _check_dataset,
    }[rt.kind]
    checker(rt, task, agency_type, rows_by_table, clean, problems, ctx)
    return clean


@dataclass
class _Context:
    """Where each table is, which were read, and which had rows too broken to check:
    "every standard must be rated" is only said of a table whose rows all read cleanly,
    so one mistyped cell does not also report its row as missing."""

    where: dict[str, str]
    read: set[str]
    broken: set[str]
    problems: Problems

    def complete(self, field: str) -> bool:
        if field not in self.read or field in self.broken:
            return False
        place = self.where[field]
        return not any(p.where == place or p.where.startswith((place + ",", place + "[")) for p in self.problems.items)


def _check_s11(rt: Any, task: ReturnTask, agency_type: str, tables: dict, clean: dict, problems: Problems, ctx: "_Context") -> None:
    rated: dict[tuple[str, str], str] = {}
    for i, (row, m) in enumerate(tables.get("ratings", [])):
        domain = _match(m.domain, {k: d.name for k, d in rt.domains.items()})
        if domain is None:
            problems.add(row.where("domain"), f"expected a domain: {_choices(rt.domains)}")
            continue
        standard = _match(m.standard, rt.domains[domain].standards)
        if standard is None:
            problems.add(row.where("standard"), f"expected a standard of {domain}: {_choices(rt.domains[domain].standards)}")
            continue
        rating = _match(m.rating, {r: r for r in S11_RATINGS})
        if rating is None:
            problems.add(row.where("rating"), f"expected one of {', '.join(S11_RATINGS)}")
            continue
        if (domain, standard) in rated:
            problems.add(row.where("standard"), f"rates {domain} / {standard} a second time: rate each standard once")
            continue
        rated[(domain, standard)] = rating
        clean["ratings"][i].update(domain=domain, standard=standard, rating=rating, rag=S11_RATINGS[rating])
    if ctx.complete("ratings"):
        for domain, d in rt.domains.items():
            for standard in d.standards:
                if (domain, standard) not in rated:
                    problems.add(ctx.where["ratings"], f"does not rate {domain} / {standard}: rate every standard")
    actioned: set[tuple[str, str]] = set()
    for i, (row, m) in enumerate(tables.get("actions", [])):
        if m.domain:
            domain = _match(m.domain, {k: d.name for k, d in rt.domains.items()})
            if domain is None:
                problems.add(row.where("domain"), f"expected a domain: {_choices(rt.domains)}")
                continue
            clean["actions"][i]["domain"] = domain
            if m.standard:
                standard = _match(m.standard, rt.domains[domain].standards)
                if standard is None:
                    problems.add(row.where("standard"), f"expected a standard of {domain}: {_choices(rt.domains[domain].standards)}")
                    continue
                clean["actions"][i]["standard"] = standard
                actioned.add((domain, standard))
        elif m.standard:
            problems.add(row.where("domain"), "is empty: give the domain of the standard the action is for")
    if ctx.complete("actions"):
        for (domain, standard), rating in sorted(rated.items()):
            if rating != "Fully met" and (domain, standard) not in actioned:
                problems.add(ctx.where["actions"], f"has no action for {domain} / {standard}, rated {rating}: add one (what, owner, due date)")


def _check_survey(rt: Any, task: ReturnTask, agency_type: str, tables: dict, clean: dict, problems: Problems, ctx: "_Context") -> None:
    seen: set[str] = set()
    for i, (row, m) in enumerate(tables.get("results", [])):
        theme = _match(m.theme, rt.themes)
        if theme is None:
            problems.add(row.where("theme"), f"expected a theme: {_choices(rt.themes)}")
            continue
        if theme in seen:
            problems.add(row.where("theme"), f"gives {theme} a second time: one row per theme")
            continue
        seen.add(theme)
        if m.positive > m.respondents:
            problems.add(row.where("positive"), "expected no more than the number of respondents")
        clean["results"][i]["theme"] = theme
    if ctx.complete("results"):
        for theme in rt.themes:
            if theme not in seen:
                problems.add(ctx.where["results"], f"has no row for the theme {theme}: give every theme (0 respondents if none)")


def _check_schools(rt: Any, task: ReturnTask, agency_type: str, tables: dict, clean: dict, problems: Problems, ctx: "_Context") -> None:
    seen: dict[str, set[str]] = {}
    for i, (row, m) in enumerate(tables.get("schools", [])):
        standard = _match(m.standard, rt.standards)
        if standard is None:
            problems.add(row.where("standard"), f"expected a standard: {_choices(rt.standards)}")
            continue
        compliance = _match(m.compliance, {c: c for c in SCHOOL_COMPLIANCE})
        if compliance is None:
            problems.add(row.where("compliance"), f"expected one of {', '.join(SCHOOL_COMPLIANCE)}")
            continue
        done = seen.setdefault(m.school_urn, set())
        if standard in done:
            problems.add(row.where("standard"), f"gives school {m.school_urn} the standard {standard} a second time: one row per school and standard")
            continue
        done.add(standard)
        clean["schools"][i].update(standard=standard, compliance=compliance)
    if ctx.complete("schools"):
        for urn, done in sorted(seen.items()):
            missing = [s for s in rt.standards if s not in done]
            if missing:
                problems.add(ctx.where["schools"], f"has no row for school {urn} and the standard{'s' if len(missing) > 1 else ''} {', '.join(missing)}: give every standard for each school")


_NHS_NUMBER = re.compile(r"^[0-9]{3}\s?[0-9]{3}\s?[0-9]{4}$")


def _check_case_audit(rt: Any, task: ReturnTask, agency_type: str, tables: dict, clean: dict, problems: Problems, ctx: "_Context") -> None:
    pattern = re.compile(rt.case_number_pattern)
    graded: dict[str, set[str]] = {}
    grades = {g: g for g in rt.grades}

    def case_ok(row: Row, value: str) -> bool:
        if _NHS_NUMBER.match(value):
            problems.add(row.where("case_number"), f"looks like an NHS number: give only the audit's pseudonymous case number, such as {rt.case_number_example}")
            return False
        if not pattern.match(value):
            problems.add(row.where("case_number"), f"expected a pseudonymous case number such as {rt.case_number_example}: never a name, date of birth or NHS number")
            return False
        return True

    for i, (row, m) in enumerate(tables.get("grades", [])):
        if not case_ok(row, m.case_number):
            continue
        domain = _match(m.domain, rt.domains)
        if domain is None:
            problems.add(row.where("domain"), f"expected a domain: {_choices(rt.domains)}")
            continue
        grade = _match(m.grade, grades)
        if grade is None:
            problems.add(row.where("grade"), f"expected one of {', '.join(rt.grades)}")
            continue
        done = graded.setdefault(m.case_number, set())
        if domain in done:
            problems.add(row.where("domain"), f"grades case {m.case_number} in {domain} a second time: one row per case and domain")
            continue
        done.add(domain)
        clean["grades"][i].update(domain=domain, grade=grade)
    grades_complete = ctx.complete("grades")  # else a case may be graded on a row that did not read
    for row, m in tables.get("learning", []):
        if m.case_number and case_ok(row, m.case_number) and grades_complete and m.case_number not in graded:
            problems.add(row.where("case_number"), "is not a case graded on the Grades sheet")
    if grades_complete:
        for case, done in sorted(graded.items()):
            missing = [d for d in rt.domains if d not in done]
            if missing:
                problems.add(ctx.where["grades"], f"does not grade case {case} in {', '.join(missing)}: grade every domain for each case")


def _check_dataset(rt: Any, task: ReturnTask, agency_type: str, tables: dict, clean: dict, problems: Problems, ctx: "_Context") -> None:
    expected = dataset_rows_expected(rt, task.agency_key, agency_type, task.window_start)
    owed = {m for m, _ in expected}
    given: set[tuple[str, str]] = set()
    for i, (row, m) in enumerate(tables.get("values", [])):
        measure = _match(m.measure, {k: v.name for k, v in rt.measures.items()})
        if measure is None or measure not in owed:
            problems.add(row.where("measure"), f"expected a measure this agency provides: {_choices(sorted(owed)) or 'none this period'}")
            continue
        periods = [p for k, p in expected if k == measure]
        if m.period not in periods:
            problems.add(row.where("period"), f"expected {' or '.join(periods)}: the period{'s' if len(periods) > 1 else ''} this return covers for {measure}")
            continue
        if (measure, m.period) in given:
            problems.add(row.where("period"), f"gives {measure} for {m.period} a second time: one row per measure and period")
            continue
        unit = rt.measures[measure].unit
        if m.value < 0 or (unit == "percent" and m.value > 100) or (unit == "count" and m.value != int(m.value)):
            problems.add(row.where("value"), f"expected {MEASURE_UNITS[unit]}")
            continue
        given.add((measure, m.period))
        clean["values"][i].update(measure=measure, value=int(m.value) if unit == "count" else m.value)
    if ctx.complete("values"):
        for measure, period in expected:
            if (measure, period) not in given:
                problems.add(ctx.where["values"], f"has no value for {measure} in {period}: give every measure and period listed (0 for none)")

