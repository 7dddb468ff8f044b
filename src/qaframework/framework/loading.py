"""Loading a framework file and its agency roster, with errors an officer can act on.

A broken file never half-loads: the first problem found is raised as a
:class:`~qaframework.errors.FrameworkFileError` naming the file, the path to the field
(``activities.mape.cadence``) and what was expected there.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from qaframework.errors import FrameworkFileError
from qaframework.framework.return_types import RETURN_KINDS, ReturnType
from qaframework.framework.yaml_reader import read_yaml
from qaframework.framework.adoption_checks import check_adoption, check_statutory_clocks
from qaframework.framework.exception_rules import check_exception_rules
from qaframework.framework.yearly_report import check_yearly_report
from qaframework.framework.model import Activity, Agency, Body, DeadlineRule, FrameworkDocument, ReminderPolicy, Roster
from qaframework.framework.review_chain import ReviewChain
from qaframework.framework.roles import RoleName


def _field_path(loc: tuple[Any, ...]) -> str:
    if len(loc) > 2 and loc[0] == "returns" and loc[2] in RETURN_KINDS:
        loc = loc[:2] + loc[3:]  # pydantic names the union member taken: the file does not
    parts: list[str] = []
    for item in loc:
        if item == "[key]":  # pydantic's marker for a problem with a mapping's key itself
            continue
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def _validation_error(path: Path, exc: ValidationError) -> FrameworkFileError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key: remove it or check its spelling"
    elif first["type"] == "missing":
        message = "missing: this field is required"
    elif "[key]" in first["loc"] and first["type"] == "string_pattern_mismatch":
        message = "keys are lowercase letters, digits and hyphens, for example focus-group"
    elif first["loc"] and first["loc"][-1] == "email" and first["type"] in ("string_pattern_mismatch", "string_too_long"):
        message = "expected an email address such as named-contact@agency.example.org"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return FrameworkFileError(str(path), _field_path(tuple(first["loc"])), message + more)


@dataclass(frozen=True)
class Framework:
    """A validated framework document together with its agency roster."""

    document: FrameworkDocument
    roster: Roster
    source: Path
    roster_source: Path

    @property
    def agencies(self) -> dict[str, Agency]:
        return self.roster.agencies

    @property
    def activities(self) -> dict[str, Activity]:
        return self.document.activities

    @property
    def bodies(self) -> dict[str, Body]:
        return self.document.bodies

    def role(self, name: RoleName) -> str:
        """The key of the body that plays a role (``business_unit``, ``top_body``...)."""
        return getattr(self.document.roles, name)

    @property
    def review_chain(self) -> ReviewChain:
        return self.document.review_chain

    @property
    def case_deadline_audience(self) -> list[str]:
        """The bodies whose feeds show review deadlines (by case reference only)."""
        chosen = self.document.feeds.case_deadline_audience
        return list(chosen) if chosen is not None else [self.role("business_unit"), self.role("top_body")]

    def reminder_policy(self, activity_key: str) -> ReminderPolicy:
        """The framework's reminder policy, with the activity's own settings over it;
        escalations go to the business unit unless the file names bodies."""
        base = self.document.reminders
        activity = self.document.activities.get(activity_key)
        if activity is not None and activity.reminders is not None:
            own = activity.reminders
            base = base.model_copy(update={name: getattr(own, name) for name in own.model_fields_set})
        if base.escalate_to is None:
            base = base.model_copy(update={"escalate_to": [self.role("business_unit")]})
        return base

    @property
    def deadline_rules(self) -> dict[str, DeadlineRule]:
        return self.document.deadline_rules

    def return_type_for(self, activity_key: str) -> tuple[str, "ReturnType"] | None:
        """The return type (key and definition) that answers an activity's tasks, if any."""
        for key, rt in self.document.returns.items():
            if activity_key in rt.activities:
                return key, rt
        return None

    def agencies_selected(self, selection: str | list[str]) -> list[str]:
        """Agency keys picked by an activity's ``assignees.agencies``, in roster order."""
        if selection == "none":
            return []
        if selection == "all":
            return list(self.agencies)
        if selection == "section-11":
            return [k for k, a in self.agencies.items() if a.section_11_duty]
        chosen = set(selection)
        return [k for k, a in self.agencies.items() if k in chosen or a.type in chosen]


def default_framework_path() -> Path:
    """The framework shipped with the software (schedules/sscp.yaml)."""
    return Path(str(resources.files("schedules").joinpath("sscp.yaml")))


def load_framework(path: str | Path | None = None) -> Framework:
    """Load, validate and cross-check a framework file and the roster it names."""
    path = Path(path) if path is not None else default_framework_path()
    raw = read_yaml(path)
    try:
        document = FrameworkDocument.model_validate(raw)
    except ValidationError as exc:
        raise _validation_error(path, exc) from None
    roster_path = (path.parent / document.partnership.roster).resolve()
    raw_roster = read_yaml(roster_path)
    try:
        roster = Roster.model_validate(raw_roster)
    except ValidationError as exc:
        raise _validation_error(roster_path, exc) from None
    _cross_check(path, document, roster)
    return Framework(document=document, roster=roster, source=path, roster_source=roster_path)


