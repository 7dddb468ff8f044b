"""The record as the papers see it: plain facts gathered by
``qaframework.persistence.paper_facts`` and assembled by ``papers.pack`` and
``papers.exception_report``. References, keys, titles and dates only: nothing that
identifies a child, a family or a practitioner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qaframework.persistence.action_views import ActionView
from qaframework.returns.dashboard import ReturnTaskFacts


@dataclass(frozen=True)
class MeetingFacts:
    """A planned meeting of a body, and whether it was held or cancelled."""

    key: str
    body: str
    day: date
    papers_due: date
    status: str  # planned | held | cancelled


@dataclass(frozen=True)
class FindingFacts:
    """An open finding placed on a meeting."""

    reference: str
    activity: str
    theme: str
    kind: str
    title: str
    recorded_on: date
    case: str | None = None
    agency: str | None = None


@dataclass(frozen=True)
class RiskFacts:
    """An open risk with its latest rating (none when it is not rated yet), and the
    bodies it concerns: those it was placed on and those of its activity."""

    reference: str
    title: str
    theme: str
    activity: str
    score: int | None
    band: str | None
    above_tolerance: bool
    trend: str
    rated_on: date | None
    bodies: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ActionFacts:
    """An action, and the bodies that oversee it (its owner when a body, the bodies its
    finding was placed on, and those of its activity)."""

    view: ActionView
    bodies: frozenset[str] = frozenset()
    agreed_at: str | None = None  # the meeting's key, when agreed at a meeting


@dataclass(frozen=True)
class ActivityFacts:
    """One occurrence of an activity: its tasks, how many are finished, and when the last
    was (or when it was due)."""

    key: str
    activity: str
    title: str
    period: str | None
    due: date | None
    window_end: date
    tasks: int
    finished: int
    last_finished_on: date | None


@dataclass(frozen=True)
class RecordFacts:
    """Everything a meeting's papers may draw on, gathered once for a build."""

    as_of: date
    meetings: tuple[MeetingFacts, ...]
    placed: Mapping[str, tuple[FindingFacts, ...]]  # meeting key -> findings placed on it
    risks: tuple[RiskFacts, ...]
    actions: tuple[ActionFacts, ...]
    occurrences: tuple[ActivityFacts, ...]
    returns: tuple[ReturnTaskFacts, ...]
    reviews: tuple[Any, ...] = ()  # papers.open_reviews.ReviewLine
    dashboard: Any = None  # papers.data_dashboard.DataDashboard
    decisions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # meeting key -> decisions
