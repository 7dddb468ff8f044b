"""The reminder calendar of one task, from the framework's reminder policy.

Pure dates in, dates out. Stages are named so that the outbox can hold one row per
task, stage and recipient:

- ``opened``: the day the task opened;
- ``due-in-N``: N working days before the due date;
- ``due-today``;
- ``overdue-N``: N working days after the due date (then every ``repeat_every``);
- ``escalation``: overdue by ``escalate_after`` working days, to the chairs.

A stage that would fall on a weekend or bank holiday goes on the working day before.
"""

from __future__ import annotations

from datetime import date

from qaframework.framework.model import ReminderPolicy
from qaframework.working_days import WorkingDayCalendar

ESCALATION = "escalation"


def reminder_stages(policy: ReminderPolicy, opened_on: date | None, due: date, wd: WorkingDayCalendar) -> list[tuple[str, date]]:
    """Every reminder stage of a task and its date, earliest first, capped at
    ``max_messages``.

    >>> from qaframework.framework.model import ReminderPolicy
    >>> stages = reminder_stages(ReminderPolicy(max_messages=8), date(2027, 4, 1), date(2027, 4, 30), WorkingDayCalendar())
    >>> [(s, d.isoformat()) for s, d in stages]  # doctest: +NORMALIZE_WHITESPACE
    [('opened', '2027-04-01'), ('due-in-10', '2027-04-16'), ('due-in-5', '2027-04-23'),
     ('due-in-1', '2027-04-29'), ('due-today', '2027-04-30'), ('overdue-1', '2027-05-04'),
     ('overdue-6', '2027-05-11'), ('overdue-11', '2027-05-18')]
    """
    stages: list[tuple[str, date]] = []
    if policy.on_open and opened_on is not None:
        stages.append(("opened", opened_on))
    for days in sorted(policy.before_due, reverse=True):
        stages.append((f"due-in-{days}", wd.add_working_days(due, -days)))
    if policy.on_due:
        stages.append(("due-today", due))
    after = sorted(policy.after_due)
    for days in after:
        stages.append((f"overdue-{days}", wd.add_working_days(due, days)))
    if policy.repeat_every and after:
        days = after[-1] + policy.repeat_every
        while len(stages) < policy.max_messages + len(policy.before_due) + 2:
            stages.append((f"overdue-{days}", wd.add_working_days(due, days)))
            days += policy.repeat_every
    placed = [(name, wd.on_or_before(day)) for name, day in stages]
    if opened_on is not None:
        # Nothing is "due in 10 days" before the task exists: earlier stages are dropped
        # (before the cap is applied, so a short task still gets its full allowance).
        placed = [(name, day) for name, day in placed if day >= opened_on or name == "opened"]
    placed.sort(key=lambda s: s[1])
    return placed[: policy.max_messages]


def escalation_date(policy: ReminderPolicy, due: date, wd: WorkingDayCalendar) -> date:
    """The day an unfinished task is escalated to the chairs (at the earliest, the first
    working day it is overdue).

    >>> escalation_date(ReminderPolicy(), date(2027, 4, 30), WorkingDayCalendar())  # over the May bank holiday
    datetime.date(2027, 5, 10)
    """
    return wd.on_or_before(wd.add_working_days(due, max(policy.escalate_after, 1)))
