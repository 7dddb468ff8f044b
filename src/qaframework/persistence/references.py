"""References numbered per financial year: ``F-2027-0001`` for findings, ``A-2027-0001``
for actions.

The next number of a year is the year's highest plus one, taken while holding a lock
that serialises numbering within the year, so two processes recording at once never take
the same number and no number is skipped:

- on PostgreSQL, a transaction-scoped advisory lock (``pg_advisory_xact_lock``) on the
  caller's ``lock_key`` (one key per prefix and year);
- on SQLite, the database's write lock: ``BEGIN IMMEDIATE`` if the transaction has not
  written yet (SQLite's driver starts a transaction only at the first write, and reads
  before it see no snapshot), so every read after it sees every committed number.

Either lock is held until the caller's transaction ends. Use :func:`insert_numbered` to
allocate and insert in one go (it retries on a clash with a writer that took no lock);
or call :func:`allocate_reference`, insert inside ``session.begin_nested()`` and retry on
``IntegrityError`` yourself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from qaframework.errors import QAFrameworkError

M = TypeVar("M", bound=SQLModel)

#: Lock keys: one range per kind of reference, plus the financial year.
FINDING_LOCK = 0x46490000
ACTION_LOCK = 0x41430000


def format_reference(prefix: str, financial_year: int, number: int, digits: int = 4) -> str:
    """
    >>> format_reference("F", 2027, 1), format_reference("A", 2028, 12345)
    ('F-2027-0001', 'A-2028-12345')
    """
    return f"{prefix}-{financial_year}-{number:0{digits}d}"


def hold_numbering_lock(*, session: Session, lock_key: int) -> None:
    """Serialise numbering until this transaction ends (see the module's docstring)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
    elif dialect == "sqlite":
        connection = session.connection()
        if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def allocate_reference(*, session: Session, model: type[SQLModel], prefix: str, financial_year: int, lock_key: int) -> tuple[str, int]:
    """The next reference of ``model`` in ``financial_year`` and its number, e.g.
    ``("F-2027-0001", 1)``. ``model`` has ``financial_year`` and ``number`` columns;
    ``lock_key`` is the kind's base key (:data:`FINDING_LOCK`), the year is added to it."""
    hold_numbering_lock(session=session, lock_key=lock_key + financial_year)
    highest = session.execute(
        select(func.max(model.number)).where(model.financial_year == financial_year)  # type: ignore[attr-defined]
    ).scalar()
    number = (highest or 0) + 1
    return format_reference(prefix, financial_year, number), number


def insert_numbered(
    *, session: Session, model: type[M], prefix: str, financial_year: int, lock_key: int,
    build: Callable[[str, int], M], attempts: int = 10,
) -> M:
    """Allocate the next reference and insert ``build(reference, number)``; retries with
    the next number if another writer took it. Returns the inserted row (flushed)."""
    for _ in range(attempts):
        reference, number = allocate_reference(session=session, model=model, prefix=prefix, financial_year=financial_year, lock_key=lock_key)
        row = build(reference, number)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return row
    raise QAFrameworkError(f"could not allocate a {prefix}- reference in {financial_year}: too many recorded at once, try again")
