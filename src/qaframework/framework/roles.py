"""The parts the software relies on, and which of the partnership's bodies plays each.

Code never names a body: it asks the framework for the body that plays a role
(``framework.role("business_unit")``), so another partnership's file works unchanged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from qaframework.framework.base import Key, Strict

RoleName = Literal["business_unit", "top_body", "independent_scrutiny", "review_oversight", "action_evaluation", "data_dashboard"]
ROLE_NAMES: tuple[str, ...] = ("business_unit", "top_body", "independent_scrutiny", "review_oversight", "action_evaluation", "data_dashboard")


class Roles(Strict):
    """Which body (by key) plays each role. Every role is required: the statutory clock
    chain gives its stages to these bodies, and a stage given to nobody would never be
    chased."""

    business_unit: Key = Field(description="Runs the calendar: sends the emails, sees every item in the feeds, holds the clerical stages of a review")
    top_body: Key = Field(description="The partnership's top body (the Executive): signs off reviews and receives exception reports")
    independent_scrutiny: Key = Field(description="The independent scrutineer: signs off CSPRs and the yearly report")
    review_oversight: Key = Field(description="The body that oversees rapid reviews, CSPRs and thematic reviews (a learning and improvement subgroup)")
    action_evaluation: Key = Field(description="Evaluates done actions: did they make a difference (evidenced, partly, not evidenced)")
    data_dashboard: Key = Field(description="Receives the data dashboard in its meeting papers: the dataset's latest values and the returns received, late and missing")
