"""Receiving partners' returns: match the task, validate, keep every version, never lose one.

:func:`receive_return` is the one way a return comes in, whatever carried it (the
Prefect UI form, ``qaf returns import``, the inbox sweep). In one transaction it reads the
file, finds the task the About sheet names, checks it, and stores a ``ReturnSubmission``:

- accepted: the task is marked submitted (on time or late: the day it arrived in London
  against the due date); a resubmission becomes the next version and the earlier stay;
- rejected: stored with its reasons and the original file, and a notice to the agency's
  named contact is queued. Nothing a partner sent is ever dropped: a file that breaks
  the checking itself (a fault of ours) is stored as rejected, saying so, and only a
  failure to store it at all raises (:class:`ReturnNotStoredError`).

Receiving the same content for the same task again (a re-run, a second sweep of the
inbox, two sweeps at once) finds the row already there and adds nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlmodel import Session

from qaframework.errors import QAFrameworkError, UntrustedInputError, excerpt
from qaframework.framework import Framework
from qaframework.occurrence_kinds import ACTION
from qaframework.persistence.repository import audit
from qaframework.persistence.tables import Occurrence, ReturnSubmission, Task, utc_now
from qaframework.returns.documents import Document, read_document
from qaframework.returns.problems import Problems, ReturnFileUnreadable
from qaframework.returns.documents import MAX_BYTES
from qaframework.returns.validation import ReturnTask, check_about, check_identity, split_task_reference, task_reference, validate_tables
from qaframework.untrusted import checked_text, parse_database_id, storable_name

#: Task statuses a return can still be accepted for.
RECEIVING = ("planned", "open", "overdue", "submitted")


class ReturnTaskError(QAFrameworkError):
    """A task named for a template or a form does not exist or takes no return.

    ``reason`` says why without the reference: it is what a rejected return is told, and
    reasons never quote what was typed (the task cell of an About sheet may hold anything).
    """

    def __init__(self, reference: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"task {excerpt(reference)}: {reason}")


class ReturnNotStoredError(QAFrameworkError):
    """A return could not be stored at all (the database refused the write): nothing of
    it was kept, so it must be received again."""


#: Failures that are the database's for a moment, not the file's: they are raised (and
#: retried by the flows), never stored as a rejection.
TRANSIENT = (OperationalError, DisconnectionError, ConnectionError, TimeoutError)


@dataclass(frozen=True)
class StoredSubmission:
    id: int
    status: str  # accepted | rejected
    version: int
    task_reference: str | None
    agency_key: str | None
    late: bool
    problems: list[dict[str, str]]
    duplicate: bool  # this content had been received for this task already


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _task_rows(session: Session, reference: str):  # type: ignore[no-untyped-def]
    statement = select(Task, Occurrence).join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
    task_id = parse_database_id(reference)
    if task_id is not None:
        return session.execute(statement.where(Task.id == task_id)).first()
    occurrence_key, assignee = split_task_reference(reference)
    return session.execute(statement.where(Occurrence.key == occurrence_key, Task.assignee_key == assignee, Task.assignee_kind == "agency")).first()


def as_return_task(task: Task, occurrence: Occurrence) -> ReturnTask:
    return ReturnTask(
        task_id=task.id, reference=task_reference(occurrence.key, task.assignee_key), agency_key=task.assignee_key,  # type: ignore[arg-type]
        activity=occurrence.activity, title=occurrence.title, financial_year=occurrence.financial_year,
        period=occurrence.period, window_start=occurrence.window_start, due=task.due, status=task.status,
    )


def agency_return_tasks(*, session: Session, tasks: Iterable[tuple[str, str]]) -> dict[str, ReturnTask]:
    """The agency tasks named by (occurrence key, agency key), by task reference; a task
    not found is left out. Whether a task takes a return is the caller's check. Found by
    the occurrences' keys and the agencies' (both indexed), 400 of each to a query, within
    every database's limit on bound values: a digest's are one query."""
    wanted = set(tasks)
    keys, agencies = sorted({key for key, _ in wanted}), sorted({agency for _, agency in wanted})
    found: dict[str, ReturnTask] = {}
    for some_keys, some_agencies in ((keys[k : k + 400], agencies[a : a + 400]) for k in range(0, len(keys), 400) for a in range(0, len(agencies), 400)):
        rows = session.execute(
            select(Task, Occurrence).join(Occurrence, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
            .where(Occurrence.key.in_(some_keys), Task.assignee_kind == "agency", Task.assignee_key.in_(some_agencies))  # type: ignore[attr-defined]
        ).all()
        found.update((t.reference, t) for t in (as_return_task(task, occurrence) for task, occurrence in rows
                                                 if (occurrence.key, task.assignee_key) in wanted))
    return found


def find_return_task(*, session: Session, framework: Framework, reference: str) -> ReturnTask:
    """The agency task ``reference`` names (``multi-agency-audit/2027-04/avon-somerset-police``
    or a task id), which must take a return."""
    try:
        checked_text(reference, field="")
    except UntrustedInputError as exc:
        raise ReturnTaskError(reference, f"the reference {exc.reason}") from None
    found = _task_rows(session, reference.strip())
    if found is None:
        raise ReturnTaskError(reference, "no agency task has this reference: see qaf returns status or qaf tasks for task references")
    task, occurrence = found
    if occurrence.kind == ACTION:
        raise ReturnTaskError(reference, "the task is an improvement action's: it is finished with qaf actions done, not a return")
    if task.assignee_kind != "agency":
        raise ReturnTaskError(reference, f"the task is held by the body {task.assignee_key}: returns come from partner agencies")
    if framework.return_type_for(occurrence.activity) is None:
        raise ReturnTaskError(reference, f"the activity {occurrence.activity} takes no return in {framework.source.name}: add it to a return type's activities")
    return as_return_task(task, occurrence)


def _learn_from(session: Session, framework: Framework, submission_id: int, reference: str, actor: str) -> None:
    """What an accepted return shows becomes findings (and, for a Section 11
    self-assessment, actions), in the same transaction. A fault there never loses the
    return: it is rolled back to a savepoint and recorded in the audit log."""
    from qaframework.persistence.findings import derive_findings
    from qaframework.persistence.s11_actions import derive_actions

    try:
        with session.begin_nested():
            derive_findings(session=session, framework=framework, submission_id=submission_id, actor=actor)
            derive_actions(session=session, framework=framework, submission_id=submission_id, actor=actor)
    except TRANSIENT:
        raise
    except Exception as exc:  # noqa: BLE001 - the return is kept whatever the derivation does
        audit(session=session, actor=actor, action="derivation-failed", subject=reference,
              detail={"submission": submission_id, "fault": type(exc).__name__})


def receive_return(
    *,
    session: Session,
    framework: Framework,
    data: bytes,
    filename: str,
    source: str,
    actor: str,
    received_at: datetime | None = None,
    agency_hint: str | None = None,
    file_format: str | None = None,
    size: int | None = None,
) -> StoredSubmission:
    """Read, match, check and store one return; see the module's docstring.

    ``size`` is the file's size when ``data`` holds only its first bytes (a file over
    the size limit is read no further, and refused). Whatever goes wrong while checking,
    the file is stored as rejected; a failure to store it raises ReturnNotStoredError
    (or, for a database that is unreachable for a moment, the database's own error).
    """
    received_at = received_at or utc_now()
    filename = storable_name(filename)  # names may hold bytes that were not UTF-8, or anything
    try:
        # A savepoint: a query the checking broke (PostgreSQL then refuses the rest of
        # the transaction) is rolled back, and the rejection is still stored.
        with session.begin_nested():
            outcome = _examine(session, framework, data, filename, agency_hint, size)
    except TRANSIENT:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever broke the checking, the file is kept
        problems = Problems()
        problems.add("", f"could not be checked because of a fault in qaframework ({type(exc).__name__}): the file is kept, "
                         "and the business unit will look into it; you need not send it again unless asked")
        agency = agency_hint if agency_hint in framework.agencies else None
        outcome = _Outcome(problems, None, agency, None, {}, None)
    status = "rejected" if outcome.problems else "accepted"
    try:
        return _store(
            session=session, framework=framework, task=outcome.task, agency=outcome.agency, rt_key=outcome.rt_key, status=status,
            payload=outcome.payload if status == "accepted" else {}, reasons=outcome.problems.as_list(), data=data, filename=filename,
            source=source, file_format=file_format or outcome.format or filename.rpartition(".")[2][:8].lower(),
            actor=actor, received_at=received_at, size=len(data) if size is None else size,
        )
    except TRANSIENT:
        raise
    except Exception as exc:
        raise ReturnNotStoredError(f"the return could not be stored ({type(exc).__name__}): nothing of it was kept") from exc


@dataclass
class _Outcome:
    problems: Problems
    task: ReturnTask | None
    agency: str | None
    rt_key: str | None
    payload: dict[str, object]
    format: str | None


def _examine(session: Session, framework: Framework, data: bytes, filename: str, agency_hint: str | None, size: int | None) -> _Outcome:
    """Read the file, find its task and check it: every problem found, nothing written."""
    problems = Problems()
    task: ReturnTask | None = None
    agency = agency_hint if agency_hint in framework.agencies else None
    rt_key: str | None = None
    payload: dict[str, object] = {}
    document: Document | None = None
    try:
        document = read_document(data, filename, size=size)
    except ReturnFileUnreadable as exc:
        problems.add(exc.problem.where, exc.problem.expected)
    if document is not None:
        about = check_about(document, problems)
        if about.get("agency") in framework.agencies:
            agency = about["agency"]
        if about.get("task"):
            try:
                task = find_return_task(session=session, framework=framework, reference=about["task"])  # type: ignore[arg-type]
            except ReturnTaskError as exc:
                problems.add(document.about["task"][1], exc.reason)
        if task is None and about.get("agency") and about["agency"] not in framework.agencies:
            # With the task known, check_identity says which agency is expected instead.
            problems.add(document.about["agency"][1], f"is not an agency of the partnership: expected one of {', '.join(sorted(framework.agencies))}")
        if task is not None:
            agency = task.agency_key
            rt_key, rt = framework.return_type_for(task.activity)  # type: ignore[misc]
            if task.status not in RECEIVING:
                problems.add(document.about["task"][1], f"task {task.reference} is {task.status}: nothing is owed for it; ask the business unit")
            check_identity(about, document, rt_key, task, problems)
            agency_type = framework.agencies[task.agency_key].type if task.agency_key in framework.agencies else ""
            tables = validate_tables(rt, task, agency_type, document, problems)
            payload = {"return_type": rt_key, "task": task.reference, "agency": task.agency_key, "period": task.period_label, **tables}
    named = task.agency_key if task is not None else (agency if document is not None and agency != agency_hint else None)
    if agency_hint is not None and named is not None and named != agency_hint:
        # Where the file came from (an agency's inbox folder, --agency) wins over what it says.
        where = document.about["task" if task is not None else "agency"][1] if document is not None else ""
        problems.add(where, f"names the agency {named}, but the file came from {agency_hint}: send it from the right agency, or correct the About sheet")
        task, agency, rt_key, payload = None, agency_hint, None, {}
    return _Outcome(problems, task, agency, rt_key, payload, document.format if document else None)


def _duplicate(session: Session, framework: Framework, existing: ReturnSubmission, task: ReturnTask | None, actor: str) -> StoredSubmission:
    """The submission already stored for the same file. Its findings and actions are
    derived again (idempotent), so a derivation that failed the first time is made good."""
    if existing.status == "accepted" and task is not None:
        _learn_from(session, framework, existing.id, task.reference, actor)  # type: ignore[arg-type]
    return StoredSubmission(existing.id, existing.status, existing.version, task.reference if task else None,  # type: ignore[arg-type]
                            existing.agency_key, existing.late, json.loads(existing.reasons or "[]"), duplicate=True)


def _store(*, session: Session, framework: Framework, task: ReturnTask | None, agency: str | None, rt_key: str | None,
           status: str, payload: dict, reasons: list[dict[str, str]], data: bytes, filename: str, source: str,
           file_format: str, actor: str, received_at: datetime, size: int) -> StoredSubmission:
    digest = fingerprint(data)
    zone = ZoneInfo(framework.document.partnership.timezone)
    late = bool(task and task.due and received_at.astimezone(zone).date() > task.due)
    dialect = session.get_bind().dialect.name
    table = ReturnSubmission.__table__  # type: ignore[attr-defined]
    reasons_json = json.dumps(reasons)
    if task is not None:
        if dialect == "postgresql":
            # A task's versions are numbered in order: serialise numbering within the task.
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 0x52540000 + task.task_id})
        latest = session.execute(
            select(ReturnSubmission).where(ReturnSubmission.task_id == task.task_id).order_by(ReturnSubmission.version.desc()).limit(1)  # type: ignore[attr-defined]
        ).scalar_one_or_none()
        if latest is not None and (latest.fingerprint, latest.status, latest.reasons) == (digest, status, reasons_json):
            return _duplicate(session, framework, latest, task, actor)  # the same file with the same outcome: a re-run or a second sweep
        # Unique per content *after* the latest version: the same file arriving twice at once
        # is stored once, while going back to an earlier version is a new version.
        dedupe_key = f"{task.task_id}:{digest}:after-{latest.version if latest else 0}"
        version = select(func.coalesce(func.max(table.c.version), 0) + 1).where(table.c.task_id == task.task_id).scalar_subquery()
    else:
        outcome = hashlib.sha256(f"{status}{reasons_json}".encode()).hexdigest()[:16]
        dedupe_key = f"-:{agency or '-'}:{digest}:{outcome}"
        version = 0
    notify = status == "rejected"
    recipient = framework.agencies[agency].contact.email if agency in framework.agencies else None
    row = {
        "task_id": task.task_id if task else None, "agency_key": agency, "return_type": rt_key, "version": version,
        "status": status, "source": source, "file_format": file_format, "original_filename": filename[-260:],
        "fingerprint": digest, "dedupe_key": dedupe_key, "size_bytes": size,
        "original": data if size <= MAX_BYTES else None,
        "payload": json.dumps(payload, sort_keys=True) if payload else "", "reasons": reasons_json,
        "late": late, "actor": actor[:120], "received_at": received_at,
        "notice_status": ("pending" if recipient else "no-recipient") if notify else "none",
    }
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    inserted = session.execute(
        insert(table).values(**row).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id, table.c.version)
    ).first()
    if inserted is None:
        return _duplicate(session, framework, session.execute(select(ReturnSubmission).where(ReturnSubmission.dedupe_key == dedupe_key)).scalar_one(), task, actor)
    new_id, stored = inserted
    if status == "accepted" and task is not None:
        session.execute(
            update(Task).where(Task.id == task.task_id, Task.status.in_(RECEIVING))  # type: ignore[attr-defined]
            .values(status="submitted", submitted_at=func.coalesce(Task.submitted_at, received_at), updated_at=utc_now())
        )
    audit(
        session=session, actor=actor, action=f"return-{status}",
        subject=task.reference if task else f"unmatched {file_format} return",
        detail={"submission": new_id, "version": stored, "late": late, "problems": len(reasons), "source": source},
    )
    if status == "accepted" and task is not None:
        _learn_from(session, framework, new_id, task.reference, actor)
    return StoredSubmission(new_id, status, stored, task.reference if task else None, agency, late, reasons, duplicate=False)
