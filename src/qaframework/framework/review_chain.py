"""The statutory clock chain of a serious incident, as the framework file defines it.

The chain's stages (their titles, the role that holds each, the kind of form, the
deadline rule that dates it, the decision branches) are data. Two clocks are statutory
and checked when the file loads: the National Panel is notified within 5 working days,
and the rapid review is completed within 15 working days of the notification.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from qaframework.framework.base import Key, Strict
from qaframework.framework.roles import RoleName

#: Where a stage's clock starts when it is not an earlier stage's done date.
CLOCK_START = "clock-start"
FormKind = Literal["done-on", "sign-off", "decision"]
#: The statutory clocks (Working Together 2023): rule key in the file -> working days.
STATUTORY_WORKING_DAYS = {"notification": 5, "rapid_review": 15}


class StageDue(Strict):
    """A stage is due by a deadline rule counted from the clock start (the day the local
    authority became aware, or the incident, by setting) or from an earlier stage's done
    date. A stage whose clock stage is not done yet has no due date."""

    rule: Key
    after: Key = Field(description=f"{CLOCK_START!r}, or the key of an earlier stage")


class ChainStage(Strict):
    title: str = Field(min_length=1, max_length=120)
    #: The role whose body holds the stage's task (reminded and escalated like any task).
    holder: RoleName
    #: The form that records it: a date; a sign-off (date and the signer's role); the decision.
    form: FormKind = "done-on"
    due: StageDue | None = None
    #: Only on this decision's branch (a key of ``decisions``).
    branch: Key | None = None
    #: For a sign-off: who may sign, as roles (never names).
    signed_by: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _signers_only_for_sign_offs(self) -> "ChainStage":
        if self.form == "sign-off" and not self.signed_by:
            raise ValueError("a sign-off stage needs signed_by: the roles that may sign it off")
        if self.form != "sign-off" and self.signed_by:
            raise ValueError(f"signed_by is only used with form sign-off, not {self.form}")
        if any(not s.strip() or len(s) > 80 for s in self.signed_by) or len(set(self.signed_by)) != len(self.signed_by):
            raise ValueError("signed_by lists distinct roles of 1 to 80 characters")
        return self


class Decision(Strict):
    """One outcome of the rapid review (a CSPR, no review, a thematic review...)."""

    title: str = Field(min_length=1, max_length=120)
    #: The activity whose occurrences this branch's stages are (default: the chain's).
    activity: Key | None = None


class StatutoryClocks(Strict):
    """The deadline rules of the two statutory clocks (5 and 15 working days)."""

    notification: Key
    rapid_review: Key


class ReviewChain(Strict):
    """From the serious incident to a published review, stage by stage, in order."""

    #: The as-required activity a case's stages belong to before a branch is taken.
    activity: Key
    clocks: StatutoryClocks
    decisions: dict[Key, Decision] = Field(min_length=1)
    stages: dict[Key, ChainStage] = Field(min_length=3)

    @property
    def notification_stage(self) -> str:
        """The stage whose done date is the day the National Panel was notified."""
        return next(iter(self.stages))

    @property
    def decision_stage(self) -> str:
        return next(k for k, s in self.stages.items() if s.form == "decision")

    def activity_of(self, branch: str | None) -> str:
        """The activity whose occurrences hold a stage on this branch."""
        if branch is None:
            return self.activity
        return self.decisions[branch].activity or self.activity
