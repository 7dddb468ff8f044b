"""Prefect tasks around findings: thin wrappers over qaframework.persistence.findings and
finding_routes, with retries for transient database errors only.

What a form's answer said never passes through a task's parameters into a log or an
artifact: the answer goes to the database, and only references, field names and
reasons (which never quote what was typed) come back.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from prefect import get_client, task
from prefect.cache_policies import NONE

from qaframework.errors import UntrustedInputError
from qaframework.framework import Framework
from qaframework.learning.finding_fields import FindingEntry
from qaframework.persistence.database import transaction
from qaframework.persistence.finding_routes import PlacingResult, place_pending
from qaframework.persistence.findings import FindingError, Subject, record_finding, resolve_subject
from qaframework.untrusted import checked_text
from tasks.retrying import retry_transient

DB = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=retry_transient, cache_policy=NONE)
#: The key prefix of the notes a form run keeps of its attempts (outcomes, never answers).
ATTEMPT_PREFIX = "finding-attempt-"


class FindingSubjectError(ValueError):
    """The occurrence or case a record-findings run was started for cannot take a finding."""


@task(name="read-finding-subject", **DB)
def read_subject(database_url: str, framework: Framework, subject: str) -> Subject:
    try:
        checked_text(subject, field="the subject")
    except UntrustedInputError as exc:
        raise FindingSubjectError(str(exc)) from None
    with transaction(database_url) as session:
        found = resolve_subject(session=session, framework=framework, subject=subject.strip())
    if isinstance(found, str):
        raise FindingSubjectError(f"the subject {found}")  # the reason names no typed text
    return found


def form_key(flow_run_id: UUID, attempt: int) -> str:
    """The natural key of the finding a form run's attempt records: a replayed run finds it."""
    return f"form:{flow_run_id}:{attempt}"


@task(name="record-finding", **DB)
def record_typed(database_url: str, framework: Framework, subject: str, typed: dict[str, Any], recorded_on: date, today: date,
                 actor: str, key: str) -> dict[str, object]:
    """Record a finding typed in the form (``key`` its natural key, see :func:`form_key`):
    its reference (the one recorded before, if the key has one), or the problems (field: reason)."""
    entry = FindingEntry(subject, typed.get("title"), typed.get("summary"), typed.get("kind"), typed.get("theme"),
                         typed.get("agency"), typed.get("likelihood"), typed.get("impact"))
    try:
        with transaction(database_url) as session:
            finding = record_finding(session=session, framework=framework, entry=entry, recorded_on=recorded_on, source="form", actor=actor,
                                     today=today, derivation_key=key)
            return {"reference": finding.reference, "recorded_on": finding.recorded_on.isoformat()}
    except FindingError as exc:
        return {"problems": [f"{field}: {reason}" for _, field, reason in exc.problems]}


@task(name="place-pending-findings", **DB)
def place_pending_findings(database_url: str, framework: Framework, on: date, actor: str) -> PlacingResult:
    """Place findings whose body had no meeting planned yet (run daily, and after planning a year)."""
    with transaction(database_url) as session:
        return place_pending(session=session, framework=framework, on=on, actor=actor)


@task(name="note-finding-attempt", cache_policy=NONE, retries=2, retry_delay_seconds=5)
def note_attempt(flow_run_id: UUID, attempt: int, outcome: dict[str, object]) -> None:
    """Keep, in the run, what an attempt came to (a reference or reasons, never the answer),
    so a resumed run knows which form it is at."""
    with get_client(sync_client=True) as client:
        client.create_flow_run_input(flow_run_id=flow_run_id, key=f"{ATTEMPT_PREFIX}{attempt}", value=json.dumps(outcome))


@task(name="read-finding-attempts", cache_policy=NONE, retries=2, retry_delay_seconds=5)
def read_attempts(flow_run_id: UUID) -> list[dict[str, object]]:
    with get_client(sync_client=True) as client:
        found = client.filter_flow_run_input(flow_run_id=flow_run_id, key_prefix=ATTEMPT_PREFIX, limit=100, exclude_keys=set())
    notes = {int(i.key.removeprefix(ATTEMPT_PREFIX)): i.value for i in found}
    return [json.loads(v) if isinstance(v, str) else v for _, v in sorted(notes.items())]
