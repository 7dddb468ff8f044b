"""The tables each kind of return is made of, and the type of every column.

One description serves every way in: the spreadsheet template's sheets and headers, the
.xlsx and .csv readers, the JSON field names and the Prefect UI form. A column marked
``info`` is printed on the template to help the reader (the wording of a standard) and
ignored on import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

_UK_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")


def _uk_or_iso_date(value: Any) -> Any:
    """Accept 30/06/2027 as well as 2027-06-30 (people in England write dates day first)."""
    if isinstance(value, str):
        match = _UK_DATE.match(value.strip())
        if match:
            day, month, year = (int(g) for g in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                raise ValueError("expected a real date: this day does not exist") from None
    return value


def _number_as_text(value: Any) -> Any:
    """A spreadsheet turns 123456 or 9434765919 typed in a cell into a number: read it as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalText = Annotated[Optional[str], Field(default=None, max_length=2000)]
Day = Annotated[date, BeforeValidator(_uk_or_iso_date)]
CaseNumber = Annotated[str, BeforeValidator(_number_as_text), StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class RowModel(BaseModel):
    """A table row: text is trimmed, numbers must be numbers, dates real dates."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RatingRow(RowModel):
    domain: ShortText
    standard: ShortText
    rating: ShortText
    evidence: Text


class CaseActionRow(RowModel):
    """An action from a multi-agency audit: what, whose (a role), by when."""

    action: Text
    owner: ShortText
    due: Day


class ActionRow(CaseActionRow):
    """An action from a Section 11 self-assessment, for a domain's standard."""

    domain: Optional[ShortText] = None
    standard: Optional[ShortText] = None


class ThemeRow(RowModel):
    theme: ShortText
    respondents: int = Field(ge=0, le=1_000_000)
    positive: int = Field(ge=0, le=1_000_000)
    findings: OptionalText = None


class SchoolRow(RowModel):
    school_urn: Annotated[str, BeforeValidator(_number_as_text), Field(pattern=r"^[0-9]{6}$")]
    school_name: ShortText
    standard: ShortText
    compliance: ShortText
    note: OptionalText = None


class GradeRow(RowModel):
    case_number: CaseNumber
    domain: ShortText
    grade: ShortText


class LearningRow(RowModel):
    case_number: Optional[CaseNumber] = None
    theme: Text


class ValueRow(RowModel):
    measure: ShortText
    period: Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, (int, float)) else v), StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    value: float = Field(allow_inf_nan=False)
    note: OptionalText = None


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    help: str
    info: bool = False  # shown on the template, ignored on import


@dataclass(frozen=True)
class TableSpec:
    """One sheet (.xlsx), section (.csv) or list field (.json) of a return."""

    field: str  # the JSON field and the content key: "ratings"
    sheet: str  # the sheet name: "Ratings"
    row_model: type[RowModel]
    columns: tuple[Column, ...]
    required: bool = True  # must have at least one row

    def data_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.info)


_ACTIONS = TableSpec(
    "actions", "Actions", ActionRow,
    (
        Column("domain", "Domain", "the domain key the action is for (optional)"),
        Column("standard", "Standard", "the standard key the action is for (optional)"),
        Column("action", "Action", "what will be done"),
        Column("owner", "Owner", "the role that owns it (a role, not a name)"),
        Column("due", "Due", "the date it is due, YYYY-MM-DD"),
    ),
    required=False,
)

LAYOUTS: dict[str, tuple[TableSpec, ...]] = {
    "s11-self-assessment": (
        TableSpec("ratings", "Ratings", RatingRow, (
            Column("domain", "Domain", "the domain key"),
            Column("standard", "Standard", "the standard key"),
            Column("wording", "Standard wording", "what the standard asks", info=True),
            Column("rating", "Rating", "Fully met, Partially met or Not met"),
            Column("evidence", "Evidence", "the evidence you hold (no names)"),
        )),
        _ACTIONS,
    ),
    "survey-results": (
        TableSpec("results", "Results", ThemeRow, (
            Column("theme", "Theme", "the theme key"),
            Column("theme_name", "Theme name", "the theme", info=True),
            Column("respondents", "Respondents", "how many practitioners answered (a whole number)"),
            Column("positive", "Positive", "how many of them answered positively"),
            Column("findings", "Findings", "the main findings (no names)"),
        )),
    ),
    "school-audit": (
        TableSpec("schools", "Schools", SchoolRow, (
            Column("school_urn", "School URN", "the school's 6-digit unique reference number"),
            Column("school_name", "School name", "the school's name"),
            Column("standard", "Standard", "the standard key"),
            Column("compliance", "Compliance", "Compliant, Partially compliant or Not compliant"),
            Column("note", "Note", "anything to add (no names of pupils or staff)"),
        )),
    ),
    "case-audit": (
        TableSpec("grades", "Grades", GradeRow, (
            Column("case_number", "Case number", "the audit's pseudonymous case number, never a name"),
            Column("domain", "Domain", "the domain key"),
            Column("grade", "Grade", "the grade given"),
        )),
        TableSpec("learning", "Learning", LearningRow, (
            Column("case_number", "Case number", "the case the learning comes from (optional)"),
            Column("theme", "Learning theme", "what was learnt (no names)"),
        ), required=False),
        TableSpec("actions", "Actions", CaseActionRow, _ACTIONS.columns[2:], required=False),
    ),
    "dataset": (
        TableSpec("values", "Values", ValueRow, (
            Column("measure", "Measure", "the measure key"),
            Column("measure_name", "Measure name", "what is measured", info=True),
            Column("unit", "Unit", "what kind of number", info=True),
            Column("period", "Period", "the period the value is for"),
            Column("value", "Value", "the value"),
            Column("note", "Note", "anything to add"),
        )),
    ),
}

#: The fields of the About sheet that identify a return.
ABOUT_FIELDS: tuple[tuple[str, str], ...] = (
    ("return_type", "the return type key"),
    ("task", "the task reference, such as multi-agency-audit/2027-04/avon-somerset-police"),
    ("agency", "the agency key"),
)
ABOUT_SHEET = "About"


def normalise_header(text: object) -> str:
    """Headers match whatever their case, spacing or underscores: "School URN" is school_urn."""
    return re.sub(r"[\s_\-]+", "_", str(text).strip().lower())
