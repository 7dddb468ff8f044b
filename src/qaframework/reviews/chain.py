"""The statutory clock chain of a serious incident, as pure dates.

From the day the local authority became aware (or the incident date, by setting) to a
published review:

1. ``panel-notification``: the National Panel is notified (5 working days);
2. ``rapid-review``: the rapid review is completed and sent to the Panel (15 working
   days from notification);
3. ``executive-sign-off``: the Executive signs it off (by the same day);
4. ``decision``: CSPR, no review, or a thematic review, with its rationale (same day);

then for a CSPR: ``panel-endorsement``, ``author-commissioned``, ``cspr-completed`` (6
calendar months from the decision), ``scrutineer-sign-off``, ``executive-sign-off-cspr``
and ``publication``; for a thematic review: ``thematic-completed``.

Each stage's due date comes from the framework's deadline rules; a stage whose clock
depends on an earlier stage (the decision) has no due date until that stage is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from qaframework.deadlines import deadline
from qaframework.framework import Framework

DECISIONS = ("cspr", "no-review", "thematic-review")


@dataclass(frozen=True)
class Stage:
    key: str
    title: str
    kind: str  # "done-on" (a date), "sign-off" (a date and who), "decision"
    holder: str  # body key holding the task
    branch: str | None = None  # only after this decision


STAGES: tuple[Stage, ...] = (
    Stage("panel-notification", "National Panel notified", "done-on", "business-unit"),
    Stage("rapid-review", "Rapid review completed and sent to the National Panel", "done-on", "business-unit"),
    Stage("executive-sign-off", "Executive sign-off of the rapid review", "sign-off", "executive"),
    Stage("decision", "Decision: CSPR, no review or thematic review", "decision", "executive"),
    Stage("panel-endorsement", "National Panel endorsement of the CSPR", "done-on", "business-unit", "cspr"),
    Stage("author-commissioned", "Independent author commissioned", "done-on", "executive", "cspr"),
    Stage("cspr-completed", "CSPR completed", "done-on", "learning-improvement", "cspr"),
    Stage("scrutineer-sign-off", "Independent Scrutineer sign-off of the CSPR", "sign-off", "independent-scrutineer", "cspr"),
    Stage("executive-sign-off-cspr", "Executive sign-off of the CSPR", "sign-off", "executive", "cspr"),
    Stage("publication", "CSPR published", "done-on", "business-unit", "cspr"),
    Stage("thematic-completed", "Thematic review completed", "done-on", "learning-improvement", "thematic-review"),
)
BY_KEY = {s.key: s for s in STAGES}


@dataclass(frozen=True)
class CaseDates:
    incident: date | None
    aware: date
    notified: date | None


def clock_start(framework: Framework, dates: CaseDates) -> date:
    """The day the Panel-notification clock starts: a setting, as partnerships differ."""
    if framework.document.serious_incident.clock_starts_at == "incident" and dates.incident is not None:
        return dates.incident
    return dates.aware


def stages_for(decision: str | None) -> list[Stage]:
    """The stages of a case, given its decision so far."""
    return [s for s in STAGES if s.branch is None or s.branch == decision]


def due_dates(framework: Framework, dates: CaseDates, done: Mapping[str, date], decision: str | None) -> dict[str, date | None]:
    """Every stage's due date, as far as it is known.

    >>> from qaframework.framework import load_framework
    >>> f = load_framework()
    >>> d = due_dates(f, CaseDates(None, date(2026, 12, 14), date(2026, 12, 18)), {}, None)
    >>> d["panel-notification"], d["rapid-review"], d["decision"]
    (datetime.date(2026, 12, 21), datetime.date(2027, 1, 13), datetime.date(2027, 1, 13))
    """
    due: dict[str, date | None] = {}
    due["panel-notification"] = deadline(framework, "panel-notification", clock_start(framework, dates))
    notified = dates.notified or done.get("panel-notification")
    review_due = deadline(framework, "rapid-review", notified) if notified else None
    for key in ("rapid-review", "executive-sign-off", "decision"):
        due[key] = review_due
    decided = done.get("decision")
    if decision == "cspr":
        completion = deadline(framework, "cspr", decided) if decided else None
        rules = framework.deadline_rules
        due["panel-endorsement"] = deadline(framework, "cspr-endorsement", decided) if decided and "cspr-endorsement" in rules else None
        due["author-commissioned"] = deadline(framework, "cspr-commissioning", decided) if decided and "cspr-commissioning" in rules else None
        for key in ("cspr-completed", "scrutineer-sign-off", "executive-sign-off-cspr", "publication"):
            due[key] = completion
    if decision == "thematic-review":
        rule = framework.activities["thematic-review"].due.name or "cspr"
        due["thematic-completed"] = deadline(framework, rule, decided) if decided else None
    return due


def next_stage(decision: str | None, done: Mapping[str, date]) -> Stage | None:
    """The first stage not yet done, or None when the case is complete."""
    for stage in stages_for(decision):
        if stage.key not in done:
            return stage
    return None
