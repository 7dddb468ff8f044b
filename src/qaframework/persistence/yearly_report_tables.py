"""The table of the yearly report's sign-offs and its publication.

One row per financial year and step: the Independent Scrutineer's sign-off, the top
body's sign-off (each a role, never a name, the day, and the version signed), and the
publication (the day and the web address). A step is recorded once: recording it again
the same way changes nothing, and a different answer is refused.
"""

# No `from __future__ import annotations` here: SQLModel resolves column types at class
# creation (SQLModel issue #196).

from datetime import date, datetime
from typing import Optional

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from qaframework.persistence.tables import _timestamp, utc_now

#: The steps, in order: the two sign-offs (by the roles' names) and the publication.
STEPS = ("independent_scrutiny", "top_body", "published")


class YearlyReportStep(SQLModel, table=True):
    __tablename__ = "yearly_report_step"
    __table_args__ = (UniqueConstraint("financial_year", "step", name="uq_yearly_report_step"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    financial_year: int = Field(index=True)
    step: str = Field(max_length=32)  # independent_scrutiny | top_body | published
    body: str = Field(max_length=64)  # the body playing the role (the business unit for publication)
    day: date
    signed_by: Optional[str] = Field(default=None, max_length=120)  # the signer's role, never a name
    version: Optional[int] = None  # the report's version signed off
    address: Optional[str] = Field(default=None, max_length=500)  # where it was published
    actor: str = Field(max_length=120)
    created_at: datetime = _timestamp(default_factory=utc_now)  # type: ignore[assignment]
