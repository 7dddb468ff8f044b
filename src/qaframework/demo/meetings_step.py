"""The demonstration's meetings, their papers, and the work no return answers.

Meetings: every planned meeting of the year is recorded through ``record_meeting`` on
its day, held with most of the roster's agencies present (each meeting misses a
different few), one or two decisions and, at every third, an action agreed; one meeting
(the third of the body with most meetings) is recorded as cancelled. For the top body's
last meeting of the year, its papers are built (``build_papers``: the exception reports
of the bodies reporting to it and its pack, as HTML, PDF and Word) on the day they were
due, from the record as it stood then; other meetings' papers are a ``qaf papers`` away
(rendering every meeting's would take a minute, not seconds).

Tasks: every body or agency task of a planned activity that no return, action or review
stage finishes is marked done (``complete_task``) one to three working days before it is
due, except one in eight, left to go overdue.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from qaframework.deadlines import papers_due
from qaframework.demo.context import Demo
from qaframework.demo.learning_step import follow_actions
from qaframework.demo.texts import ACTION_TEXTS, DECISIONS, TASK_NOTE, pick
from qaframework.papers.building import build_papers
from qaframework.persistence.completion import complete_task, finished_elsewhere, find_task
from qaframework.persistence.meeting_minutes import AgreedAction
from qaframework.persistence.meetings import record_meeting
from qaframework.persistence.tables import Occurrence, Task
from qaframework.returns.validation import task_reference

#: Every how many agencies on the roster one is absent from a meeting.
ABSENT_EVERY = 4
AGREED_EVERY = 3
CANCELLED = 2  # the third meeting (counting from 0) of the body with most meetings
UNDONE_EVERY, UNDONE_AT = 8, 5


def schedule_meetings(demo: Demo, papers: bool = True) -> None:
    """Schedule the year's meetings and, with ``papers``, the papers of the top body's last one."""
    top = demo.framework.role("top_body")
    meetings = demo.session.execute(
        select(Occurrence.activity, Occurrence.window_start).where(Occurrence.financial_year == demo.fy.start_year, Occurrence.kind == "meeting")
        .order_by(Occurrence.window_start, Occurrence.key)
    ).all()
    by_body: dict[str, list[date]] = {}
    for body, day in meetings:
        by_body.setdefault(body, []).append(day)
    busiest = max(sorted(by_body), key=lambda b: len(by_body[b]))
    for n, (body, day) in enumerate(meetings):
        if body == busiest and by_body[body].index(day) == CANCELLED:
            demo.walk.at(day, lambda today, b=body, d=day: _cancel(demo, b, d, today))  # type: ignore[misc]
            continue
        if papers and body == top and day == by_body[body][-1]:
            due = papers_due(demo.framework, body, day, demo.walk.calendar)
            demo.walk.at(due, lambda today, b=body, d=day: _papers(demo, b, d, today))  # type: ignore[misc]
        demo.walk.at(day, lambda today, b=body, d=day, n=n: _held(demo, b, d, n, today))  # type: ignore[misc]


def _attended(demo: Demo, n: int) -> list[str]:
    return [a for i, a in enumerate(demo.agencies) if (i + n) % ABSENT_EVERY != 0]


def _held(demo: Demo, body: str, day: date, n: int, today: date) -> None:
    decisions = [pick(DECISIONS, n)] + ([pick(DECISIONS, n + 1)] if n % 2 else [])
    actions = []
    if n % AGREED_EVERY == 1:
        owner = demo.framework.role("business_unit") if n % 2 else demo.agencies[n % len(demo.agencies)]
        actions.append(AgreedAction(pick(ACTION_TEXTS, n), owner, demo.walk.ahead(today, 25)))
    recorded = record_meeting(session=demo.session, framework=demo.framework, body=body, meeting_day=day, held=True, today=today,
                              actor=demo.actor, held_on=today, attended=_attended(demo, n), decisions=decisions, actions=actions)
    demo.note("meetings held")
    follow_actions(demo, recorded.actions_added)


def _cancel(demo: Demo, body: str, day: date, today: date) -> None:
    record_meeting(session=demo.session, framework=demo.framework, body=body, meeting_day=day, held=False, today=today, actor=demo.actor)
    demo.note("meetings cancelled")


def _papers(demo: Demo, body: str, day: date, today: date) -> None:
    built = build_papers(session=demo.session, framework=demo.framework, data_dir=demo.data_dir, body=body, day=day, as_of=today,
                         actor=demo.actor)
    demo.note("papers", built.built)


def schedule_tasks(demo: Demo) -> None:
    """Schedule the completion of the year's plain tasks (see the module's docstring)."""
    rows = demo.session.execute(
        select(Occurrence.key, Task.assignee_key, Occurrence.window_start, Task.due)
        .join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
        .where(Occurrence.financial_year == demo.fy.start_year, Occurrence.kind == "activity", Task.due.is_not(None))  # type: ignore[union-attr]
        .order_by(Task.due, Occurrence.key, Task.assignee_key)
    ).all()
    place = 0
    for key, assignee, start, due in rows:
        reference = task_reference(key, assignee)
        if finished_elsewhere(session=demo.session, framework=demo.framework, line=find_task(session=demo.session, reference=reference)):
            continue
        place += 1
        if place % UNDONE_EVERY == UNDONE_AT:
            demo.note("tasks left undone")
            continue
        day = max(demo.walk.working(start), demo.walk.back(due, 1 + place % 3))
        demo.walk.at(day, lambda today, r=reference: _done(demo, r, today))  # type: ignore[misc]


def _done(demo: Demo, reference: str, today: date) -> None:
    complete_task(session=demo.session, framework=demo.framework, reference=reference, done_on=today, today=today, actor=demo.actor,
                  note=TASK_NOTE)
    demo.note("tasks done")
