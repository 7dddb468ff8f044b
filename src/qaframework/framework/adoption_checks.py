"""The checks that let another partnership adopt the software by writing its own file:
its roles name real bodies, its statutory chain refers only to rules, roles and branches
that exist, and every phase of its Section 11 cycle has an activity.

Each problem is one :class:`~qaframework.errors.FrameworkFileError` naming the field, at
load time rather than on the day a code path first needs it.
"""

from __future__ import annotations

from qaframework.errors import FrameworkFileError
from qaframework.framework.model import FrameworkDocument
from qaframework.framework.review_chain import CLOCK_START, STATUTORY_WORKING_DAYS
from qaframework.framework.roles import ROLE_NAMES


def _one_of(keys: object) -> str:
    return ", ".join(sorted(keys))  # type: ignore[call-overload]


def check_roles(file: str, doc: FrameworkDocument) -> None:
    for role in ROLE_NAMES:
        body = getattr(doc.roles, role)
        if body not in doc.bodies:
            raise FrameworkFileError(file, f"roles.{role}", f"{body!r} is not a body: expected one of {_one_of(doc.bodies)}")


def check_statutory_clocks(file: str, doc: FrameworkDocument) -> None:
    """The notification and rapid-review clocks exist and are the statutory ones."""
    for name, days in STATUTORY_WORKING_DAYS.items():
        rule_key = getattr(doc.review_chain.clocks, name)
        rule = doc.deadline_rules.get(rule_key)
        if rule is None:
            raise FrameworkFileError(file, "deadline_rules", f"missing the rule {rule_key!r}, which the statutory clock chain needs (review_chain.clocks.{name})")
        if rule.working_days != days:
            raise FrameworkFileError(file, f"deadline_rules.{rule_key}", f"is a statutory clock (review_chain.clocks.{name}): it must be working_days: {days}")


def check_review_chain(file: str, doc: FrameworkDocument) -> None:
    """Stages in order: the notification first, the decision once, branches after it;
    every rule, branch, activity and clock stage exists."""
    chain = doc.review_chain
    where = "review_chain"
    activities = doc.activities
    if chain.activity not in activities:
        raise FrameworkFileError(file, f"{where}.activity", f"{chain.activity!r} is not an activity: expected one of {_one_of(activities)}")
    for key, decision in chain.decisions.items():
        if decision.activity is not None and decision.activity not in activities:
            raise FrameworkFileError(file, f"{where}.decisions.{key}.activity", f"{decision.activity!r} is not an activity: expected one of {_one_of(activities)}")
    keys = list(chain.stages)
    first_key, first = keys[0], chain.stages[keys[0]]
    expected_first = f"due {{rule: {chain.clocks.notification}, after: {CLOCK_START}}}, form done-on and no branch"
    if first.branch is not None or first.form != "done-on" or first.due is None or first.due.after != CLOCK_START or first.due.rule != chain.clocks.notification:
        raise FrameworkFileError(file, f"{where}.stages.{first_key}", f"the first stage is the National Panel notification: {expected_first}")
    deciding = [k for k, s in chain.stages.items() if s.form == "decision"]
    if len(deciding) != 1:
        raise FrameworkFileError(file, f"{where}.stages", f"exactly one stage has form decision, found {len(deciding)}")
    decision_at = keys.index(deciding[0])
    for index, (key, stage) in enumerate(chain.stages.items()):
        field = f"{where}.stages.{key}"
        if stage.branch is not None:
            if stage.branch not in chain.decisions:
                raise FrameworkFileError(file, f"{field}.branch", f"{stage.branch!r} is not a decision: expected one of {_one_of(chain.decisions)}")
            if index < decision_at:
                raise FrameworkFileError(file, f"{field}.branch", f"a stage on a decision's branch comes after the decision stage ({deciding[0]})")
        elif index > decision_at and any(chain.stages[k].branch for k in keys[decision_at:index]):
            raise FrameworkFileError(file, field, "a stage on every path (no branch) comes before the branches' stages")
        if stage.due is None:
            continue
        if stage.due.rule not in doc.deadline_rules:
            raise FrameworkFileError(file, f"{field}.due.rule", f"{stage.due.rule!r} is not a deadline rule: expected one of {_one_of(doc.deadline_rules)}")
        if stage.due.after != CLOCK_START:
            earlier = [k for k in keys[:index] if chain.stages[k].branch in (None, stage.branch)]
            if stage.due.after not in earlier:
                raise FrameworkFileError(file, f"{field}.due.after", f"{stage.due.after!r} is not an earlier stage on the same path: expected {CLOCK_START} or one of {', '.join(earlier)}")
    review_due = [s for s in chain.stages.values() if s.due and s.branch is None and s.due.rule == chain.clocks.rapid_review and s.due.after == first_key]
    if not review_due:
        raise FrameworkFileError(file, f"{where}.stages", f"no stage is due by the rapid review clock: give one due {{rule: {chain.clocks.rapid_review}, after: {first_key}}}")


def check_section11_cycle(file: str, doc: FrameworkDocument) -> None:
    """Phases numbered 1 to the cycle's length, each with an activity; no activity in a
    year the cycle does not have."""
    cycle = doc.section11
    wanted = list(range(1, cycle.years + 1))
    if sorted(cycle.phases) != wanted:
        raise FrameworkFileError(file, "section11.phases", f"name the phase of each year of the {cycle.years}-year cycle: years {', '.join(map(str, wanted))}")
    years = {a.s11_year for a in doc.activities.values() if a.cadence == "s11-cycle"}
    for key, activity in doc.activities.items():
        if activity.s11_year is not None and activity.s11_year > cycle.years:
            raise FrameworkFileError(file, f"activities.{key}.s11_year", f"the Section 11 cycle has {cycle.years} years: expected 1 to {cycle.years}")
    for year in wanted:
        if year not in years:
            raise FrameworkFileError(file, f"section11.phases.{year}", f"no activity has cadence s11-cycle with s11_year: {year} ({cycle.phases[year]})")


def check_themes(file: str, doc: FrameworkDocument) -> None:
    """A dataset measure's alert files its finding under a theme that exists."""
    for key, rt in doc.returns.items():
        for domain, theme in getattr(rt, "domain_themes", {}).items():
            if domain not in rt.domains:  # type: ignore[union-attr]
                raise FrameworkFileError(file, f"returns.{key}.domain_themes.{domain}", f"{domain!r} is not a domain of this return: expected one of {_one_of(rt.domains)}")  # type: ignore[union-attr]
            if theme not in doc.themes:
                raise FrameworkFileError(file, f"returns.{key}.domain_themes.{domain}", f"{theme!r} is not a theme: expected one of {_one_of(doc.themes)}")
        for mkey, measure in getattr(rt, "measures", {}).items():
            if measure.alert is not None and measure.alert.theme not in doc.themes:
                raise FrameworkFileError(file, f"returns.{key}.measures.{mkey}.alert.theme", f"{measure.alert.theme!r} is not a theme: expected one of {_one_of(doc.themes)}")


def check_adoption(file: str, doc: FrameworkDocument) -> None:
    check_roles(file, doc)
    check_themes(file, doc)
    check_statutory_clocks(file, doc)
    check_review_chain(file, doc)
    check_section11_cycle(file, doc)
