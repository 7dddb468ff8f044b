"""The demonstration's review cases: two serious incidents, each through the framework's
review chain by ``open_case`` and ``record_stage`` (what ``qaf rapid-review`` and the
rapid-review flow use), known by reference only.

The first, in the spring, is decided for the branch with most stages (SSCP's CSPR) and
goes through every stage of it to publication; the second, in the autumn, is decided
for the branch with fewest (no review) and closes there. Each stage is recorded two
working days after the one before it, or ten before it is due when that is later (a
CSPR takes most of its six months), and never after it is due; a sign-off is signed by
the first role the stage lists; the decision carries a fictional rationale. Each case
learns a finding and carries an action on its recommendations.
"""

from __future__ import annotations

from datetime import date

from qaframework.demo.context import Demo
from qaframework.demo.learning_step import case_action, record
from qaframework.demo.texts import RATIONALE
from qaframework.persistence.cases import case_view, open_case, record_stage
from qaframework.reviews.chain import CaseDates, stage_named

#: When each incident becomes known: working days after the year opens.
AWARE_AFTER = (30, 130)
STEP = 2
#: Working days before a stage's due date it is done at the latest.
LEAD = 10


def decisions_by_length(demo: Demo) -> list[str]:
    """The chain's decisions, the branch with most stages first (ties: the file's order)."""
    chain = demo.framework.review_chain
    length = {d: sum(1 for s in chain.stages.values() if s.branch == d) for d in chain.decisions}
    return sorted(chain.decisions, key=lambda d: -length[d])


def schedule_cases(demo: Demo) -> None:
    ordered = decisions_by_length(demo)
    for n, (after, decision) in enumerate(zip(AWARE_AFTER, (ordered[0], ordered[-1]))):
        aware = demo.walk.ahead(demo.fy.start, after)
        demo.walk.at(aware, lambda today, d=decision, n=n: _open(demo, d, n, today))  # type: ignore[misc]


def _open(demo: Demo, decision: str, n: int, today: date) -> None:
    incident = demo.walk.back(today, 1)
    reference = open_case(session=demo.session, framework=demo.framework, dates=CaseDates(incident, today, None), opened_by_run=None,
                          actor=demo.actor)
    demo.note("cases")
    demo.walk.at(demo.walk.ahead(today, 1), lambda day: _next(demo, reference, decision, n, day))


def _next(demo: Demo, reference: str, decision: str, n: int, today: date) -> None:
    """Record the case's next stage today, then schedule the one after it."""
    framework = demo.framework
    view = case_view(session=demo.session, framework=framework, reference=reference)
    if view.next_stage is None:
        return
    stage = stage_named(framework, view.next_stage)
    assert stage is not None
    is_decision = stage.key == framework.review_chain.decision_stage
    after = record_stage(session=demo.session, framework=framework, reference=reference, stage=stage.key, done_on=today, actor=demo.actor,
                         decision=decision if is_decision else None, rationale=RATIONALE if is_decision else None,
                         signed_by=stage.signed_by[0] if stage.kind == "sign-off" else None)
    demo.note("stages")
    if is_decision:
        demo.walk.at(demo.walk.ahead(today, 1), lambda day: record(demo, reference, 3 * n, day))
        owner = demo.agencies[n % len(demo.agencies)]
        demo.walk.at(demo.walk.ahead(today, 2), lambda day: case_action(demo, reference, owner, n, day))
    if after.next_stage is None:
        return
    due = next(s.due for s in after.stages if s.key == after.next_stage)
    when = demo.walk.ahead(today, STEP)
    if due is not None:
        # A long clock (a CSPR's six months) is used, not raced: done ten working days before it ends.
        when = min(max(when, demo.walk.back(due, LEAD)), demo.walk.calendar.on_or_before(due))
    demo.walk.at(when, lambda day: _next(demo, reference, decision, n, day))
