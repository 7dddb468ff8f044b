"""The statutory clock chain of a serious incident, as pure dates.

The stages come from the framework file's ``review_chain`` (see
:mod:`qaframework.framework.review_chain`). SSCP's chain, from the day the local
authority became aware (or the incident date, by setting) to a published review:

1. ``panel-notification``: the National Panel is notified (5 working days);
2. ``rapid-review``: the rapid review is completed and sent to the Panel (15 working
   days from notification);
3. ``executive-sign-off``: the Executive signs it off (by the same day);
4. ``decision``: CSPR, no review, or a thematic review, with its rationale (same day);

then a branch for each decision. Each stage's due date is its deadline rule counted from
the clock start or from an earlier stage's done date; a stage whose clock stage is not
done yet has no due date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache

from qaframework.deadlines import deadline
from qaframework.framework import Framework
from qaframework.framework.review_chain import CLOCK_START, ReviewChain


@dataclass(frozen=True)
class Stage:
    key: str
    title: str
    kind: str  # the form: "done-on" (a date), "sign-off" (a date and who), "decision"
    holder: str  # the key of the body holding the task
    branch: str | None = None  # only after this decision
    signed_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseDates:
    incident: date | None
    aware: date
    notified: date | None


@cache
def _shipped() -> Framework:
    from qaframework.framework import load_framework

    return load_framework()


def stages(framework: Framework | None = None) -> tuple[Stage, ...]:
    """Every stage of the framework's chain, in order, with the body holding each.
    Without a framework, the shipped framework's chain."""
    framework = framework or _shipped()
    return tuple(
        Stage(key, s.title, s.form, framework.role(s.holder), s.branch, tuple(s.signed_by))
        for key, s in framework.review_chain.stages.items()
    )


def stage_named(framework: Framework, key: str) -> Stage | None:
    return next((s for s in stages(framework) if s.key == key), None)


def decisions(framework: Framework) -> list[str]:
    """The decision keys, in the order the framework file lists them."""
    return list(framework.review_chain.decisions)


def clock_start(framework: Framework, dates: CaseDates) -> date:
    """The day the Panel-notification clock starts: a setting, as partnerships differ."""
    if framework.document.serious_incident.clock_starts_at == "incident" and dates.incident is not None:
        return dates.incident
    return dates.aware


def stages_for(decision: str | None, framework: Framework | None = None) -> list[Stage]:
    """The stages of a case, given its decision so far."""
    return [s for s in stages(framework) if s.branch is None or s.branch == decision]


def due_dates(framework: Framework, dates: CaseDates, done: Mapping[str, date], decision: str | None) -> dict[str, date | None]:
    """Every stage's due date on the case's path, as far as it is known.

    >>> from qaframework.framework import load_framework
    >>> f = load_framework()
    >>> d = due_dates(f, CaseDates(None, date(2026, 12, 14), date(2026, 12, 18)), {}, None)
    >>> d["panel-notification"], d["rapid-review"], d["decision"]
    (datetime.date(2026, 12, 21), datetime.date(2027, 1, 13), datetime.date(2027, 1, 13))
    """
    chain: ReviewChain = framework.review_chain
    started = {CLOCK_START: clock_start(framework, dates)}
    if dates.notified is not None:
        started[chain.notification_stage] = dates.notified
    due: dict[str, date | None] = {}
    for stage in stages_for(decision, framework):
        spec = chain.stages[stage.key].due
        if spec is None:
            due[stage.key] = None
            continue
        start = started.get(spec.after) or done.get(spec.after)
        due[stage.key] = deadline(framework, spec.rule, start) if start else None
    return due


def next_stage(decision: str | None, done: Mapping[str, date], framework: Framework | None = None) -> Stage | None:
    """The first stage not yet done, or None when the case is complete."""
    for stage in stages_for(decision, framework):
        if stage.key not in done:
            return stage
    return None
