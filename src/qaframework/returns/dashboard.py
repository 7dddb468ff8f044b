"""What the business unit sees of returns: received, outstanding and late, per agency and
per activity, and the Section 11 self-assessment's Red / Amber / Green by domain.

Pure functions over plain facts, so the Prefect artifacts and ``qaf returns status``
show the same figures. Keys, names, counts and dates only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qaframework.framework.return_types import ReturnType

RAG_ORDER = ("Red", "Amber", "Green")


@dataclass(frozen=True)
class ReturnTaskFacts:
    """One agency task that takes a return, and what has come in for it."""

    reference: str
    agency_key: str
    activity: str
    title: str
    period: str  # "2027/28 Q1"
    due: date | None
    status: str  # the task's status
    accepted_versions: int = 0
    first_accepted_late: bool = False
    rejected_since_accepted: int = 0  # rejected submissions after the latest accepted one
    latest_payload: Mapping[str, Any] = field(default_factory=dict)

    @property
    def financial_year(self) -> int:
        """The financial year, by the year it starts ("2027/28 Q1" is 2027)."""
        return int(self.period[:4])

    @property
    def received(self) -> bool:
        return self.accepted_versions > 0

    @property
    def outstanding(self) -> bool:
        return not self.received and self.status in ("open", "overdue")


def _row(label_key: str, label: str, facts: list[ReturnTaskFacts], today: date) -> dict[str, object]:
    opened = [f for f in facts if f.status != "planned" or f.received]
    return {
        label_key: label,
        "expected": len(opened),
        "received": sum(f.received for f in opened),
        "received late": sum(f.received and f.first_accepted_late for f in opened),
        "outstanding": sum(f.outstanding for f in opened),
        "overdue": sum(f.outstanding and f.due is not None and f.due < today for f in opened),
        "rejected, awaiting a new version": sum(f.rejected_since_accepted > 0 and not f.received for f in opened),
    }


def by_agency(facts: Iterable[ReturnTaskFacts], names: Mapping[str, str], today: date) -> list[dict[str, object]]:
    """One row per agency: returns expected so far, received (and late), outstanding, overdue.

    >>> f = [ReturnTaskFacts("a/2027-04/police", "police", "a", "Audit", "2027/28 Q1", date(2027, 4, 30), "submitted", 1, True),
    ...      ReturnTaskFacts("b/2027-04/police", "police", "b", "Data", "2027/28 Q1", date(2027, 4, 30), "overdue")]
    >>> by_agency(f, {"police": "Police"}, date(2027, 5, 4))[0]["received late"], by_agency(f, {}, date(2027, 5, 4))[0]["overdue"]
    (1, 1)
    """
    groups: dict[str, list[ReturnTaskFacts]] = {}
    for f in facts:
        groups.setdefault(f.agency_key, []).append(f)
    return [_row("agency", names.get(k, k), v, today) for k, v in sorted(groups.items(), key=lambda kv: names.get(kv[0], kv[0]))]


def by_activity(facts: Iterable[ReturnTaskFacts], today: date) -> list[dict[str, object]]:
    """One row per activity occurrence (an activity in one period)."""
    groups: dict[tuple[str, str], list[ReturnTaskFacts]] = {}
    for f in facts:
        groups.setdefault((f.title, f.period), []).append(f)
    return [_row("activity", f"{title} {period}", v, today) for (title, period), v in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))]


def domain_rag(ratings: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """A domain is Red if any of its standards is not met, Amber if any is partially met.

    >>> domain_rag([{"domain": "d", "rag": "Green"}, {"domain": "d", "rag": "Amber"}, {"domain": "e", "rag": "Green"}])
    {'d': 'Amber', 'e': 'Green'}
    """
    worst: dict[str, str] = {}
    for r in ratings:
        current = worst.get(r["domain"], "Green")
        worst[r["domain"]] = min(current, r["rag"], key=RAG_ORDER.index)
    return worst


def latest_year(facts: Iterable[ReturnTaskFacts]) -> list[ReturnTaskFacts]:
    """The facts of the latest financial year that has a return received (else the latest):
    a self-assessment runs one year in three, and the summary shows the latest cycle's.

    >>> facts = [ReturnTaskFacts("a", "p", "s", "S11", "2026/27", None, "submitted", 1),
    ...          ReturnTaskFacts("b", "p", "s", "S11", "2029/30", None, "planned")]
    >>> [f.period for f in latest_year(facts)], [f.period for f in latest_year(facts[1:])]
    (['2026/27'], ['2029/30'])
    """
    listed = list(facts)
    if not listed:
        return []
    received = [f for f in listed if f.received]
    latest = max(f.period[:7] for f in (received or listed))
    return [f for f in listed if f.period.startswith(latest)]


def s11_rag_summary(facts: Iterable[ReturnTaskFacts], domains: Mapping[str, str], names: Mapping[str, str]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """From each agency's latest accepted self-assessment: per domain, how many standards
    are Green, Amber and Red across agencies; and per agency, each domain's colour."""
    per_domain: dict[str, Counter[str]] = {d: Counter() for d in domains}
    per_agency: list[dict[str, object]] = []
    for f in sorted(facts, key=lambda f: names.get(f.agency_key, f.agency_key)):
        ratings = list(f.latest_payload.get("ratings", [])) if f.received else []
        if not ratings:
            continue
        for r in ratings:
            per_domain.setdefault(r["domain"], Counter())[r["rag"]] += 1
        colours = domain_rag(ratings)
        per_agency.append({"agency": names.get(f.agency_key, f.agency_key), "period": f.period, **{domains.get(d, d): colours.get(d, "") for d in domains}})
    summary = [
        {"domain": domains.get(d, d), "Green": c["Green"], "Amber": c["Amber"], "Red": c["Red"],
         "overall": "Red" if c["Red"] else "Amber" if c["Amber"] else "Green" if c["Green"] else "no returns"}
        for d, c in per_domain.items()
    ]
    return summary, per_agency


