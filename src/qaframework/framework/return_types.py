"""Return types: what partner agencies send back for an activity, defined with the framework.

Partners commit to providing safeguarding data and audit evidence through a named
individual (section 4.2 of the framework). Each return type names the activities whose
tasks it answers and what it asks for: the Section 11 domains and their standards, the
survey themes, the school standards, the case-audit domains and grades, or the dataset's
measures (section 8). The *shape* of each kind of return is fixed in code
(:mod:`qaframework.returns.content`); its *content* is the partnership's data, here.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from qaframework.framework.base import Key, Strict

#: How a Section 11 standard is rated, and the colour the dashboard shows it in.
S11_RATINGS: dict[str, str] = {"Fully met": "Green", "Partially met": "Amber", "Not met": "Red"}
#: How a school meets a Section 175/157 standard.
SCHOOL_COMPLIANCE: tuple[str, ...] = ("Compliant", "Partially compliant", "Not compliant")
MEASURE_UNITS: dict[str, str] = {
    "count": "a whole number, 0 or more",
    "percent": "a percentage from 0 to 100",
    "days": "a number of days, 0 or more",
    "rate-per-10000": "a rate per 10,000 children, 0 or more",
}


class _ReturnTypeBase(Strict):
    title: str = Field(min_length=1)
    #: The activities whose agency tasks this return answers.
    activities: list[Key] = Field(min_length=1)
    #: Guidance printed on the template's first sheet.
    guidance: str = ""


class S11Domain(Strict):
    name: str = Field(min_length=1)
    #: Standard key -> the standard as agencies read it.
    standards: dict[Key, str] = Field(min_length=1)


class S11SelfAssessmentType(_ReturnTypeBase):
    """Each standard of each domain rated Fully met / Partially met / Not met, with
    evidence, and actions (what, owner, due date) for what is not fully met."""

    kind: Literal["s11-self-assessment"]
    domains: dict[Key, S11Domain] = Field(min_length=1)


class SurveyResultsType(_ReturnTypeBase):
    """Aggregated results per theme (practitioner survey, peer review workshops)."""

    kind: Literal["survey-results"]
    themes: dict[Key, str] = Field(min_length=1)


class SchoolAuditType(_ReturnTypeBase):
    """Per school (by its URN), compliance with each Section 175/157 standard."""

    kind: Literal["school-audit"]
    standards: dict[Key, str] = Field(min_length=1)


class CaseAuditType(_ReturnTypeBase):
    """Per case audited (a pseudonymous case number only): a grade per domain, learning
    themes and actions."""

    kind: Literal["case-audit"]
    domains: dict[Key, str] = Field(min_length=1)
    #: The theme (a key of the framework's ``themes``) a domain's findings are filed under;
    #: a domain not listed goes under the theme of its key or name, else the first theme.
    domain_themes: dict[Key, Key] = Field(default_factory=dict)
    grades: list[str] = Field(default_factory=lambda: ["Outstanding", "Good", "Requires improvement", "Inadequate"], min_length=2)
    #: What a case number must look like: the partnership's pseudonymous audit numbers,
    #: never a name, date of birth or NHS number.
    case_number_pattern: str = r"^[A-Z]{2,6}-[0-9]{4}-[0-9]{2,4}$"
    case_number_example: str = "MAA-2027-017"

    @field_validator("case_number_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression ({exc})") from None
        return value


class MeasureAlert(Strict):
    """A threshold that makes a finding: a value above ``above`` (or below ``below``) in
    an accepted dataset return is an area for improvement under ``theme``."""

    above: float | None = None
    below: float | None = None
    theme: Key

    @model_validator(mode="after")
    def _one_threshold(self) -> "MeasureAlert":
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        return self


class Measure(Strict):
    """One dataset measure (section 8): what it is, in what unit, for what period, and
    who provides it (agency keys or types from the roster)."""

    name: str = Field(min_length=1)
    group: Key
    unit: Literal["count", "percent", "days", "rate-per-10000"]
    period: Literal["month", "quarter", "year"]
    provided_by: list[Key] = Field(min_length=1)
    #: A threshold whose crossing is recorded as a finding.
    alert: MeasureAlert | None = None


class DatasetType(_ReturnTypeBase):
    """Values per period of the measures an agency provides (section 8: Core 1-4 and
    Priority 1-3). A return covers the quarter before the one its window opens in."""

    kind: Literal["dataset"]
    groups: dict[Key, str] = Field(min_length=1)
    measures: dict[Key, Measure] = Field(min_length=1)


ReturnType = Annotated[
    Union[S11SelfAssessmentType, SurveyResultsType, SchoolAuditType, CaseAuditType, DatasetType],
    Field(discriminator="kind"),
]
RETURN_KINDS: tuple[str, ...] = ("s11-self-assessment", "survey-results", "school-audit", "case-audit", "dataset")
