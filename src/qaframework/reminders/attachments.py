"""The return templates a reminder carries: for each item of a digest that an agency
answers with a return, the same pre-filled workbook ``qaf returns template`` writes.

A template is made for each email (it is a few kilobytes and holds no personal data: the
agency, the task, the standards or measures to answer); within one run of the outbox,
templates with the same rows are copies of one workbook, each with its own About sheet
(:mod:`qaframework.returns.workbook_copies`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from qaframework.framework import Framework
from qaframework.occurrence_kinds import ACTION
from qaframework.persistence.outbox import DigestLine
from qaframework.persistence.returns import agency_return_tasks
from qaframework.returns.templates import template_filename, template_xlsx
from qaframework.returns.validation import ReturnTask
from qaframework.returns.workbook_copies import TemplateWorkbooks

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def takes_return(framework: Framework, line: DigestLine) -> bool:
    """Whether the item is an agency's task that a return answers (not an action's)."""
    return (line.assignee_kind == "agency" and not line.occurrence_key.startswith(f"{ACTION}/")
            and framework.return_type_for(line.activity) is not None)


def return_tasks(*, session: Session, framework: Framework, lines: Iterable[DigestLine]) -> dict[str, ReturnTask]:
    """The return task of every item that takes a return, by task reference, read in one
    query (an item whose task is gone since is left out: its reminder says so)."""
    wanted = [(line.occurrence_key, line.assignee_key) for line in lines if takes_return(framework, line)]
    return agency_return_tasks(session=session, tasks=wanted)


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    title: str  # the return type's title: "Multi-agency audit return"

    @property
    def maintype(self) -> str:
        return XLSX.split("/", 1)[0]

    @property
    def subtype(self) -> str:
        return XLSX.split("/", 1)[1]


def template_attachment(framework: Framework, task: ReturnTask, books: TemplateWorkbooks | None = None) -> Attachment:
    """The pre-filled .xlsx template of one task, as ``qaf returns template`` writes it
    (``books``: the run's workbooks, of which it may be a copy)."""
    found = framework.return_type_for(task.activity)
    if found is None:
        raise ValueError(f"the activity of task {task.reference} takes no return")
    rt_key, rt = found
    agency = framework.agencies.get(task.agency_key)
    agency_type, agency_name = (agency.type, agency.name) if agency else ("", task.agency_key)
    return Attachment(template_filename(task.reference), template_xlsx(rt_key, rt, task, agency_type, agency_name, books), rt.title)
