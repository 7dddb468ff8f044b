"""Findings that follow from an accepted return, as a pure function of the framework and
the return's stored, validated content (``ReturnSubmission.payload``).

- **Section 11 self-assessment**: each domain with a standard rated Not met gives one
  area for improvement for that agency and domain, listing the standards.
- **Case audit**: each domain graded, in any case, with the return type's worst grade
  (the last of its ``grades``: Inadequate for SSCP) gives one, with the number of cases.
- **Dataset**: each measure whose value crosses its ``alert`` (above ``above``, or below
  ``below``) in any period gives one, filed under the alert's theme.

Each finding has a key unique within its task (``s11:DOMAIN``, ``case-audit:DOMAIN``,
``dataset:MEASURE``), so deriving the same return again finds the same findings, and a
corrected return's findings can be compared with the last ones.

A domain is filed under the theme with its key, else the theme with its name; a domain
that is neither (a case-audit domain such as "Information sharing") is filed under the
framework's first theme. The text is made from the framework's own wording and the
return's keys, case numbers (pseudonymous) and figures: never from what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qaframework.framework import Framework
from qaframework.framework.return_types import CaseAuditType, DatasetType, S11SelfAssessmentType

AREA_FOR_IMPROVEMENT = "area-for-improvement"
#: Titles and summaries are cut to these lengths (the limits of a typed finding).
TITLE_LENGTH = 200
SUMMARY_LENGTH = 1000


@dataclass(frozen=True)
class DerivedFinding:
    key: str  # unique within the task: s11:leadership-and-governance
    kind: str
    theme: str
    agency: str | None
    title: str
    summary: str


def _cut(text: str, limit: int) -> str:
    """
    >>> _cut("abcdef", 4)
    'abc…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def theme_for(framework: Framework, key: str, name: str) -> str:
    """The theme a domain is filed under: its key, its name, else the first theme."""
    themes = framework.document.themes
    if key in themes:
        return key
    folded = name.casefold()
    for theme, title in themes.items():
        if title.casefold() == folded:
            return theme
    return next(iter(themes))


def _names(items: list[str]) -> str:
    """
    >>> _names(["a"]), _names(["a", "b"]), _names(["a", "b", "c"])
    ('a', 'a and b', 'a, b and c')
    """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def derive(framework: Framework, payload: dict[str, Any]) -> list[DerivedFinding]:
    """The findings an accepted return's content gives, in a stable order."""
    rt = framework.document.returns.get(str(payload.get("return_type")))
    agency = payload.get("agency")
    agency_name = framework.agencies[agency].name if agency in framework.agencies else str(agency or "an agency")
    period = str(payload.get("period") or "")
    if isinstance(rt, S11SelfAssessmentType):
        return _s11(framework, rt, payload, agency, agency_name, period)
    if isinstance(rt, CaseAuditType):
        return _case_audit(framework, rt, payload, agency, agency_name, period)
    if isinstance(rt, DatasetType):
        return _dataset(rt, payload, agency, agency_name, period)
    return []


def _s11(framework: Framework, rt: S11SelfAssessmentType, payload: dict[str, Any], agency: str | None, agency_name: str, period: str) -> list[DerivedFinding]:
    not_met: dict[str, list[str]] = {}
    for row in payload.get("ratings", []):
        if row.get("rating") == "Not met" and row.get("domain") in rt.domains:
            not_met.setdefault(row["domain"], []).append(row["standard"])
    found = []
    for domain, spec in rt.domains.items():
        standards = [s for s in spec.standards if s in not_met.get(domain, [])]
        if not standards:
            continue
        wording = "; ".join(spec.standards[s] for s in standards)
        count = f"{len(standards)} standard{'s' if len(standards) > 1 else ''}"
        found.append(DerivedFinding(
            key=f"s11:{domain}", kind=AREA_FOR_IMPROVEMENT, theme=theme_for(framework, domain, spec.name), agency=agency,
            title=_cut(f"Section 11: {spec.name} not met ({agency_name})", TITLE_LENGTH),
            summary=_cut(f"{agency_name} rated {count} of {spec.name} Not met in its {rt.title} for {period} "
                         f"({_names(standards)}): {wording}", SUMMARY_LENGTH),
        ))
    return found


def _case_audit(framework: Framework, rt: CaseAuditType, payload: dict[str, Any], agency: str | None, agency_name: str, period: str) -> list[DerivedFinding]:
    worst = rt.grades[-1]
    cases: dict[str, list[str]] = {}
    for row in payload.get("grades", []):
        if row.get("grade") == worst and row.get("domain") in rt.domains:
            cases.setdefault(row["domain"], []).append(str(row.get("case_number", "")))
    found = []
    for domain, name in rt.domains.items():
        graded = sorted(set(cases.get(domain, [])))
        if not graded:
            continue
        count = f"{len(graded)} case{'s' if len(graded) > 1 else ''}"
        found.append(DerivedFinding(
            key=f"case-audit:{domain}", kind=AREA_FOR_IMPROVEMENT, theme=rt.domain_themes.get(domain) or theme_for(framework, domain, name), agency=agency,
            title=_cut(f"{rt.title}: {name} graded {worst} ({agency_name})", TITLE_LENGTH),
            summary=_cut(f"{agency_name} graded {name} {worst} in {count} of its {rt.title} for {period}: {', '.join(graded)}", SUMMARY_LENGTH),
        ))
    return found


def crosses(alert: Any, value: float) -> bool:
    """Whether a value crosses an alert's threshold (strictly above, or strictly below).

    >>> from qaframework.framework.return_types import MeasureAlert
    >>> crosses(MeasureAlert(above=22, theme="t"), 22.5), crosses(MeasureAlert(above=22, theme="t"), 22)
    (True, False)
    >>> crosses(MeasureAlert(below=85, theme="t"), 84.9), crosses(MeasureAlert(below=85, theme="t"), 85)
    (True, False)
    """
    if alert.above is not None:
        return value > alert.above
    return value < alert.below


def _figure(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _dataset(rt: DatasetType, payload: dict[str, Any], agency: str | None, agency_name: str, period: str) -> list[DerivedFinding]:
    crossed: dict[str, list[tuple[str, float]]] = {}
    for row in payload.get("values", []):
        measure = rt.measures.get(row.get("measure"))
        if measure is not None and measure.alert is not None and isinstance(row.get("value"), (int, float)) and crosses(measure.alert, row["value"]):
            crossed.setdefault(row["measure"], []).append((str(row.get("period", "")), row["value"]))
    found = []
    for key, measure in rt.measures.items():
        if key not in crossed or measure.alert is None:
            continue
        alert = measure.alert
        side, threshold = ("above", alert.above) if alert.above is not None else ("below", alert.below)
        unit = "%" if measure.unit == "percent" else ""
        values = "; ".join(f"{p}: {_figure(v)}{unit}" for p, v in sorted(crossed[key]))
        found.append(DerivedFinding(
            key=f"dataset:{key}", kind=AREA_FOR_IMPROVEMENT, theme=alert.theme, agency=agency,
            title=_cut(f"{measure.name}: {side} {_figure(threshold)}{unit} ({agency_name})", TITLE_LENGTH),  # type: ignore[arg-type]
            summary=_cut(f"{agency_name}'s {rt.title} for {period} gives {measure.name} {side} the threshold of "
                         f"{_figure(threshold)}{unit} set in the framework ({values})", SUMMARY_LENGTH),  # type: ignore[arg-type]
        ))
    return found
