"""Who reports to whom, and what is in a body's remit: pure functions of the framework.

A body's remit is its own work and that of every body reporting to it, at any depth
(``reports_to``): so what is off track for the Audit subgroup is in the remit of the body
it reports to, and of the body that one reports to, up to the top body, whose remit is
everything. An activity is in a remit when one of the remit's bodies is on its routes or
holds one of its tasks.

>>> from qaframework.framework import load_framework
>>> f = load_framework()
>>> top = f.role("top_body")
>>> set(subtree(f, top)) == set(f.bodies) - {k for k in f.bodies if chain_to_top(f, k)[-1] != top}
True
>>> subtree(f, f.role("data_dashboard"))[0] == f.role("data_dashboard")
True
"""

from __future__ import annotations

from collections.abc import Iterable

from qaframework.framework import Framework


def children(framework: Framework, body: str) -> list[str]:
    """The bodies reporting to ``body``, in the framework file's order."""
    return [k for k, b in framework.bodies.items() if b.reports_to == body]


def reporting_by_exception(framework: Framework, body: str) -> list[str]:
    """The bodies that send ``body`` an exception report (``reports_by_exception``)."""
    return [k for k in children(framework, body) if framework.bodies[k].reports_by_exception]


def subtree(framework: Framework, body: str) -> list[str]:
    """``body`` and every body reporting to it, at any depth (each once, nearest first)."""
    found, queue = [body], [body]
    while queue:
        for child in children(framework, queue.pop(0)):
            if child not in found:
                found.append(child)
                queue.append(child)
    return found


def chain_to_top(framework: Framework, body: str) -> list[str]:
    """``body``, the body it reports to, and so on to a body that reports to none."""
    chain = [body]
    while (parent := framework.bodies[chain[-1]].reports_to) is not None and parent not in chain:
        chain.append(parent)
    return chain


def activity_bodies(framework: Framework, activity: str) -> set[str]:
    """The bodies an activity's findings go to (its routes) and that hold its tasks."""
    found = framework.activities.get(activity)
    if found is None:
        return set()
    return {r for r in found.routes if r in framework.bodies} | set(found.assignees.bodies)


def activity_in_remit(framework: Framework, activity: str, remit: Iterable[str]) -> bool:
    return bool(activity_bodies(framework, activity) & set(remit))
