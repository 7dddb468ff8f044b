"""Run watermarks: the last day a scheduled job has fully processed.

A watermark only moves forward, even when two runs finish out of order.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from qaframework.persistence.tables import RunWatermark, utc_now


def read_watermark(*, session: Session, job: str) -> date | None:
    return session.execute(select(RunWatermark.processed_through).where(RunWatermark.job == job)).scalar_one_or_none()


def advance_watermark(*, session: Session, job: str, through: date) -> None:
    """Record that ``job`` has processed everything up to and including ``through``."""
    table = RunWatermark.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(job=job, processed_through=through, updated_at=utc_now())
    statement = statement.on_conflict_do_update(
        index_elements=["job"],
        set_={"processed_through": statement.excluded.processed_through, "updated_at": statement.excluded.updated_at},
        where=table.c.processed_through < statement.excluded.processed_through,
    )
    session.execute(statement)
