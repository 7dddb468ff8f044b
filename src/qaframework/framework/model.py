"""Pydantic models of a partnership's quality-assurance framework file.

The framework is data, not code: another partnership adopts the software by writing its
own file. Every model forbids unknown keys, so a misspelt setting is an error rather
than a silently ignored line.
"""

from __future__ import annotations

from datetime import time as TimeOfDay
from typing import Literal

from pydantic import Field, field_validator, model_validator

MONTHS: tuple[str, ...] = (
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
)
MonthName = Literal["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WeekdayName = Literal["monday", "tuesday", "wednesday", "thursday", "friday"]
WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday")

from qaframework.framework.base import Key, Strict
from qaframework.untrusted import EMAIL_MAX_LENGTH, EMAIL_PATTERN, excerpt
from qaframework.framework.exception_rules import ExceptionReporting
from qaframework.framework.learning import DEFAULT_THEMES, RiskMatrix
from qaframework.framework.return_types import ReturnType
from qaframework.framework.review_chain import ReviewChain
from qaframework.framework.roles import Roles
from qaframework.framework.yearly_report import YearlyReportSettings

#: How many occurrences a year each cadence has; None means "any number" or "not planned".
CADENCE_COUNTS: dict[str, int | None] = {
    "monthly": 12,
    "bi-monthly": 6,
    "quarterly": 4,
    "three-times-yearly": 3,
    "twice-yearly": 2,
    "annual": 1,
    "s11-cycle": 1,
    "named-months": None,
    "as-required": 0,
}
Cadence = Literal[
    "monthly", "bi-monthly", "quarterly", "three-times-yearly", "twice-yearly", "annual",
    "s11-cycle", "named-months", "as-required",
]


def month_number(name: str) -> int:
    """The calendar month number of a three-letter month name.

    >>> month_number("apr")
    4
    """
    return MONTHS.index(name) + 1


def fy_month_index(month: int) -> int:
    """Position of a calendar month in the financial year: April is 0, March is 11."""
    return (month - 4) % 12


class DeadlineRule(Strict):
    """A statutory or local clock: exactly one of working days, calendar days or months."""

    description: str = ""
    working_days: int | None = Field(default=None, ge=1, le=400)
    calendar_days: int | None = Field(default=None, ge=1, le=3660)
    calendar_months: int | None = Field(default=None, ge=1, le=120)

    @model_validator(mode="after")
    def _exactly_one_measure(self) -> "DeadlineRule":
        given = [n for n in ("working_days", "calendar_days", "calendar_months") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of working_days, calendar_days or calendar_months"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self


class MeetingDay(Strict):
    """Which day of the month a body meets: the nth weekday, or the last (week: -1)."""

    week: Literal[1, 2, 3, 4, -1] = 2
    weekday: WeekdayName = "tuesday"


class MeetingPattern(Strict):
    months: list[MonthName] = Field(min_length=1)
    day: MeetingDay = MeetingDay()
    time: TimeOfDay = TimeOfDay(10, 0)
    duration_minutes: int = Field(default=120, ge=15, le=600)

    @field_validator("time", mode="before")
    @classmethod
    def _time_as_text(cls, value: object) -> object:
        # YAML reads an unquoted 10:00 as the number 600 (base 60), which pydantic would
        # take as ten minutes past midnight: insist on the quoted form.
        if not isinstance(value, str):
            raise ValueError('write the time in quotes as "HH:MM", for example "10:00"')
        return value

    @field_validator("months")
    @classmethod
    def _unique_months(cls, months: list[str]) -> list[str]:
        if len(set(months)) != len(months):
            raise ValueError("each month may be listed once")
        return months


class Body(Strict):
    """A governance body (subgroup, group, Executive) or a team that holds tasks."""

    name: str
    kind: Literal["governance", "team", "scrutiny"] = "governance"
    #: What the body is for, in the framework's words (section 6).
    remit: str = ""
    #: Where the body's reminders and its chair's escalations are sent.
    email: str | None = Field(default=None, pattern=EMAIL_PATTERN, max_length=EMAIL_MAX_LENGTH)
    #: The work it oversees (section 6 "Roles / Responsibilities").
    responsibilities: list[str] = Field(default_factory=list)
    chair: str = ""
    reports_to: Key | None = None
    reports_by_exception: bool = False
    meetings: MeetingPattern | None = None
    #: Papers for a meeting are due this many working days before it (shown in feeds).
    papers_due_working_days: int = Field(default=5, ge=0, le=30)
    #: Its exception reports are numbered PREFIX + year + "/" + number (QP27/02); the
    #: default is the initials of its key.
    paper_prefix: str | None = Field(default=None, pattern=r"^[A-Z]{1,6}$")
    #: The agenda's opening items, before those drawn from the record.
    standing_items: list[str] = Field(default_factory=lambda: ["Welcome, introductions and apologies", "Minutes of the previous meeting"])


class ReminderPolicy(Strict):
    """When a task's holder is reminded, and when an overdue task is escalated.

    Counted in working days from the due date; a reminder that would fall on a weekend or
    bank holiday goes on the working day before.
    """

    on_open: bool = True
    before_due: list[int] = Field(default_factory=lambda: [10, 5, 1])
    on_due: bool = True
    after_due: list[int] = Field(default_factory=lambda: [1])
    #: Then every this many working days while the task stays overdue (0: never).
    repeat_every: int = Field(default=5, ge=0, le=60)
    #: Overdue by this many working days: the chairs of ``escalate_to`` are told.
    escalate_after: int = Field(default=5, ge=0, le=60)
    #: Bodies told of an overdue task (default: the body playing the business unit role).
    escalate_to: list[Key] | None = None
    #: At most this many reminders for one task, whatever else the policy says.
    max_messages: int = Field(default=10, ge=1, le=100)

    @field_validator("before_due", "after_due")
    @classmethod
    def _positive_unique(cls, days: list[int]) -> list[int]:
        if any(d < 1 for d in days) or len(set(days)) != len(days):
            raise ValueError("give distinct whole numbers of working days, 1 or more")
        return sorted(days)


class Output(Strict):
    """Somewhere findings are published that is not a meeting (learning bulletin, website)."""

    name: str


class Window(Strict):
    """An activity's window: from the 1st of its start month, this many whole months."""

    months: int = Field(default=1, ge=1, le=12)


class DueRule(Strict):
    """When an occurrence's work is due.

    - ``last-working-day-of-window``: the window's last day, or the working day before it.
    - ``working-days-after-start``: ``days`` working days after the window opens (day 0).
    - ``deadline-rule``: the named deadline rule applied to the day the occurrence starts
      (used for as-required activities such as rapid reviews).
    - ``none``: no due date (a meeting; an inspection whose timing the inspectorate sets).
    """

    rule: Literal["last-working-day-of-window", "working-days-after-start", "deadline-rule", "none"] = (
        "last-working-day-of-window"
    )
    days: int | None = Field(default=None, ge=1, le=260)
    name: Key | None = None

    @model_validator(mode="after")
    def _arguments_match_rule(self) -> "DueRule":
        if self.rule == "working-days-after-start" and self.days is None:
            raise ValueError("rule working-days-after-start needs days: N")
        if self.rule != "working-days-after-start" and self.days is not None:
            raise ValueError(f"days is only used with rule working-days-after-start, not {self.rule}")
        if self.rule == "deadline-rule" and self.name is None:
            raise ValueError("rule deadline-rule needs name: the key of a deadline rule")
        if self.rule != "deadline-rule" and self.name is not None:
            raise ValueError(f"name is only used with rule deadline-rule, not {self.rule}")
        return self


AGENCY_GROUPS = ("all", "section-11", "none")


class Assignees(Strict):
    """Who gets a task: agencies (all, those with a Section 11 duty, none, or a list of
    agency keys and agency types) and bodies (by key)."""

    agencies: str | list[Key] = "none"
    bodies: list[Key] = Field(default_factory=list)

    @field_validator("agencies")
    @classmethod
    def _known_group(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, str) and value not in AGENCY_GROUPS:
            raise ValueError(
                f"expected one of {', '.join(AGENCY_GROUPS)}, or a list of agency keys and types"
            )
        return value


class Activity(Strict):
    """One row of the scrutiny and assurance table (section 6), placed on the calendar (section 7)."""

    title: str = Field(min_length=1)
    description: str = ""
    responsible: list[str] = Field(default_factory=list)
    routes: list[Key] = Field(default_factory=list)
    cadence: Cadence
    months: list[MonthName] = Field(default_factory=list)
    #: For cadence s11-cycle: the year of the Section 11 cycle it runs in (1 to its length).
    s11_year: int | None = Field(default=None, ge=1, le=3)
    window: Window = Window()
    due: DueRule = DueRule()
    assignees: Assignees = Assignees()
    #: Overrides the framework's reminder policy for this activity.
    reminders: ReminderPolicy | None = None

    @model_validator(mode="after")
    def _months_fit_cadence(self) -> "Activity":
        months = self.months
        if len(set(months)) != len(months):
            raise ValueError("months: each month may be listed once")
        if self.cadence == "monthly" and not months:
            object.__setattr__(self, "months", list(MONTHS))
            months = self.months
        expected = CADENCE_COUNTS[self.cadence]
        if self.cadence == "as-required":
            if months:
                raise ValueError("an as-required activity is never planned: remove months")
        elif expected is None:
            if not months:
                raise ValueError("cadence named-months needs at least one month in months")
        elif len(months) != expected:
            raise ValueError(
                f"cadence {self.cadence} needs {expected} month{'s' if expected != 1 else ''} "
                f"in months, found {len(months)}"
            )
        if self.cadence == "quarterly":
            quarters = sorted(fy_month_index(month_number(m)) // 3 for m in months)
            if quarters != [0, 1, 2, 3]:
                raise ValueError("cadence quarterly needs one month in each quarter (Apr-Jun, Jul-Sep, Oct-Dec, Jan-Mar)")
        if self.cadence == "s11-cycle" and self.s11_year is None:
            raise ValueError("cadence s11-cycle needs s11_year: the year of the Section 11 cycle it runs in (1, 2 or 3)")
        if self.cadence != "s11-cycle" and self.s11_year is not None:
            raise ValueError("s11_year is only used with cadence s11-cycle")
        for m in months:
            last_index = fy_month_index(month_number(m)) + self.window.months - 1
            if last_index > 11:
                raise ValueError(
                    f"a {self.window.months}-month window opening in {m} runs past March: "
                    "windows must end within the financial year"
                )
        return self


class Section11Cycle(Strict):
    """The Section 11 cycle: two or three years, which financial year is year one, and
    what each year of the cycle is (its phase)."""

    year_one: int = Field(ge=2000, le=2099)
    years: Literal[2, 3] = 3
    #: The phase of each year of the cycle, by year number (1: "Agency self-assessment").
    phases: dict[int, str] = Field(default_factory=lambda: {
        1: "Agency self-assessment", 2: "Practitioner survey", 3: "Peer review workshops",
    })


class SeriousIncidentSettings(Strict):
    """Which date starts the National Panel notification clock: partnerships differ."""

    clock_starts_at: Literal["awareness", "incident"] = "awareness"


class BankHolidayRegion(Strict):
    """Whose bank holidays are not working days: a country and subdivision known to the
    ``holidays`` package (GB and ENG for England & Wales)."""

    country: str = "GB"
    subdivision: str = "ENG"

    @model_validator(mode="after")
    def _known_region(self) -> "BankHolidayRegion":
        import holidays

        supported = holidays.list_supported_countries()
        if self.country not in supported:
            raise ValueError(f"unknown country {excerpt(self.country)}: use an ISO code the holidays package knows, such as GB")
        if self.subdivision not in supported[self.country]:
            raise ValueError(
                f"unknown subdivision {excerpt(self.subdivision)} of {self.country}: expected one of {', '.join(supported[self.country])}"
            )
        return self


class Partnership(Strict):
    key: Key
    name: str
    short_name: str = Field(default="", description="How the partnership is known in calendar names, e.g. SSCP")
    timezone: str = "Europe/London"
    bank_holidays: BankHolidayRegion = BankHolidayRegion()
    roster: str = Field(description="Path of the agency roster file, relative to this file")
    #: An invented partnership shipped as an example: never live data.
    example_data: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {excerpt(value)}: use an IANA name such as Europe/London") from None
        return value


class Contact(Strict):
    name: str
    email: str = Field(pattern=EMAIL_PATTERN, max_length=EMAIL_MAX_LENGTH)


class Agency(Strict):
    """A partner agency and its named individual for returns (section 4.2)."""

    name: str
    type: Key
    contact: Contact
    section_11_duty: bool = False
    #: Bodies whose meetings this agency attends (their meetings appear in its feed).
    attends: list[Key] = Field(default_factory=list)


class Roster(Strict):
    """The partner agencies of a partnership (a separate file: it changes more often)."""

    example_data: bool = False
    agencies: dict[Key, Agency] = Field(min_length=1)


class FeedSettings(Strict):
    """What the partners' calendar feeds show, and to whom."""

    #: Only these bodies' feeds show rapid review and CSPR deadlines (by case reference);
    #: default: the bodies playing the business unit and top body roles.
    case_deadline_audience: list[Key] | None = None
    #: How long a cancelled or removed item stays in feeds, marked cancelled.
    cancelled_retention_days: int = Field(default=30, ge=1, le=365)
    #: How often calendar clients are asked to refresh.
    refresh_interval_hours: int = Field(default=4, ge=1, le=168)


class FrameworkDocument(Strict):
    """The framework file as written, before the roster is attached."""

    partnership: Partnership
    #: Which body plays each role the software relies on.
    roles: Roles
    section11: Section11Cycle
    serious_incident: SeriousIncidentSettings = SeriousIncidentSettings()
    deadline_rules: dict[Key, DeadlineRule] = Field(min_length=1)
    #: The serious incident's statutory clock chain: stages, holders, forms, decisions.
    review_chain: ReviewChain
    bodies: dict[Key, Body] = Field(min_length=1)
    outputs: dict[Key, Output] = Field(default_factory=dict)
    activities: dict[Key, Activity] = Field(min_length=1)
    feeds: FeedSettings = FeedSettings()
    reminders: ReminderPolicy = ReminderPolicy()
    #: What partner agencies send back for an activity (section 4.2 of the framework).
    returns: dict[Key, ReturnType] = Field(default_factory=dict)
    #: The themes findings are filed under (default: the six Section 11 domains and the
    #: three business-plan priorities).
    themes: dict[Key, str] = Field(default_factory=lambda: dict(DEFAULT_THEMES), min_length=1)
    #: How risks are rated and when they go to the top body (default: seed 003, Appendix A).
    risk_matrix: RiskMatrix = RiskMatrix()
    #: What the bodies reporting by exception send up, and when it is prepared.
    exception_reporting: ExceptionReporting = ExceptionReporting()
    yearly_report: YearlyReportSettings | None = None