def _cross_check(path: Path, doc: FrameworkDocument, roster: Roster) -> None:
    """References between sections must name things that exist."""
    file = str(path)
    bodies, outputs, activities = set(doc.bodies), set(doc.outputs), set(doc.activities)
    agency_keys = set(roster.agencies)
    agency_types = {a.type for a in roster.agencies.values()}

    check_statutory_clocks(file, doc)
    for key, body in doc.bodies.items():
        if body.reports_to is not None and body.reports_to not in bodies:
            raise FrameworkFileError(file, f"bodies.{key}.reports_to", f"{body.reports_to!r} is not a body: expected one of {', '.join(sorted(bodies))}")
        if body.meetings is not None and key in activities:
            raise FrameworkFileError(file, f"activities.{key}", "has the same key as a body's meetings: rename one of them")
    for key, agency in roster.agencies.items():
        for i, body in enumerate(agency.attends):
            if body not in bodies:
                raise FrameworkFileError(str(path.parent / doc.partnership.roster), f"agencies.{key}.attends[{i}]", f"{body!r} is not a body in {path.name}: expected one of {', '.join(sorted(bodies))}")
    policies = [("reminders", doc.reminders)] + [(f"activities.{k}.reminders", a.reminders) for k, a in doc.activities.items() if a.reminders]
    for where, policy in policies:
        for i, body in enumerate(policy.escalate_to or ()):
            if body not in bodies:
                raise FrameworkFileError(file, f"{where}.escalate_to[{i}]", f"{body!r} is not a body: expected one of {', '.join(sorted(bodies))}")
    for i, body in enumerate(doc.feeds.case_deadline_audience or ()):
        if body not in bodies:
            raise FrameworkFileError(file, f"feeds.case_deadline_audience[{i}]", f"{body!r} is not a body: expected one of {', '.join(sorted(bodies))}")
    clash = agency_keys & bodies
    if clash:
        raise FrameworkFileError(file, "bodies", f"{', '.join(sorted(clash))} is both an agency and a body: keys must be unique")
    for key, activity in doc.activities.items():
        for i, route in enumerate(activity.routes):
            if route not in bodies | outputs | activities:
                raise FrameworkFileError(file, f"activities.{key}.routes[{i}]", f"{route!r} is not a body, output or activity")
        for i, body in enumerate(activity.assignees.bodies):
            if body not in bodies:
                raise FrameworkFileError(file, f"activities.{key}.assignees.bodies[{i}]", f"{body!r} is not a body: expected one of {', '.join(sorted(bodies))}")
        if isinstance(activity.assignees.agencies, list):
            for i, sel in enumerate(activity.assignees.agencies):
                if sel not in agency_keys | agency_types:
                    raise FrameworkFileError(file, f"activities.{key}.assignees.agencies[{i}]", f"{sel!r} is neither an agency key nor an agency type in the roster")
        if activity.due.rule == "deadline-rule" and activity.due.name not in doc.deadline_rules:
            raise FrameworkFileError(file, f"activities.{key}.due.name", f"{activity.due.name!r} is not a deadline rule: expected one of {', '.join(sorted(doc.deadline_rules))}")
    _cross_check_returns(file, doc, agency_keys | agency_types)
    measures = {k: m.alert is not None for rt in doc.returns.values() if rt.kind == "dataset" for k, m in rt.measures.items()}
    check_exception_rules(file, doc.exception_reporting, set(doc.risk_matrix.bands), measures)
    check_yearly_report(file, doc)
    check_adoption(file, doc)


def _cross_check_returns(file: str, doc: FrameworkDocument, agencies: set[str]) -> None:
    """Each return type answers real activities (one return type each), its measures'
    groups exist and its providers are in the roster."""
    taken: dict[str, str] = {}
    for key, rt in doc.returns.items():
        for i, activity in enumerate(rt.activities):
            if activity not in doc.activities:
                raise FrameworkFileError(file, f"returns.{key}.activities[{i}]", f"{activity!r} is not an activity: expected one of {', '.join(sorted(doc.activities))}")
            if activity in taken:
                raise FrameworkFileError(file, f"returns.{key}.activities[{i}]", f"{activity!r} already takes the return {taken[activity]!r}: an activity takes one return type")
            taken[activity] = key
        if rt.kind == "dataset":
            for mkey, measure in rt.measures.items():
                if measure.group not in rt.groups:
                    raise FrameworkFileError(file, f"returns.{key}.measures.{mkey}.group", f"{measure.group!r} is not a group: expected one of {', '.join(sorted(rt.groups))}")
                for i, provider in enumerate(measure.provided_by):
                    if provider not in agencies:
                        raise FrameworkFileError(file, f"returns.{key}.measures.{mkey}.provided_by[{i}]", f"{provider!r} is neither an agency key nor an agency type in the roster")
