"""Assemble the yearly report: a pure function of the year's facts, the framework file
and the business unit's narrative. Sections follow Working Together 2023's headings (see
each section module's docstring for how its figures are counted)."""

from __future__ import annotations

from collections.abc import Mapping

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.framework.yearly_report import yearly_report_settings
from qaframework.yearly_report.effect_sections import effectiveness, impact, little_progress
from qaframework.yearly_report.facts import YearlyFacts
from qaframework.yearly_report.learning_sections import learning_from_reviews, routed_findings, training, voice
from qaframework.yearly_report.model import NarrativeBlock, Section, Table, YearlyReport
from qaframework.yearly_report.narrative import FOREWORD, narrative_files
from qaframework.yearly_report.record_sections import reviews, what_we_did

#: The sections, by key, in the report's order (Working Together 2023's headings).
SECTIONS: dict[str, str] = {
    "what-we-did": "What the partnership did",
    "reviews": "Rapid reviews and child safeguarding practice reviews",
    "effectiveness": "How effective the arrangements have been",
    "impact": "Evidence of impact on children and families",
    "little-progress": "Where there was little or no progress",
    "learning": "Learning from reviews",
    "voice": "The voice of children and families",
    "training": "Training and the workforce",
    "findings": "Findings reported to the yearly report, by theme and priority",
}
STEP_TITLES = {"independent_scrutiny": "Signed off by the independent scrutiny", "top_body": "Signed off by the top body",
               "published": "Published"}


def expected_narrative(framework: Framework) -> list[tuple[str, str]]:
    return narrative_files(framework, yearly_report_settings(framework), SECTIONS)


def _sign_off(framework: Framework, facts: YearlyFacts) -> Table:
    rows = []
    for step, title in STEP_TITLES.items():
        body = framework.role(step) if step != "published" else framework.role("business_unit")  # type: ignore[arg-type]
        done = facts.steps.get(step)
        who = framework.bodies[body].name
        rows.append((title.replace("the independent scrutiny", who).replace("the top body", who) if step != "published" else title,
                     done.day if done else "Not yet", (done.signed_by or "") if done else "",
                     (f"version {done.version}" if done and done.version else done.address if done and done.address else "")))
    return Table("sign-off", "Sign-off and publication", ("Step", "On", "By (role)", "Version or address"), tuple(rows))


def assemble(framework: Framework, facts: YearlyFacts, narrative: Mapping[str, NarrativeBlock] | None = None) -> YearlyReport:
    """The report on ``facts.financial_year``: a draft when the year has not ended by
    ``facts.as_of``. ``narrative`` maps each narrative file's stem to its text (missing:
    the heading alone)."""
    settings = yearly_report_settings(framework)
    files = narrative_files(framework, settings, SECTIONS)
    given = dict(narrative or {})
    blocks = {stem: given.get(stem, NarrativeBlock(stem, heading)) for stem, heading in files}
    built = (what_we_did(framework, facts), reviews(framework, settings, facts), effectiveness(framework, facts),
             impact(framework, facts), little_progress(framework, facts), learning_from_reviews(framework, facts),
             voice(framework, settings, facts), training(framework, settings, facts), routed_findings(framework, facts))
    sections = tuple(Section(s.key, s.title, s.figures, s.tables, s.charts, s.groups, blocks[f"commentary-{s.key}"].paragraphs) for s in built)
    year = FinancialYear(facts.financial_year)
    return YearlyReport(
        partnership=framework.document.partnership.name, financial_year=facts.financial_year, year=str(year),
        period=f"{year.start.day} {year.start:%B %Y} to {year.end.day} {year.end:%B %Y}", draft=not facts.ended,
        as_of=facts.as_of.isoformat(), foreword=blocks[FOREWORD],
        priorities=tuple(blocks[f"priority-{t}"] for t in settings.priorities), sections=sections,
        sign_off=_sign_off(framework, facts), empty_narrative=tuple(stem for stem, _ in files if not blocks[stem].paragraphs),
    )
