"""Prefect tasks around review cases: thin wrappers over qaframework.persistence.cases.

They take and return references, dates and stage keys only; rationale text goes from
the UI form straight to the database and is then deleted from Prefect.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from prefect import get_client, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NONE

from qaframework.errors import UntrustedInputError, excerpt
from qaframework.framework import Framework
from qaframework.persistence.cases import CaseError, CaseView, case_view, open_case, record_stage
from qaframework.persistence.database import transaction
from qaframework.reviews.chain import CaseDates
from qaframework.untrusted import checked_text
from tasks.retrying import retry_transient

DB = dict(retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=retry_transient, cache_policy=NONE)


@task(name="open-case", **DB)
def open_or_find_case(database_url: str, framework: Framework, dates: CaseDates, run_id: str) -> str:
    with transaction(database_url) as session:
        return open_case(session=session, framework=framework, dates=dates, opened_by_run=run_id, actor="prefect:rapid-review")


def _storable(reference: str, field: str, value: str | None) -> None:
    """Text typed in the UI (a reference, a rationale) is refused before the database sees it."""
    if value is not None:
        try:
            checked_text(value, field=field)
        except UntrustedInputError as exc:
            raise CaseError(f"{excerpt(reference)}: {exc}") from None


@task(name="read-case", **DB)
def read_case(database_url: str, framework: Framework, reference: str) -> CaseView:
    _storable(reference, "the reference", reference)
    with transaction(database_url) as session:
        return case_view(session=session, framework=framework, reference=reference)


@task(name="record-stage", **DB)
def record(database_url: str, framework: Framework, reference: str, stage: str, done_on: date,
           decision: str | None, rationale: str | None, signed_by: str | None) -> CaseView:
    _storable(reference, "the rationale", rationale)
    with transaction(database_url) as session:
        return record_stage(session=session, framework=framework, reference=reference, stage=stage, done_on=done_on,
                            actor="prefect:rapid-review", decision=decision, rationale=rationale, signed_by=signed_by)


@task(name="publish-case-stages", cache_policy=NONE)
def publish_case_stages(view: CaseView) -> None:
    """The case's stages as a table in the Prefect UI: due, done, on time or late."""
    create_table_artifact(
        key=f"case-{view.reference.lower()}",
        table=[
            {"stage": s.title, "due": s.due.isoformat() if s.due else "", "done": s.done_on.isoformat() if s.done_on else "", "state": s.state}
            for s in view.stages
        ],
        description=f"Case {view.reference}: {view.status}" + (f", decision {view.decision}" if view.decision else ""),
    )


@task(name="forget-form-answer", cache_policy=NONE, retries=2, retry_delay_seconds=5)
def forget_form_answer(flow_run_id: UUID, key: str) -> None:
    """Delete a form's answer from Prefect once it is in our database (the rationale may
    describe the case). An answer already deleted (a resumed run passing again) is fine."""
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    with get_client(sync_client=True) as client:
        try:
            client.delete_flow_run_input(flow_run_id=flow_run_id, key=key)
        except ObjectNotFound:
            pass
        except PrefectHTTPStatusError as exc:
            if exc.response.status_code != 404:
                raise


@task(name="read-form-answer", cache_policy=NONE, retries=2, retry_delay_seconds=5)
def read_form_answer(flow_run_id: UUID, key: str) -> dict:
    """A form's answer as it was typed (when the form's model refused it), to be checked
    and kept like any other; never logged."""
    import json

    with get_client(sync_client=True) as client:
        value = client.read_flow_run_input(flow_run_id=flow_run_id, key=key)
    loaded = json.loads(value) if isinstance(value, str) else value
    return loaded if isinstance(loaded, dict) else {"answer": loaded}
