"""The demonstration's returns: every agency task of the year that takes a return gets
one, as the named contact would send it (the task's JSON template, filled in), received
by ``receive_return``, the one way a return comes in.

The year's return tasks are taken in due-date order; by their place in it, most arrive
one to three working days before they are due, one in six arrives one to four working
days late, one in seventeen never arrives (left overdue), and one is rejected (its first
table left empty) and then corrected two working days later, on time. What an accepted
return shows becomes findings and, for a Section 11 self-assessment, actions, as for any
return; those actions are followed like every other (``learning_step.follow_actions``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from qaframework.demo.context import Demo, DemoError
from qaframework.demo.learning_step import follow_actions
from qaframework.demo.returns_fill import filled_return
from qaframework.framework.return_types import DatasetType
from qaframework.persistence.learning_tables import ImprovementAction
from qaframework.persistence.returns import find_return_task, receive_return
from qaframework.persistence.tables import Occurrence, Task
from qaframework.returns.validation import covered_quarter, dataset_rows_expected, task_reference

LATE_EVERY, LATE_AT = 6, 4
MISSING_EVERY, MISSING_AT = 17, 8
#: The first on-time return at or after this place is rejected, then corrected.
REJECTED_FROM = 2


def outcome(place: int) -> str:
    """``on-time``, ``late`` or ``missing``, by the task's place in the year.

    >>> [outcome(p) for p in (0, 4, 8, 10, 25)]
    ['on-time', 'late', 'missing', 'late', 'missing']
    """
    if place % MISSING_EVERY == MISSING_AT:
        return "missing"
    if place % LATE_EVERY == LATE_AT:
        return "late"
    return "on-time"


def return_tasks(demo: Demo) -> list[tuple[str, str, date, date]]:
    """The year's agency tasks that a return answers and that owe something: (occurrence
    key, agency, window start, due), by due date. A dataset task of an agency that
    provides none of the measures in that period owes nothing and is left alone."""
    framework = demo.framework
    rows = demo.session.execute(
        select(Occurrence.key, Occurrence.activity, Task.assignee_key, Occurrence.window_start, Task.due)
        .join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Occurrence.financial_year == demo.fy.start_year, Occurrence.kind == "activity", Task.assignee_kind == "agency",
               Task.due.is_not(None))  # type: ignore[union-attr]
        .order_by(Task.due, Occurrence.key, Task.assignee_key)
    ).all()
    found = []
    for key, activity, agency, start, due in rows:
        rt = framework.return_type_for(activity)
        if rt is None or agency not in framework.agencies:
            continue
        if isinstance(rt[1], DatasetType) and not dataset_rows_expected(rt[1], agency, framework.agencies[agency].type, start):
            continue
        found.append((key, agency, start, due))
    return found


def schedule_returns(demo: Demo) -> None:
    rejected = False
    for place, (key, agency, start, due) in enumerate(return_tasks(demo)):
        reference = task_reference(key, agency)
        opened = demo.walk.working(start)
        kind = outcome(place)
        if kind == "missing":
            demo.note("returns missing")
            continue
        if kind == "late":
            day = demo.walk.ahead(due, 1 + place % 4)
        else:
            day = max(opened, demo.walk.back(due, 1 + place % 3))
        if kind == "on-time" and not rejected and place >= REJECTED_FROM and demo.walk.back(day, 2) >= opened:
            rejected = True
            first = demo.walk.back(day, 2)
            demo.walk.at(first, lambda today, r=reference, p=place: send(demo, r, p, today, broken=True))  # type: ignore[misc]
        demo.walk.at(day, lambda today, r=reference, p=place: send(demo, r, p, today))  # type: ignore[misc]
    if not rejected:
        raise DemoError(f"{demo.framework.source.name} plans no return with room for a correction in {demo.fy}")


def send(demo: Demo, reference: str, place: int, today: date, *, broken: bool = False) -> None:
    """Fill in the task's template and receive it today (at ten in the morning)."""
    framework = demo.framework
    task = find_return_task(session=demo.session, framework=framework, reference=reference)
    rt_key, rt = framework.return_type_for(task.activity)  # type: ignore[misc]
    _, quarter = covered_quarter(task.window_start)
    data = filled_return(rt_key, rt, task, framework.agencies[task.agency_key].type, index=place, quarter=quarter, received=today, broken=broken)
    stored = receive_return(session=demo.session, framework=framework, data=data, filename=f"{reference.replace('/', '-')}.json",
                            source="cli", actor=demo.actor, received_at=demo.at_ten(today), file_format="json")
    if stored.status != ("rejected" if broken else "accepted"):
        problem = stored.problems[0] if stored.problems else {}
        raise DemoError(f"the demonstration's return for {reference} was {stored.status}, not as intended: "
                        f"{problem.get('where', '')} {problem.get('expected', '')}".strip())
    demo.note("returns rejected" if broken else "returns accepted")
    if not broken:
        derived = demo.session.execute(select(ImprovementAction.reference).where(ImprovementAction.submission_id == stored.id)
                                       .order_by(ImprovementAction.number)).scalars().all()
        follow_actions(demo, derived)
