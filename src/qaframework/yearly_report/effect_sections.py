"""How effective the arrangements were, the evidence of impact, and where there was
little or no progress.

Readings:

- **Section 11**: each agency's accepted self-assessment of the year (its latest
  version), the standards rated Green, Amber and Red per domain; against the latest
  earlier cycle when there is one. A domain is *Red* for an agency when any of its
  standards is not met (:func:`qaframework.returns.dashboard.domain_rag`).
- **Case audits** count each grade given (an agency's grade of a case in a domain) in
  the year's accepted returns; the cases audited are the distinct case numbers. **School
  audits** count each (school, standard) by compliance, and the distinct schools (by
  URN) per return. Case numbers, URNs and school names are never shown.
- **Dataset measures**: each quarter's partnership figure
  (:func:`qaframework.papers.data_dashboard.measure_series`). The *trend* is the last
  quarter with a figure against the first; a measure with an alert threshold moves the
  *wrong way* when it rises (``above``) or falls (``below``) over the year.
- **Impact**: actions done in the year, with evidence given, and the Action Plan
  Evaluation group's latest judgement of each.
- **Little or no progress**: actions of the year still open past their due date (by
  the year's end, or today for a year not ended), actions dropped, risks above the
  tolerance, Red domains and measures moving the wrong way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.return_types import DatasetType, Measure, S11SelfAssessmentType
from qaframework.papers.data_dashboard import measure_series
from qaframework.persistence.learning_tables import JUDGEMENTS
from qaframework.returns.dashboard import RAG_ORDER, ReturnTaskFacts, domain_rag
from qaframework.yearly_report.facts import YearlyFacts
from qaframework.yearly_report.model import Chart, Figure, Section, Table

Number = float | int


def _received(facts: Iterable[ReturnTaskFacts], activities: Iterable[str]) -> list[ReturnTaskFacts]:
    wanted = set(activities)
    return [f for f in facts if f.activity in wanted and f.received]


def _rag_counts(facts: list[ReturnTaskFacts], domains: dict[str, str]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {d: Counter() for d in domains}
    for f in facts:
        for r in f.latest_payload.get("ratings", []):
            counts.setdefault(r["domain"], Counter())[r["rag"]] += 1
    return counts


def red_domains(framework: Framework, facts: YearlyFacts) -> list[tuple[str, int]]:
    """(domain name, agencies rating it Red) for each domain at least one agency rated Red."""
    found: Counter[str] = Counter()
    names: dict[str, str] = {}
    for rt in framework.document.returns.values():
        if isinstance(rt, S11SelfAssessmentType):
            names.update({k: d.name for k, d in rt.domains.items()})  # type: ignore[union-attr]
            for f in _received(facts.returns, rt.activities):
                found.update(d for d, colour in domain_rag(f.latest_payload.get("ratings", [])).items() if colour == "Red")
    return [(names.get(d, d), n) for d, n in sorted(found.items(), key=lambda kv: list(names).index(kv[0]) if kv[0] in names else 99)]


def _s11(framework: Framework, facts: YearlyFacts) -> tuple[list[Figure], list[Chart]]:
    figures, charts = [], []
    for key, rt in framework.document.returns.items():
        if not isinstance(rt, S11SelfAssessmentType):
            continue
        domains = {k: d.name for k, d in rt.domains.items()}  # type: ignore[union-attr]
        now = _received(facts.returns, rt.activities)
        before = _received(facts.previous_s11, rt.activities)
        current, previous = _rag_counts(now, domains), _rag_counts(before, domains)
        cycle = f" (previous cycle, {before[0].period[:7]})" if before else ""
        headers = ("Domain", *RAG_ORDER[::-1], *((f"{c} before" for c in RAG_ORDER[::-1]) if before else ()))
        rows = tuple((domains.get(d, d), *(current[d][c] for c in RAG_ORDER[::-1]), *((previous[d][c] for c in RAG_ORDER[::-1]) if before else ()))
                     for d in current)
        table = Table(f"s11-{key}", f"{rt.title}: standards rated Green, Amber and Red, by domain{cycle}", headers,
                      rows if now else (), "No self-assessment was received in the year.")
        labels = tuple(domains.get(d, d) for d in current)
        charts.append(Chart(f"s11-{key}", f"{rt.title}: ratings by domain", "hstacked", labels,
                            tuple((c, tuple(current[d][c] for d in current)) for c in RAG_ORDER[::-1]),
                            "Stacked bar chart of the standards rated Green (fully met), Amber (partially met) and Red (not met) in "
                            "each domain: " + "; ".join(f"{domains.get(d, d)}: {current[d]['Green']} Green, {current[d]['Amber']} Amber, "
                                                        f"{current[d]['Red']} Red" for d in current) + ".", table))
        figures += [Figure(f"s11-returns-{key}", f"{rt.title}: agencies' returns received", len(now)),
                    Figure(f"s11-red-{key}", f"{rt.title}: standards not met (Red)", sum(c["Red"] for c in current.values()))]
    return figures, charts


def _audits(framework: Framework, facts: YearlyFacts) -> tuple[list[Figure], list[Table], list[Chart]]:
    figures, tables, charts = [], [], []
    for key, rt in framework.document.returns.items():
        if rt.kind == "case-audit":
            received = _received(facts.returns, rt.activities)
            grades: dict[str, Counter[str]] = {d: Counter() for d in rt.domains}  # type: ignore[union-attr]
            cases = set()
            for f in received:
                for g in f.latest_payload.get("grades", []):
                    grades.setdefault(g["domain"], Counter())[g["grade"]] += 1
                    cases.add(g.get("case_number"))  # counted, never shown
            names = rt.domains  # type: ignore[union-attr]
            table = Table(f"grades-{key}", f"{rt.title}: cases graded in each domain", ("Domain", *rt.grades),  # type: ignore[union-attr]
                          tuple((names.get(d, d), *(c[g] for g in rt.grades)) for d, c in grades.items()) if received else (),  # type: ignore[union-attr]
                          "No case audit was received in the year.")
            charts.append(Chart(f"grades-{key}", f"{rt.title}: grades by domain", "hstacked", tuple(names.get(d, d) for d in grades),
                                tuple((g, tuple(c[g] for c in grades.values())) for g in rt.grades),  # type: ignore[union-attr]
                                "Stacked bar chart of the grades given in each domain of the cases audited: "
                                + "; ".join(f"{names.get(d, d)}: " + ", ".join(f"{c[g]} {g}" for g in rt.grades) for d, c in grades.items()) + ".",  # type: ignore[union-attr]
                                table))
            figures.append(Figure(f"cases-audited-{key}", f"{rt.title}: cases audited", len(cases)))
        elif rt.kind == "school-audit":
            received = _received(facts.returns, rt.activities)
            compliance: dict[str, Counter[str]] = {s: Counter() for s in rt.standards}  # type: ignore[union-attr]
            schools = set()
            for i, f in enumerate(received):
                for s in f.latest_payload.get("schools", []):
                    compliance.setdefault(s["standard"], Counter())[s["compliance"]] += 1
                    schools.add((i, s.get("school_urn")))
            levels = ("Compliant", "Partially compliant", "Not compliant")
            tables.append(Table(f"schools-{key}", f"{rt.title}: schools' compliance with each standard", ("Standard", *levels),
                                tuple((s, *(c[x] for x in levels)) for s, c in compliance.items()) if received else (),
                                "No school audit was received in the year."))
            figures.append(Figure(f"schools-audited-{key}", f"{rt.title}: schools audited", len(schools)))
    return figures, tables, charts


def measures(framework: Framework) -> dict[str, tuple[str, DatasetType, Measure]]:
    return {m: (k, rt, measure) for k, rt in framework.document.returns.items() if isinstance(rt, DatasetType)
            for m, measure in rt.measures.items()}


def trend(values: list[Number | None]) -> Number | None:
    """The last figure against the first (None with fewer than two).

    >>> trend([10, None, 14, 12]), trend([None, 5]), trend([80.5, 79.25])
    (2, None, -1.25)
    """
    given = [v for v in values if v is not None]
    if len(given) < 2:
        return None
    change = given[-1] - given[0]
    return change if isinstance(change, int) else round(change, 2)


def wrong_way(measure: Measure, change: Number | None) -> bool:
    if measure.alert is None or change is None or change == 0:
        return False
    return change > 0 if measure.alert.above is not None else change < 0


def measure_charts(framework: Framework, facts: YearlyFacts, only: Iterable[str] | None = None) -> list[Chart]:
    """One chart per dataset measure (its quarters, or its year), each with its table."""
    series = measure_series(facts.measure_values, framework, facts.financial_year)
    known = measures(framework)
    charts = []
    for key in (list(only) if only is not None else list(series)):
        if key not in series:
            continue
        points = series[key]
        _, rt, m = known[key]
        unit = {"percent": "%", "days": "days", "count": "count", "rate-per-10000": "per 10,000"}[m.unit]
        table = Table(f"measure-{key}", f"{m.name} ({unit})", ("Period", "Partnership figure"), tuple((p, v) for p, v in points))
        change = trend([v for _, v in points])
        alt = (f"{'Line' if len(points) > 1 else 'Bar'} chart of {m.name} ({unit}) in {FinancialYear(facts.financial_year)}: "
               + "; ".join(f"{p}: {'no figure' if v is None else v}" for p, v in points)
               + ("." if change is None else f"; change over the year {change:+g}."))
        charts.append(Chart(f"measure-{key}", f"{m.name} ({rt.groups.get(m.group, m.group)})", "line" if len(points) > 1 else "bar",
                            tuple(p for p, _ in points), ((m.name, tuple(v for _, v in points)),), alt, table))
    return charts


def effectiveness(framework: Framework, facts: YearlyFacts) -> Section:
    s11_figures, s11_charts = _s11(framework, facts)
    audit_figures, audit_tables, audit_charts = _audits(framework, facts)
    series = measure_series(facts.measure_values, framework, facts.financial_year)
    known = measures(framework)
    rows = []
    for key, points in series.items():
        m = known[key][2]
        values = [v for _, v in points]
        change = trend(values)
        rows.append((m.name, *(values if len(values) == 4 else [None, None, None, values[0]]), change,
                     "Yes" if wrong_way(m, change) else ""))
    table = Table("measures", f"Dataset measures in {FinancialYear(facts.financial_year)}: the partnership figure each quarter "
                              "(a yearly measure in Q4's column) and the trend over the year",
                  ("Measure", "Q1", "Q2", "Q3", "Q4", "Trend", "Wrong way"), tuple(rows))
    figures = [*s11_figures, *audit_figures,
               Figure("measures-with-figures", "Dataset measures with a figure in the year", sum(1 for r in rows if any(v is not None for v in r[1:5])))]
    return Section("effectiveness", "How effective the arrangements have been", figures=tuple(figures),
                   tables=(*audit_tables, table), charts=(*s11_charts, *audit_charts, *measure_charts(framework, facts)))


def impact(framework: Framework, facts: YearlyFacts) -> Section:
    year = FinancialYear(facts.financial_year)
    done = [a for a in facts.actions if a.status == "done" and a.done_on is not None and year.start <= a.done_on <= year.end]
    judged = Counter(a.judgement or "not evaluated" for a in done)
    names = {**{k: a.name for k, a in framework.agencies.items()}, **{k: b.name for k, b in framework.bodies.items()}}
    rows = tuple((a.reference, a.what, names.get(a.owner, a.owner), a.done_on, "Yes" if a.evidence.strip() else "No",
                  (a.judgement or "not evaluated").replace("-", " ")) for a in sorted(done, key=lambda a: a.reference))
    figures = [Figure("actions-completed", "Actions completed in the year", len(done)),
               Figure("actions-with-evidence", "Actions completed with evidence", sum(1 for a in done if a.evidence.strip()))]
    figures += [Figure(f"judged-{j}", f"Judged {j.replace('-', ' ')} by the Action Plan Evaluation group", judged[j]) for j in JUDGEMENTS]
    figures.append(Figure("judged-none", "Not evaluated yet", judged["not evaluated"]))
    return Section("impact", "Evidence of impact on children and families", figures=tuple(figures),
                   tables=(Table("actions-done", "Actions completed in the year and how they were judged",
                                 ("Action", "What", "Owner", "Done on", "Evidence given", "Judgement"), rows, "No action was completed in the year."),))


def little_progress(framework: Framework, facts: YearlyFacts) -> Section:
    year = FinancialYear(facts.financial_year)
    by = min(facts.as_of, year.end)
    names = {**{k: a.name for k, a in framework.agencies.items()}, **{k: b.name for k, b in framework.bodies.items()}}
    overdue = [a for a in facts.actions if a.status == "open" and a.due <= by and a.due < facts.as_of]
    dropped = [a for a in facts.actions if a.status == "dropped"]
    above = [r for r in facts.risks if r.above_tolerance]
    red = red_domains(framework, facts)
    known = measures(framework)
    wrong = []
    for key, points in measure_series(facts.measure_values, framework, facts.financial_year).items():
        m = known[key][2]
        change = trend([v for _, v in points])
        if wrong_way(m, change):
            wrong.append((m.name, change, f"{'above' if m.alert.above is not None else 'below'} {m.alert.above if m.alert.above is not None else m.alert.below:g}"))  # type: ignore[union-attr]
    themes = framework.document.themes
    return Section(
        "little-progress", "Where there was little or no progress",
        figures=(Figure("actions-overdue", "Actions overdue", len(overdue)), Figure("actions-dropped", "Actions dropped", len(dropped)),
                 Figure("risks-above-tolerance", "Risks above the tolerance", len(above)), Figure("red-domains", "Section 11 domains rated Red", len(red)),
                 Figure("measures-wrong-way", "Measures moving the wrong way", len(wrong))),
        tables=(
            Table("overdue", "Actions overdue", ("Action", "What", "Owner", "Due"),
                  tuple((a.reference, a.what, names.get(a.owner, a.owner), a.due) for a in overdue), "No action was overdue."),
            Table("dropped", "Actions dropped", ("Action", "What", "Owner", "Reason"),
                  tuple((a.reference, a.what, names.get(a.owner, a.owner), a.dropped_reason) for a in dropped), "No action was dropped."),
            Table("risks", "Risks above the tolerance at the year's end", ("Risk", "Title", "Theme", "Score", "Band"),
                  tuple((r.reference, r.title, themes.get(r.theme, r.theme), r.score, r.band) for r in above), "No risk was above the tolerance."),
            Table("red", "Section 11 domains rated Red", ("Domain", "Agencies rating it Red"), tuple(red), "No domain was rated Red."),
            Table("wrong-way", "Measures moving the wrong way over the year", ("Measure", "Change", "Alert"), tuple(wrong),
                  "No measure with a threshold moved the wrong way."),
        ),
    )
