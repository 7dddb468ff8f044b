"""A demonstration return: the task's own JSON template (what ``qaf returns template
--format json`` writes), filled in as a named contact would, from the return type the
framework file defines. Pure: bytes out, nothing stored.

The answers vary with ``index`` (the return's place in the year) and the quarter, so
the dashboards show a spread: most Section 11 standards fully met, some partly or not
(each with its action), case-audit grades mostly the second best, dataset measures
moving over the year.

>>> from datetime import date
>>> case_numbers("MAA-2027-017", r"^[A-Z]{2,6}-[0-9]{4}-[0-9]{2,4}$", 5, 2)
['MAA-2027-005', 'MAA-2027-006']
>>> case_numbers("CASE/1", r"^CASE/1$", 5, 2)
['CASE/1']
>>> dataset_value("percent", 2, 1), dataset_value("count", 0, 4), dataset_value("days", 1, 2)
(77.0, 140, 21.0)
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from qaframework.demo.texts import (
    ACTION_TEXTS, LEARNING_THEMES, OWNER_ROLES, RETURN_EVIDENCE, SCHOOLS, SURVEY_FINDINGS, VALUE_NOTE, pick,
)
from qaframework.framework.return_types import (
    SCHOOL_COMPLIANCE, CaseAuditType, DatasetType, ReturnType, S11SelfAssessmentType, SchoolAuditType, SurveyResultsType,
)
from qaframework.returns.layout import LAYOUTS
from qaframework.returns.templates import template_json
from qaframework.returns.validation import ReturnTask

#: How many weeks after the return an action it carries is due.
ACTION_WEEKS = 6


def s11_rating(agency_index: int, standard_index: int) -> str:
    """Mostly Fully met; about one in four Partially met, one in seven Not met.

    >>> [s11_rating(0, s) for s in range(4)]
    ['Not met', 'Partially met', 'Fully met', 'Fully met']
    """
    turn = agency_index + standard_index
    if turn % 7 == 0:
        return "Not met"
    if turn % 4 == 1:
        return "Partially met"
    return "Fully met"


def dataset_value(unit: str, measure_index: int, quarter: int) -> float | int:
    """A plausible value of a measure for a quarter (1 to 4), moving over the year."""
    if unit == "count":
        return 100 + 10 * quarter + 7 * measure_index
    if unit == "percent":
        return float(min(100, 70 + 3 * quarter + 2 * measure_index))
    if unit == "days":
        return float(max(1, 24 - 2 * quarter + measure_index))
    return round(350.0 + 12.5 * quarter + 5 * measure_index, 1)


def case_numbers(example: str, pattern: str, first: int, count: int) -> list[str]:
    """``count`` pseudonymous case numbers in the shape of the framework's example (its
    last run of digits numbered from ``first``), each matching the pattern; the example
    itself when no variant does."""
    runs = list(re.finditer(r"[0-9]+", example))
    found: list[str] = []
    if runs:
        last = runs[-1]
        for n in range(first, first + count):
            number = f"{n % 10 ** len(last.group(0)):0{len(last.group(0))}d}"
            candidate = example[: last.start()] + number + example[last.end():]
            if re.match(pattern, candidate) and candidate not in found:
                found.append(candidate)
    return found or [example]


def _due(received: date) -> str:
    return (received + timedelta(weeks=ACTION_WEEKS)).isoformat()


def fill(rt: ReturnType, body: dict[str, Any], index: int, quarter: int, received: date) -> dict[str, Any]:
    """The template's body with every table answered."""
    if isinstance(rt, S11SelfAssessmentType):
        actions = []
        for s, row in enumerate(body["ratings"]):
            row["rating"] = s11_rating(index, s)
            row["evidence"] = RETURN_EVIDENCE
            if row["rating"] != "Fully met":
                actions.append({"domain": row["domain"], "standard": row["standard"], "action": pick(ACTION_TEXTS, s),
                                "owner": pick(OWNER_ROLES, s), "due": _due(received)})
        body["actions"] = actions
    elif isinstance(rt, SurveyResultsType):
        for t, row in enumerate(body["results"]):
            row["respondents"] = 30 + 5 * ((index + t) % 5)
            row["positive"] = row["respondents"] * (60 + 5 * ((index + 2 * t) % 6)) // 100
            row["findings"] = SURVEY_FINDINGS
    elif isinstance(rt, SchoolAuditType):
        standards = list(rt.standards)
        body["schools"] = [
            {"school_urn": urn, "school_name": name, "standard": standard,
             "compliance": SCHOOL_COMPLIANCE[1 if (s, i) == (len(standards) - 1, 0) else 2 if (s, i) == (0, 1) else 0]}
            for i, (urn, name) in enumerate(SCHOOLS) for s, standard in enumerate(standards)
        ]
    elif isinstance(rt, CaseAuditType):
        grades = list(rt.grades)
        cases = case_numbers(rt.case_number_example, rt.case_number_pattern, 2 * index + 1, 2)
        body["grades"] = [{"case_number": case, "domain": domain, "grade": grades[min(len(grades) - 1, 1 + (c + d + index) % 3 // 2)]}
                          for c, case in enumerate(cases) for d, domain in enumerate(rt.domains)]
        body["learning"] = [{"case_number": cases[-1], "theme": pick(LEARNING_THEMES, index)}]
        body["actions"] = ([{"action": pick(ACTION_TEXTS, index),
                             "owner": pick(OWNER_ROLES, index), "due": _due(received)}] if index % 3 == 0 else [])
    elif isinstance(rt, DatasetType):
        measures = list(rt.measures)
        for row in body["values"]:
            row["value"] = dataset_value(rt.measures[row["measure"]].unit, measures.index(row["measure"]), quarter)
            row["note"] = VALUE_NOTE
    return body


def filled_return(rt_key: str, rt: ReturnType, task: ReturnTask, agency_type: str, *, index: int, quarter: int, received: date,
                  broken: bool = False) -> bytes:
    """The task's JSON template, filled in. ``broken``: its first required table is left
    empty, as a hurried first attempt might be (the return is rejected, saying so)."""
    body = fill(rt, json.loads(template_json(rt_key, rt, task, agency_type)), index, quarter, received)
    if broken:
        first = next(spec.field for spec in LAYOUTS[rt.kind] if spec.required)
        body[first] = []
    return (json.dumps(body, indent=2) + "\n").encode()