#: The tables of the returns dashboard, by the key of their Prefect artifact.
DESCRIPTIONS: dict[str, str] = {
    "returns-by-agency": "Returns expected, received (and late), outstanding and overdue per agency",
    "returns-by-activity": "Returns per activity and period",
    "s11-rag-by-domain": "Section 11 self-assessment: standards rated Green (fully met), Amber (partially met) and Red (not met), per domain across agencies",
    "s11-rag-by-agency": "Section 11 self-assessment: each agency's colour per domain (Red if any standard is not met, Amber if any is partially met)",
}


def returns_tables(facts: Iterable[ReturnTaskFacts], return_types: Mapping[str, ReturnType], names: Mapping[str, str],
                   financial_year: int, today: date) -> dict[str, list[dict[str, object]]]:
    """Every table of the dashboard, from the facts of every year: the year's returns per
    agency and per activity, and the latest self-assessment's colours. The Prefect
    artifacts and ``qaf returns status`` both show exactly these."""
    every_year = list(facts)
    year = [f for f in every_year if f.financial_year == financial_year]
    tables = {"returns-by-agency": by_agency(year, names, today), "returns-by-activity": by_activity(year, today)}
    for rt in return_types.values():
        if rt.kind == "s11-self-assessment":
            tables["s11-rag-by-domain"], tables["s11-rag-by-agency"] = s11_rag_summary(
                latest_year([f for f in every_year if f.activity in rt.activities]), {k: d.name for k, d in rt.domains.items()}, names)
    return tables


#: The artifacts' descriptions: short enough for the Prefect UI (about 100 characters
#: with the year and the day after them); what the colours mean is in the tables.
ARTIFACT_DESCRIPTIONS: dict[str, str] = {
    "returns-by-agency": "Returns per agency",
    "returns-by-activity": "Returns per activity and period",
    "s11-rag-by-domain": "Section 11 standards by colour, per domain",
    "s11-rag-by-agency": "Section 11 colour per domain, per agency",
}
#: A marker before each colour word, so a table reads without colour (and without emoji).
MARKERS: dict[str, str] = {"Red": "▲ Red", "Amber": "◆ Amber", "Green": "● Green"}
#: What each colour means, in the by-domain table's headers.
MEANINGS: dict[str, str] = {"Green": "Green (fully met)", "Amber": "Amber (partially met)", "Red": "Red (not met)"}


def marked(colour: object) -> object:
    """A colour with its marker; anything else (a count, "no returns") as it is.

    >>> marked("Red"), marked("no returns")
    ('▲ Red', 'no returns')
    """
    return MARKERS.get(colour, colour) if isinstance(colour, str) else colour


def _worst(colours: Iterable[object]) -> str:
    present = [c for c in colours if c in RAG_ORDER]
    return min(present, key=RAG_ORDER.index) if present else "no returns"  # type: ignore[arg-type]


def _with_totals(rows: list[dict[str, object]], label_key: str, label: str) -> list[dict[str, object]]:
    if not rows:
        return rows
    total: dict[str, object] = {k: (sum(r[k] for r in rows) if isinstance(rows[0][k], int) else "") for k in rows[0]}  # type: ignore[misc]
    total[label_key] = label
    return [*rows, total]


def for_the_ui(key: str, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """A dashboard table as the Prefect UI shows it: the same rows with a marker before
    each colour word, the by-domain table's colours headed with what they mean, and a
    totals row (across domains: the standards of each colour and the worst colour; across
    agencies: how many agencies are Red / Amber / Green in each domain).

    >>> by_domain = [{"domain": "d", "Green": 1, "Amber": 1, "Red": 0, "overall": "Amber"},
    ...              {"domain": "e", "Green": 2, "Amber": 0, "Red": 1, "overall": "Red"}]
    >>> for_the_ui("s11-rag-by-domain", by_domain)[-1]
    {'domain': 'All domains', 'Green (fully met)': 3, 'Amber (partially met)': 1, 'Red (not met)': 1, 'overall': '▲ Red'}
    >>> for_the_ui("s11-rag-by-agency", [{"agency": "Police", "period": "2026/27", "d": "Red"}])[-1]
    {'agency': 'Agencies Red / Amber / Green', 'period': '', 'd': '1 / 0 / 0'}
    """
    if not rows:
        return rows
    if key == "s11-rag-by-domain":
        shown = [{**{MEANINGS.get(k, k): v for k, v in r.items() if k != "overall"}, "overall": marked(r["overall"])} for r in rows]
        total = {MEANINGS.get(k, k): sum(r[k] for r in rows) for k in RAG_ORDER}  # type: ignore[misc]
        return [*shown, {"domain": "All domains", **{MEANINGS[c]: total[MEANINGS[c]] for c in ("Green", "Amber", "Red")},
                         "overall": marked(_worst(r["overall"] for r in rows))}]
    if key == "s11-rag-by-agency":
        domains = [k for k in rows[0] if k not in ("agency", "period")]
        counts = {d: Counter(r[d] for r in rows) for d in domains}
        return [*({k: marked(v) if k in domains else v for k, v in r.items()} for r in rows),
                {"agency": "Agencies Red / Amber / Green", "period": "", **{d: f"{c['Red']} / {c['Amber']} / {c['Green']}" for d, c in counts.items()}}]
    if key == "returns-by-agency":
        return _with_totals(rows, "agency", "All agencies")
    if key == "returns-by-activity":
        return _with_totals(rows, "activity", "All activities")
    return rows
