"""Checking what was typed for a finding (on the command line, in a form or in a sheet)
against the framework, before anything is looked up or stored.

Each problem is a field name and what was expected there; a problem never quotes what
was typed (a title may hold a child's name). The callers say where the field is: an
option (``--kind``), a form field, or a sheet's row and column.

>>> from qaframework.framework import load_framework
>>> sscp = load_framework()
>>> clean, problems = check_fields(sscp, FindingEntry("mape/2027-05", "Fathers were not seen", "In 4 of 6 cases", "Area for improvement", "Culture and challenge"))
>>> clean.kind, clean.theme, problems
('area-for-improvement', 'culture-and-challenge', [])
>>> check_fields(sscp, FindingEntry("mape/2027-05", "T", "S", "risk", "culture-and-challenge", likelihood=6))[1]
[('likelihood', 'expected a whole number from 1 to 5 (1 Unlikely, 5 Probable)'), ('impact', 'is empty: a risk needs its impact, a whole number from 1 to 5')]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from qaframework.errors import UntrustedInputError
from qaframework.framework import Framework
from qaframework.learning.identifying import identifying_reasons
from qaframework.untrusted import checked_text

KINDS: dict[str, str] = {"good-practice": "Good practice", "area-for-improvement": "Area for improvement", "risk": "Risk"}
TITLE_LENGTH = 200
SUMMARY_LENGTH = 1000
SUBJECT_LENGTH = 160
FIELDS = ("subject", "title", "summary", "kind", "theme", "agency", "likelihood", "impact")


@dataclass(frozen=True)
class FindingEntry:
    """A finding as typed: every value as it came (text, a number from a sheet, None)."""

    subject: Any  # an occurrence key or a review case reference
    title: Any
    summary: Any
    kind: Any
    theme: Any
    agency: Any = None
    likelihood: Any = None
    impact: Any = None


@dataclass(frozen=True)
class CleanFinding:
    subject: str
    title: str
    summary: str
    kind: str
    theme: str
    agency: str | None
    likelihood: int | None
    impact: int | None


Problems = list[tuple[str, str]]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, field: str, limit: int, problems: Problems, what: str) -> str | None:
    if _blank(value):
        problems.append((field, f"is empty: give {what}"))
        return None
    if isinstance(value, (date, datetime)):
        problems.append((field, "holds a date, which could be a date of birth: give the month and year or the period in words instead"))
        return None
    text = str(value).strip()
    try:
        checked_text(text, field="")
    except UntrustedInputError as exc:
        problems.append((field, exc.reason))
        return None
    if len(text) > limit:
        problems.append((field, f"is {len(text)} characters long: at most {limit}"))
        return None
    reasons = identifying_reasons(text)
    if reasons:
        problems.append((field, reasons[0]))
        return None
    return text


def _choice(value: Any, options: dict[str, str], field: str, problems: Problems, what: str) -> str | None:
    """A key given by its key or its title, whatever the case."""
    if _blank(value):
        problems.append((field, f"is empty: give {what}"))
        return None
    folded = str(value).strip().casefold()
    for key, title in options.items():
        if folded in (key.casefold(), title.casefold()):
            return key
    listed = list(options)
    shown = ", ".join(listed[:12]) + (f" (and {len(listed) - 12} more)" if len(listed) > 12 else "")
    problems.append((field, f"expected {what}: one of {shown}"))
    return None


def _scale(value: Any, field: str, labels: dict[int, str], problems: Problems) -> int | None:
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 2:
        number = int(value.strip())
    else:
        number = None
    if number is None or number not in labels:
        problems.append((field, f"expected a whole number from 1 to 5 (1 {labels[1]}, 5 {labels[5]})"))
        return None
    return number


def check_fields(framework: Framework, entry: FindingEntry) -> tuple[CleanFinding | None, Problems]:
    """The finding with its kind, theme and agency as keys, or the problems found."""
    problems: Problems = []
    subject = None
    if _blank(entry.subject):
        problems.append(("subject", "is empty: give the occurrence key (such as mape/2027-05) or the review case reference (such as RR-2027-004)"))
    else:
        raw = str(entry.subject).strip()
        try:
            checked_text(raw, field="")
        except UntrustedInputError as exc:
            problems.append(("subject", exc.reason))
        else:
            if len(raw) > SUBJECT_LENGTH:
                problems.append(("subject", f"is longer than any occurrence key or case reference (at most {SUBJECT_LENGTH} characters)"))
            else:
                subject = raw
    title = _text(entry.title, "title", TITLE_LENGTH, problems, "a short title of what was learned")
    summary = _text(entry.summary, "summary", SUMMARY_LENGTH, problems, f"a short summary (at most {SUMMARY_LENGTH} characters)")
    kind = _choice(entry.kind, KINDS, "kind", problems, "the kind of finding")
    theme = _choice(entry.theme, framework.document.themes, "theme", problems, "a theme of the framework file")
    agency = None
    if not _blank(entry.agency):
        agency = _choice(entry.agency, {k: a.name for k, a in framework.agencies.items()}, "agency", problems, "an agency of the roster")
    likelihood = impact = None
    matrix = framework.document.risk_matrix
    for field, value, labels in (("likelihood", entry.likelihood, matrix.likelihood), ("impact", entry.impact, matrix.impact)):
        if kind == "risk":
            if _blank(value):
                problems.append((field, f"is empty: a risk needs its {field}, a whole number from 1 to 5"))
                continue
            number = _scale(value, field, labels, problems)
            if field == "likelihood":
                likelihood = number
            else:
                impact = number
        elif not _blank(value) and kind is not None:
            problems.append((field, f"is only given for a risk: leave it empty for {KINDS[kind].lower()}, or make the kind risk"))
    if problems:
        return None, problems
    assert subject is not None and title is not None and summary is not None and kind is not None and theme is not None
    return CleanFinding(subject, title, summary, kind, theme, agency, likelihood, impact), []
