"""The return tasks a digest attaches templates for, read by their (occurrence, agency)
keys in one query per 400 of each: every task asked for that exists, and nothing else,
on both databases and both shipped partnerships, checked against reading each one."""

from __future__ import annotations

from sqlalchemy import select

from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.returns import agency_return_tasks, as_return_task
from qaframework.persistence.tables import Occurrence, Task
from tests.completion.conftest import plan
from tests.partnerships.conftest import partnership  # noqa: F401 - the fixture


def test_every_task_asked_for_is_found_once_more_than_400_keys_of_each_included(database_url: str, partnership: Framework) -> None:  # noqa: F811
    plan(database_url, partnership, 2027)
    plan(database_url, partnership, 2028)
    with transaction(database_url) as session:
        rows = session.execute(select(Task, Occurrence).join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
                               .where(Task.assignee_kind == "agency")).all()
        expected = {t.reference: t for t in (as_return_task(task, occurrence) for task, occurrence in rows)}
        asked = [(o.key, t.assignee_key) for t, o in rows]
        # Keys that name no task, with a real agency or a real occurrence: past 400 of each kind, the
        # made-up agencies sorted before every real one, so the real ones are in a later query.
        missing = [(f"{asked[0][0]}-gone-{n}", asked[0][1]) for n in range(450)] + [(asked[0][0], f"a-no-such-agency-{n:03}") for n in range(450)]
        bodies = session.execute(select(Occurrence.key, Task.assignee_key).join(Task, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
                                 .where(Task.assignee_kind == "body")).all()
        found = agency_return_tasks(session=session, tasks=asked + missing + [tuple(b) for b in bodies])
        assert len({key for key, _ in asked + missing}) > 400 and len({agency for _, agency in asked + missing}) > 400
        assert found == expected and len(found) == len(rows)
        some = asked[::5]
        assert agency_return_tasks(session=session, tasks=some) == {r: expected[r] for r in (f"{k}/{a}" for k, a in some)}
        assert agency_return_tasks(session=session, tasks=[]) == {}
