"""The record of a financial year as the yearly report sees it: plain facts gathered
once by :mod:`qaframework.persistence.yearly_facts`, assembled by
:mod:`qaframework.yearly_report.assembly`. Keys, references, counts, dates and the
titles people gave findings and actions: nothing that identifies a child, a family or a
practitioner (cases by reference only; case-audit case numbers and school names are not
gathered at all)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from qaframework.persistence.action_views import ActionView
from qaframework.persistence.dataset_values import MeasureValue
from qaframework.returns.dashboard import ReturnTaskFacts


@dataclass(frozen=True)
class OccurrenceFacts:
    """One planned occurrence of the year: an activity (its tasks and how many are
    finished) or a meeting (held, cancelled or not recorded)."""

    key: str
    activity: str  # the activity, or the meeting's body
    kind: str  # activity | meeting
    title: str
    start: date
    tasks: int = 0
    finished: int = 0
    status: str = "planned"  # for meetings: planned | held | cancelled


@dataclass(frozen=True)
class StageFacts:
    key: str
    due: date | None
    done_on: date | None


@dataclass(frozen=True)
class CaseFacts:
    """A review case opened in the year, by reference, with its stages' dates."""

    reference: str
    aware: date
    notified: date | None
    decision: str | None
    stages: tuple[StageFacts, ...]

    def stage(self, key: str | None) -> StageFacts | None:
        return next((s for s in self.stages if s.key == key), None) if key else None


@dataclass(frozen=True)
class FindingFacts:
    reference: str
    activity: str
    kind: str
    theme: str
    title: str
    case: str | None
    score: int | None = None
    band: str | None = None


@dataclass(frozen=True)
class RiskFacts:
    reference: str
    title: str
    theme: str
    score: int | None
    band: str | None
    above_tolerance: bool


@dataclass(frozen=True)
class StepFacts:
    step: str
    body: str
    day: date
    signed_by: str | None
    version: int | None
    address: str | None


@dataclass(frozen=True)
class YearlyFacts:
    """Everything the yearly report on ``financial_year`` draws on, as of ``as_of``."""

    financial_year: int
    as_of: date
    occurrences: tuple[OccurrenceFacts, ...]
    returns: tuple[ReturnTaskFacts, ...]  # the year's agency tasks that take a return
    previous_s11: tuple[ReturnTaskFacts, ...]  # the latest earlier self-assessment cycle's
    attendance: Mapping[str, tuple[int, int]]  # agency -> (meetings attended, held)
    cases: tuple[CaseFacts, ...]
    measure_values: tuple[MeasureValue, ...]
    actions: tuple[ActionView, ...]  # actions of the year (due, done or dropped in it)
    risks: tuple[RiskFacts, ...]  # open risks rated by the year's end
    routed: tuple[FindingFacts, ...]  # open findings placed on the year's yearly report
    findings: tuple[FindingFacts, ...]  # open findings recorded in the year
    steps: Mapping[str, StepFacts] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        from qaframework.financial_year import FinancialYear

        return self.as_of > FinancialYear(self.financial_year).end
