"""A broken framework file fails with the file, the path to the field and what was
expected; the shipped file loads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from qaframework.errors import FrameworkFileError
from qaframework.framework import load_framework

SCHEDULES = Path(__file__).resolve().parents[2] / "schedules"


def _shipped() -> dict:
    return yaml.safe_load((SCHEDULES / "sscp.yaml").read_text(encoding="utf-8"))


def _roster() -> dict:
    return yaml.safe_load((SCHEDULES / "example_agencies.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, framework: dict | str, roster: dict | str | None = None) -> Path:
    path = tmp_path / "framework.yaml"
    path.write_text(framework if isinstance(framework, str) else yaml.safe_dump(framework, sort_keys=False), encoding="utf-8")
    roster = _roster() if roster is None else roster
    (tmp_path / "example_agencies.yaml").write_text(roster if isinstance(roster, str) else yaml.safe_dump(roster, sort_keys=False), encoding="utf-8")
    return path


def test_the_shipped_framework_loads() -> None:
    framework = load_framework(SCHEDULES / "sscp.yaml")
    assert framework.roster.example_data is True
    assert set(framework.activities) == {
        "multi-agency-audit", "mape", "s11-self-assessment", "s11-practitioner-survey", "s11-peer-review",
        "s175-audit", "practitioner-survey", "focus-group", "insight-visit", "safeguarding-conversation",
        "young-peoples-qa-panel", "yearly-report", "cpc-quality-assurance", "rapid-review", "cspr",
        "thematic-review", "inspection", "rpd-annual-report", "training-annual-report", "cp-annual-report",
        "lado-annual-report", "dataset-return",
    }
    meeting_bodies = {k for k, b in framework.bodies.items() if b.meetings}
    assert meeting_bodies == {
        "executive", "quality-performance", "learning-improvement", "quality-assurance-group",
        "action-plan-evaluation", "audit-subgroup",
    }
    assert framework.bodies["quality-performance"].reports_to == "executive"
    assert framework.bodies["audit-subgroup"].reports_to == "quality-performance"
    assert framework.bodies["quality-assurance-group"].reports_to == "quality-performance"
    rules = framework.deadline_rules
    assert (rules["panel-notification"].working_days, rules["rapid-review"].working_days, rules["cspr"].calendar_months) == (5, 15, 6)


def _set(path: str, value: object) -> Callable[[dict], None]:
    def edit(data: dict) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        node[last] = value

    return edit


def _delete(path: str) -> Callable[[dict], None]:
    def edit(data: dict) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        del node[last]

    return edit


BROKEN: list[tuple[str, Callable[[dict], None], str, str]] = [
    ("unknown top-level key", _set("activites", {}), "activites", "unknown key"),
    ("misspelt activity field", _set("activities.mape.cadance", "monthly"), "activities.mape.cadance", "unknown key"),
    ("unknown cadence", _set("activities.mape.cadence", "fortnightly"), "activities.mape.cadence", "Input should be 'monthly'"),
    ("quarterly without one month per quarter", _set("activities.multi-agency-audit.months", ["apr", "may", "oct", "jan"]), "activities.multi-agency-audit", "one month in each quarter"),
    ("twice-yearly with three months", _set("activities.focus-group.months", ["jul", "oct", "jan"]), "activities.focus-group", "needs 2 months in months, found 3"),
    ("misspelt month", _set("activities.focus-group.months", ["july", "jan"]), "activities.focus-group.months[0]", "Input should be 'jan'"),
    ("window past March", _set("activities.s175-audit.window", {"months": 4}), "activities.s175-audit", "runs past March"),
    ("route to an unknown body", _set("activities.mape.routes", ["qa-group"]), "activities.mape.routes[0]", "'qa-group' is not a body, output or activity"),
    ("task for an unknown body", _set("activities.focus-group.assignees.bodies", ["buisness-unit"]), "activities.focus-group.assignees.bodies[0]", "'buisness-unit' is not a body"),
    ("unknown agency group", _set("activities.focus-group.assignees.agencies", "everyone"), "activities.focus-group.assignees.agencies", "expected one of all, section-11, none"),
    ("agency type not in roster", _set("activities.mape.assignees.agencies", ["childrens-services"]), "activities.mape.assignees.agencies[0]", "neither an agency key nor an agency type"),
    ("rule with two measures", _set("deadline_rules.cspr.working_days", 10), "deadline_rules.cspr", "exactly one of working_days, calendar_days or calendar_months"),
    ("rule with none", _set("deadline_rules.cspr", {"description": "x"}), "deadline_rules.cspr", "exactly one of"),
    ("required rule missing", _delete("deadline_rules.panel-notification"), "deadline_rules", "missing the rule 'panel-notification'"),
    ("negative working days", _set("deadline_rules.rapid-review.working_days", -15), "deadline_rules.rapid-review.working_days", "greater than or equal to 1"),
    ("s11 activity without its year", _delete("activities.s11-peer-review.s11_year"), "activities.s11-peer-review", "needs s11_year"),
    ("as-required with months", _set("activities.inspection.months", ["may"]), "activities.inspection", "never planned"),
    ("reports to an unknown body", _set("bodies.audit-subgroup.reports_to", "q-and-p"), "bodies.audit-subgroup.reports_to", "'q-and-p' is not a body"),
    ("unknown time zone", _set("partnership.timezone", "Europe/Londn"), "partnership.timezone", "unknown time zone"),
    ("meeting on a weekend", _set("bodies.executive.meetings.day", {"week": 2, "weekday": "saturday"}), "bodies.executive.meetings.day.weekday", "Input should be 'monday'"),
    ("missing section", _delete("section11"), "section11", "missing: this field is required"),
    ("deadline rule name unknown", _set("activities.rapid-review.due", {"rule": "deadline-rule", "name": "rapid"}), "activities.rapid-review.due.name", "'rapid' is not a deadline rule"),
    ("days without its rule", _set("activities.mape.due", {"days": 5}), "activities.mape.due", "days is only used with rule working-days-after-start"),
    ("unknown bank-holiday country", _set("partnership.bank_holidays", {"country": "XX", "subdivision": "ENG"}), "partnership.bank_holidays", "unknown country 'XX'"),
    ("unknown bank-holiday subdivision", _set("partnership.bank_holidays", {"country": "GB", "subdivision": "ZZZ"}), "partnership.bank_holidays", "unknown subdivision 'ZZZ' of GB"),
    ("named months without months", lambda d: d["activities"]["focus-group"].update(cadence="named-months", months=[]), "activities.focus-group", "needs at least one month"),
    ("key with capitals", _set("activities.Focus-Group", {"title": "x", "cadence": "as-required"}), "activities.Focus-Group", "keys are lowercase letters, digits and hyphens"),
]


@pytest.mark.parametrize(("name", "edit", "field", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_framework_names_file_field_and_expectation(tmp_path: Path, name: str, edit, field: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    data = _shipped()
    edit(data)
    path = _write(tmp_path, data)
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(path)
    error = caught.value
    assert error.file == str(path)
    assert error.field == field
    assert expected in error.expected
    assert str(error).startswith(f"{path}: {field}: ")


def test_unquoted_meeting_time_is_refused_not_read_as_ten_minutes_past_midnight(tmp_path: Path) -> None:
    text = (SCHEDULES / "sscp.yaml").read_text(encoding="utf-8").replace('time: "10:00"', "time: 10:00", 1)
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(_write(tmp_path, text))
    assert caught.value.field == "bodies.executive.meetings.time"
    assert 'write the time in quotes as "HH:MM"' in caught.value.expected


def test_duplicate_yaml_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    text = (SCHEDULES / "sscp.yaml").read_text(encoding="utf-8")
    text = text.replace("  mape:\n", "  mape:\n    cadence: annual\n", 1)
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(_write(tmp_path, text))
    assert caught.value.field.startswith("line ")
    assert "duplicate key 'cadence'" in caught.value.expected


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(_write(tmp_path, "partnership: {key: sscp\nsection11: [\n"))
    assert caught.value.field.startswith("line ") and "column" in caught.value.field
    assert "is not valid YAML" in caught.value.expected


@pytest.mark.parametrize("text", ["", "- a list\n- not a mapping\n", "just text\n"])
def test_a_file_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    with pytest.raises(FrameworkFileError, match="expected a YAML mapping"):
        load_framework(_write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FrameworkFileError, match="file not found"):
        load_framework(tmp_path / "nope.yaml")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "framework.yaml"
    path.write_bytes(b"partnership: \xff\xfe\n")
    with pytest.raises(FrameworkFileError, match="cannot be read as UTF-8"):
        load_framework(path)


def test_missing_roster_names_the_roster_path(tmp_path: Path) -> None:
    data = _shipped()
    data["partnership"]["roster"] = "agencies-2027.yaml"
    path = _write(tmp_path, data)
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(path)
    assert caught.value.file == str(tmp_path / "agencies-2027.yaml")
    assert "file not found" in caught.value.expected


def test_bad_roster_email_names_the_roster_and_the_agency(tmp_path: Path) -> None:
    roster = _roster()
    roster["agencies"]["swast"]["contact"]["email"] = "not-an-address"
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(_write(tmp_path, _shipped(), roster))
    assert caught.value.file.endswith("example_agencies.yaml")
    assert caught.value.field == "agencies.swast.contact.email"


def test_several_problems_are_counted(tmp_path: Path) -> None:
    data = _shipped()
    data["activities"]["mape"]["cadence"] = "fortnightly"
    data["activities"]["focus-group"]["colour"] = "red"
    with pytest.raises(FrameworkFileError, match=r"\(and 1 more problem\)"):
        load_framework(_write(tmp_path, data))


def test_agency_and_body_keys_must_not_clash(tmp_path: Path) -> None:
    roster = _roster()
    roster["agencies"]["executive"] = roster["agencies"].pop("swast")
    with pytest.raises(FrameworkFileError, match="executive is both an agency and a body"):
        load_framework(_write(tmp_path, _shipped(), roster))


def test_named_months_takes_any_months_and_merge_keys_work(tmp_path: Path) -> None:
    text = (SCHEDULES / "sscp.yaml").read_text(encoding="utf-8")
    text = text.replace("activities:\n", "x-window: &four-months {months: 4}\nactivities:\n", 1)
    data_path = _write(tmp_path, text)
    raw = yaml.safe_load(data_path.read_text())
    assert "x-window" in raw
    # x-window is not a framework key: it is refused, which proves unknown keys are errors;
    # the same anchor used inside an activity through a merge key is accepted.
    with pytest.raises(FrameworkFileError, match="x-window: unknown key"):
        load_framework(data_path)
    data = _shipped()
    data["activities"]["focus-group"].update(cadence="named-months", months=["apr", "may", "jun", "jul"])
    framework = load_framework(_write(tmp_path, data))
    assert framework.activities["focus-group"].months == ["apr", "may", "jun", "jul"]
    merged = (SCHEDULES / "sscp.yaml").read_text(encoding="utf-8").replace(
        "  focus-group:\n", "  focus-group:\n    <<: {description: merged in, window: {months: 1}}\n", 1
    )
    merged_framework = load_framework(_write(tmp_path, merged))
    assert merged_framework.activities["focus-group"].description.startswith("Multi-agency"), "written keys win"
    assert merged_framework.activities["focus-group"].window.months == 1


def test_a_list_as_a_key_is_an_error_not_a_crash(tmp_path: Path) -> None:
    text = (SCHEDULES / "sscp.yaml").read_text(encoding="utf-8") + "? [a, b]\n: 1\n"
    with pytest.raises(FrameworkFileError, match="a key must be plain text"):
        load_framework(_write(tmp_path, text))


def test_attending_an_unknown_body_names_the_roster(tmp_path: Path) -> None:
    roster = _roster()
    roster["agencies"]["swast"]["attends"] = ["exec"]
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(_write(tmp_path, _shipped(), roster))
    assert caught.value.file.endswith("example_agencies.yaml")
    assert caught.value.field == "agencies.swast.attends[0]"
