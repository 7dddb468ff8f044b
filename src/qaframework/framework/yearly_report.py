"""What the yearly report (Working Together 2023) draws on, as the framework file says.

The code never names an activity, a decision or a measure: the file's ``yearly_report:``
says which activity is the yearly report, which decision of the review chain is the
local child safeguarding practice review and which of its stages record completion and
publication, which return types are surveys, which activities hear the voice of
children and families, which dataset measures and activities are training and the
workforce, and which themes are the partnership's priorities (each gets a narrative file
for the business unit's commentary).

Left out, the yearly report is the activity other activities route their findings to,
and the rest is read from the file: surveys are the ``survey-results`` return types, and
the reviews' stages are left unnamed (the counts that need them say so).
"""

from __future__ import annotations

from pydantic import Field

from qaframework.errors import FrameworkFileError
from qaframework.framework.base import Key, Strict


class YearlyReportReviews(Strict):
    """Which decision of ``review_chain`` is the local review (CSPR) and which of its
    stages record that it was completed and published."""

    decision: Key
    completed: Key
    published: Key | None = None


class YearlyReportSettings(Strict):
    """The ``yearly_report:`` section of a framework file."""

    #: The activity that is the yearly report (its month is when it is assembled).
    activity: Key
    reviews: YearlyReportReviews | None = None
    #: Return types whose results are surveys (default: every survey-results type).
    survey_returns: list[Key] | None = None
    #: Activities whose findings are the voice of children and families.
    voice_activities: list[Key] = Field(default_factory=list)
    #: Dataset measures and activities that show training and the workforce (Core 3).
    training_measures: list[Key] = Field(default_factory=list)
    training_activities: list[Key] = Field(default_factory=list)
    #: Themes (keys of ``themes``) that are the partnership's priorities.
    priorities: list[Key] = Field(default_factory=list)


def yearly_report_settings(framework: object) -> YearlyReportSettings:
    """The file's settings, checked against the rest of the file (one line naming the
    field when a key is unknown). ``framework`` is a loaded ``Framework``."""
    doc = framework.document  # type: ignore[attr-defined]
    file = str(getattr(framework, "source", "framework file"))
    settings = doc.yearly_report
    if settings is None:
        routed = [r for a in doc.activities.values() for r in a.routes if r in doc.activities]
        if not routed:
            raise FrameworkFileError(file, "yearly_report.activity", "no activity is the yearly report: add yearly_report: {activity: KEY}")
        settings = YearlyReportSettings(activity=max(set(routed), key=lambda k: (routed.count(k), k)))
    check_yearly_report(file, doc, settings)
    if settings.survey_returns is None:
        surveys = [k for k, rt in doc.returns.items() if rt.kind == "survey-results"]
        settings = settings.model_copy(update={"survey_returns": surveys})
    return settings


def check_yearly_report(file: str, doc: object, settings: YearlyReportSettings | None = None) -> None:
    """Every key the section names exists in the file (for the loader's cross-checks)."""
    s = settings if settings is not None else doc.yearly_report  # type: ignore[attr-defined]
    if s is None:
        return
    activities, returns, themes = doc.activities, doc.returns, doc.themes  # type: ignore[attr-defined]
    chain = doc.review_chain  # type: ignore[attr-defined]
    measures = {m for rt in returns.values() if rt.kind == "dataset" for m in rt.measures}  # type: ignore[union-attr]

    def need(ok: bool, field: str, expected: str) -> None:
        if not ok:
            raise FrameworkFileError(file, f"yearly_report.{field}", expected)

    need(s.activity in activities, "activity", "expected the key of an activity (the yearly report)")
    if s.reviews is not None:
        need(s.reviews.decision in chain.decisions, "reviews.decision", "expected a key of review_chain.decisions")
        need(s.reviews.completed in chain.stages, "reviews.completed", "expected a key of review_chain.stages")
        need(s.reviews.published is None or s.reviews.published in chain.stages, "reviews.published", "expected a key of review_chain.stages")
    for i, key in enumerate(s.survey_returns or []):
        need(key in returns and returns[key].kind == "survey-results", f"survey_returns.{i}", "expected a return type of kind survey-results")
    for name in ("voice_activities", "training_activities"):
        for i, key in enumerate(getattr(s, name)):
            need(key in activities, f"{name}.{i}", "expected the key of an activity")
    for i, key in enumerate(s.training_measures):
        need(key in measures, f"training_measures.{i}", "expected a measure of a dataset return type")
    for i, key in enumerate(s.priorities):
        need(key in themes, f"priorities.{i}", "expected a key of themes")
