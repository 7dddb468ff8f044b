"""What a body reporting by exception sends up: the rules of what counts as off track.

Section 6: the subgroups send exception reports to the body they report to; seed 003 sends
every risk above the tolerance to the top body. The framework file says what counts, under
``exception_reporting.rules``; the default is the list in DOMAIN.md ("Reporting by
exception"): risks above tolerance, statutory stages overdue or due before the parent's
next meeting, returns overdue past escalation, actions overdue, Section 11 domains rated
Red by any agency, and dataset measures outside their thresholds.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from qaframework.errors import FrameworkFileError
from qaframework.framework.base import Key, Strict

RuleName = Literal[
    "risks-above-tolerance", "risks-in-bands", "statutory-stages-at-risk", "returns-past-escalation",
    "actions-overdue", "s11-red-domains", "measures-outside-thresholds",
]
#: The shipped default, in the order an exception report lists its items.
DEFAULT_RULES: tuple[str, ...] = (
    "risks-above-tolerance", "statutory-stages-at-risk", "returns-past-escalation", "actions-overdue",
    "s11-red-domains", "measures-outside-thresholds",
)


class ExceptionRule(Strict):
    """One kind of item that is off track. ``bands`` (for ``risks-in-bands``: the risk
    matrix's band keys) and ``measures`` (for ``measures-outside-thresholds``: only these
    dataset measures; default every measure with an ``alert``) narrow a rule."""

    rule: RuleName
    bands: list[Key] = Field(default_factory=list)
    measures: list[Key] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fitting_options(self) -> "ExceptionRule":
        if self.rule == "risks-in-bands" and not self.bands:
            raise ValueError("risks-in-bands needs bands: the risk matrix's band keys to report")
        if self.bands and self.rule != "risks-in-bands":
            raise ValueError(f"bands is only for the rule risks-in-bands, not {self.rule}")
        if self.measures and self.rule != "measures-outside-thresholds":
            raise ValueError(f"measures is only for the rule measures-outside-thresholds, not {self.rule}")
        return self


class ExceptionReporting(Strict):
    """When exception reports are prepared and what they hold."""

    #: The only reading offered: the report is prepared from the record as it stands at
    #: the parent body's papers deadline, whether or not the reporting body has met by
    #: then (its chair adds the narrative to the Word document).
    prepared: Literal["at-parent-papers-deadline"] = "at-parent-papers-deadline"
    rules: list[ExceptionRule] = Field(default_factory=lambda: [ExceptionRule(rule=r) for r in DEFAULT_RULES], min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _rule_names_as_text(cls, value: object) -> object:
        # A rule without options may be written as its name alone.
        if isinstance(value, dict) and isinstance(value.get("rules"), list):
            value = dict(value, rules=[{"rule": r} if isinstance(r, str) else r for r in value["rules"]])
        return value


def check_exception_rules(file: str, reporting: ExceptionReporting, bands: set[str], measures: dict[str, bool]) -> None:
    """Each band a rule names is a band of the risk matrix and each measure a dataset
    measure with an ``alert`` threshold (``measures`` maps measure keys to whether they
    have one)."""
    for i, rule in enumerate(reporting.rules):
        for j, band in enumerate(rule.bands):
            if band not in bands:
                raise FrameworkFileError(file, f"exception_reporting.rules[{i}].bands[{j}]",
                                         f"{band!r} is not a band of the risk matrix: expected one of {', '.join(sorted(bands))}")
        for j, measure in enumerate(rule.measures):
            if measure not in measures:
                known = ", ".join(sorted(measures)) or "none: the framework has no dataset return"
                raise FrameworkFileError(file, f"exception_reporting.rules[{i}].measures[{j}]",
                                         f"{measure!r} is not a dataset measure: expected one of {known}")
            if not measures[measure]:
                raise FrameworkFileError(file, f"exception_reporting.rules[{i}].measures[{j}]",
                                         f"{measure!r} has no alert threshold: give the measure an alert: to report it by exception")
