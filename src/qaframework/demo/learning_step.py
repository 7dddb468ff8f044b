"""The demonstration's findings, risks and actions, through the functions the flows and
``qaf findings``, ``qaf risks`` and ``qaf actions`` use.

About twelve of the year's planned activity occurrences, evenly spread, learn something,
recorded two working days after the window opens: in turn an area for improvement (with an action), a risk
(rated on the framework's matrix, rated again eight weeks later, with an action) and
good practice. Every action, whatever made it (a finding, a return, a meeting, a review
case), is followed the same way (:func:`follow_actions`): most are done a few working
days before they are due and judged by the action-evaluation body ten working days
later; one in three is left open, so it is overdue once its due date passes; one is
dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from qaframework.demo.context import Demo
from qaframework.demo.texts import ACTION_TEXTS, DROPPED_REASON, EVALUATION_NOTES, EVIDENCE, FINDING_SUMMARIES, FINDING_TITLES, pick
from qaframework.learning.finding_fields import FindingEntry
from qaframework.persistence.actions import add_action, complete_action, drop_action, evaluate_action
from qaframework.persistence.findings import record_finding
from qaframework.persistence.learning_tables import JUDGEMENTS, ImprovementAction
from qaframework.persistence.risks import rerate
from qaframework.persistence.tables import Occurrence

#: The kinds of finding, in turn.
KINDS = ("area-for-improvement", "risk", "good-practice")
#: Likelihood and impact of the risks, in turn, and of their second rating: one rises,
#: one falls, one stays; the framework's matrix gives the score, band and escalation.
RATINGS = (((4, 4), (4, 5)), ((3, 3), (2, 3)), ((2, 2), (2, 2)), ((5, 4), (4, 4)))
#: About how many typed findings the year's activities learn.
TYPED = 12
#: Working days from an action being added to its due date.
ACTION_WORKING_DAYS = 30
#: Every how many actions one is left open, and which one is dropped.
LEFT_OPEN_EVERY = 3
DROPPED = 4


def schedule_findings(demo: Demo) -> None:
    """Schedule the typed findings of the year's planned activity occurrences."""
    occurrences = demo.session.execute(
        select(Occurrence.key, Occurrence.window_start).where(Occurrence.financial_year == demo.fy.start_year, Occurrence.kind == "activity")
        .order_by(Occurrence.window_start, Occurrence.key)
    ).all()
    for n, (key, start) in enumerate(occurrences[::max(1, len(occurrences) // TYPED)]):
        demo.walk.at(demo.walk.ahead(start, 2), lambda today, key=key, n=n: record(demo, key, n, today))  # type: ignore[misc]


def record(demo: Demo, subject: str, n: int, today: date) -> str:
    """Record the ``n``-th finding on ``subject`` (an occurrence key or a case reference)
    today, and schedule what follows from it: its second rating, its action."""
    framework = demo.framework
    kind = KINDS[n % len(KINDS)]
    themes = list(framework.document.themes)
    agency = demo.agencies[n % len(demo.agencies)] if n % 2 == 0 else None
    first = second = None
    if kind == "risk":
        first, second = RATINGS[(n // len(KINDS)) % len(RATINGS)]
    entry = FindingEntry(subject=subject, title=pick(FINDING_TITLES[kind], n // len(KINDS)), summary=pick(FINDING_SUMMARIES, n), kind=kind,
                         theme=themes[n % len(themes)], agency=agency, likelihood=first[0] if first else None,
                         impact=first[1] if first else None)
    finding = record_finding(session=demo.session, framework=framework, entry=entry, recorded_on=today, source="typed",
                             actor=demo.actor, today=today)
    demo.note("findings")
    if second is not None:
        demo.walk.at(demo.walk.ahead(today, 40), lambda day: _rerate(demo, finding.reference, second, day))
    if kind != "good-practice":
        demo.walk.at(demo.walk.ahead(today, 1), lambda day: _act(demo, finding.reference, agency or demo.agencies[-1 - n % len(demo.agencies)], n, day))
    return finding.reference


def _rerate(demo: Demo, reference: str, rating: tuple[int, int], today: date) -> None:
    rerate(session=demo.session, framework=demo.framework, finding_reference=reference, likelihood=rating[0], impact=rating[1],
           on=today, actor=demo.actor, today=today)
    demo.note("ratings")


def _act(demo: Demo, finding: str, owner: str, n: int, today: date) -> None:
    reference = add_action(session=demo.session, framework=demo.framework, what=pick(ACTION_TEXTS, n), owner=owner,
                           due=demo.walk.ahead(today, ACTION_WORKING_DAYS), actor=demo.actor, on=today, finding_reference=finding)
    follow_actions(demo, [reference])


def case_action(demo: Demo, case: str, owner: str, n: int, today: date) -> None:
    """An action on a review case's recommendations (by its reference only)."""
    reference = add_action(session=demo.session, framework=demo.framework, what=pick(ACTION_TEXTS, n), owner=owner,
                           due=demo.walk.ahead(today, ACTION_WORKING_DAYS), actor=demo.actor, on=today, case_reference=case)
    follow_actions(demo, [reference])


def follow_actions(demo: Demo, references: Iterable[str]) -> None:
    """Schedule what happens to each action: done and judged, dropped, or left open."""
    for reference in references:
        demo.note("actions")
        count = demo.asked["actions"]
        due = demo.session.execute(select(ImprovementAction.due).where(ImprovementAction.reference == reference)).scalar_one()
        if count == DROPPED:
            demo.walk.at(demo.walk.back(due, 5), lambda day, r=reference: _drop(demo, r, day))  # type: ignore[misc]
        elif count % LEFT_OPEN_EVERY:
            demo.walk.at(demo.walk.back(due, 1 + count % 4), lambda day, r=reference, c=count: _done(demo, r, c, day))  # type: ignore[misc]


def _drop(demo: Demo, reference: str, today: date) -> None:
    drop_action(session=demo.session, reference=reference, reason=DROPPED_REASON, on=today, actor=demo.actor, today=today)


def _done(demo: Demo, reference: str, count: int, today: date) -> None:
    complete_action(session=demo.session, reference=reference, on=today, evidence=pick(EVIDENCE, count), actor=demo.actor, today=today)
    demo.note("actions done")
    judgement = JUDGEMENTS[demo.asked["actions done"] % len(JUDGEMENTS)]
    demo.walk.at(demo.walk.ahead(today, 10), lambda day: _judge(demo, reference, judgement, day))


def _judge(demo: Demo, reference: str, judgement: str, today: date) -> None:
    evaluate_action(session=demo.session, framework=demo.framework, reference=reference, judgement=judgement, on=today,
                    actor=demo.actor, today=today, note=EVALUATION_NOTES[JUDGEMENTS.index(judgement)])
