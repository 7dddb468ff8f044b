"""Learning from reviews, the voice of children and families, training and the
workforce (Core 3), and the findings routed to the yearly report by theme and priority.

Readings:

- **Learning from reviews**: the findings recorded in the year for a review case (its
  recommendations) and the actions raised on a case, grouped by the case's reference.
- **Voice**: the findings of the activities the framework file names
  (``yearly_report.voice_activities``), those activities held against planned, and
  the survey returns' results per theme (respondents and positive answers added up over
  agencies; ``yearly_report.survey_returns``).
- **Training and the workforce**: the measures and activities the file names
  (``yearly_report.training_measures``, ``training_activities``).
- **Findings by theme and priority**: under each theme (in the file's order), risks
  first (highest score first), then areas for improvement, then good practice.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from qaframework.framework import Framework
from qaframework.framework.yearly_report import YearlyReportSettings
from qaframework.persistence.learning_tables import FINDING_KINDS
from qaframework.yearly_report.effect_sections import measure_charts
from qaframework.yearly_report.facts import FindingFacts, YearlyFacts
from qaframework.yearly_report.model import Figure, Section, Table

#: Priority of a finding's kind within a theme: risks first, good practice last.
KIND_ORDER = {k: i for i, k in enumerate(reversed(FINDING_KINDS))}
KIND_NAMES = {"risk": "risk", "area-for-improvement": "area for improvement", "good-practice": "good practice"}


def finding_line(f: FindingFacts) -> str:
    rating = f", rated {f.score} ({f.band})" if f.score is not None else ""
    return f"{f.reference}: {f.title} ({KIND_NAMES.get(f.kind, f.kind)}{rating})"


def by_priority(findings: list[FindingFacts]) -> list[FindingFacts]:
    return sorted(findings, key=lambda f: (KIND_ORDER.get(f.kind, 9), -(f.score or 0), f.reference))


def learning_from_reviews(framework: Framework, facts: YearlyFacts) -> Section:
    cases = sorted({f.case for f in facts.findings if f.case} | {a.case for a in facts.actions if a.case})
    groups = []
    for ref in cases:
        lines = [finding_line(f) for f in by_priority([f for f in facts.findings if f.case == ref])]
        lines += [f"Action {a.reference}: {a.what} ({a.status}{', due ' + a.due.isoformat() if a.status == 'open' else ''})"
                  for a in sorted(facts.actions, key=lambda a: a.reference) if a.case == ref]
        groups.append((f"Case {ref}", tuple(lines)))
    findings = [f for f in facts.findings if f.case]
    actions = [a for a in facts.actions if a.case]
    return Section("learning", "Learning from reviews", figures=(
        Figure("review-findings", "Recommendations and findings of reviews", len(findings)),
        Figure("review-actions", "Actions taken on reviews", len(actions)),
        Figure("review-actions-done", "Actions on reviews completed", sum(1 for a in actions if a.status == "done")),
    ), groups=tuple(groups))


def voice(framework: Framework, settings: YearlyReportSettings, facts: YearlyFacts) -> Section:
    wanted = set(settings.voice_activities)
    findings = by_priority([f for f in facts.findings if f.activity in wanted])
    held = [o for o in facts.occurrences if o.kind == "activity" and o.activity in wanted]
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    names: dict[str, str] = {}
    for key in settings.survey_returns or []:
        rt = framework.document.returns[key]
        names.update(rt.themes)  # type: ignore[union-attr]
        for f in facts.returns:
            if f.activity in rt.activities and f.received:
                for r in f.latest_payload.get("results", []):
                    totals[r["theme"]][0] += int(r.get("respondents") or 0)
                    totals[r["theme"]][1] += int(r.get("positive") or 0)
    rows = tuple((names.get(t, t), n, p, round(100 * p / n, 1) if n else None) for t, (n, p) in totals.items())
    return Section("voice", "The voice of children and families", figures=(
        Figure("voice-activities-planned", "Activities hearing children and families: planned", len(held)),
        Figure("voice-activities-completed", "Activities hearing children and families: completed",
               sum(1 for o in held if o.tasks and o.finished == o.tasks)),
        Figure("voice-findings", "What they found (findings)", len(findings)),
        Figure("survey-respondents", "Survey respondents", sum(r[1] for r in rows)),
        Figure("survey-positive", "Positive answers", sum(r[2] for r in rows)),
    ), tables=(Table("surveys", "Survey results by theme", ("Theme", "Respondents", "Positive", "Positive (%)"), rows,
                     "No survey results were received in the year."),),
        groups=(("What children, young people and families told us", tuple(finding_line(f) for f in findings)),) if findings else ())


def training(framework: Framework, settings: YearlyReportSettings, facts: YearlyFacts) -> Section:
    charts = measure_charts(framework, facts, settings.training_measures)
    wanted = set(settings.training_activities)
    held = [o for o in facts.occurrences if o.kind == "activity" and o.activity in wanted]
    rows = tuple((o.title, o.start, "Yes" if o.tasks and o.finished == o.tasks else "No") for o in held)
    return Section("training", "Training and the workforce", figures=(
        Figure("training-measures", "Workforce and training measures with a figure", sum(1 for c in charts if any(v is not None for _, vs in c.series for v in vs))),
        Figure("training-activities-completed", "Training reports and activities completed", sum(1 for r in rows if r[2] == "Yes")),
    ), tables=(Table("training-activities", "Training reports and activities", ("Activity", "Planned from", "Completed"), rows,
                     "No training activity was planned in the year."),), charts=tuple(charts))


def routed_findings(framework: Framework, facts: YearlyFacts) -> Section:
    themes = framework.document.themes
    by_theme: dict[str, list[FindingFacts]] = defaultdict(list)
    for f in facts.routed:
        by_theme[f.theme].append(f)
    order = [t for t in themes if t in by_theme] + sorted(t for t in by_theme if t not in themes)
    kinds = Counter(f.kind for f in facts.routed)
    rows = tuple((themes.get(t, t), *(sum(1 for f in by_theme[t] if f.kind == k) for k in reversed(FINDING_KINDS)), len(by_theme[t])) for t in order)
    return Section("findings", "Findings reported to the yearly report, by theme and priority", figures=(
        Figure("routed-findings", "Findings reported to the yearly report", len(facts.routed)),
        *(Figure(f"routed-{k}", f"Of which: {KIND_NAMES[k]}", kinds[k]) for k in reversed(FINDING_KINDS)),
    ), tables=(Table("findings-by-theme", "Findings by theme", ("Theme", "Risks", "Areas for improvement", "Good practice", "All"), rows,
                     "No finding was reported to the yearly report on the year."),),
        groups=tuple((themes.get(t, t), tuple(finding_line(f) for f in by_priority(by_theme[t]))) for t in order))
