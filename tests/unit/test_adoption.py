"""Another partnership adopts qaframework by writing its own files: roles, the statutory
chain and the Section 11 cycle are data, and every mistake in them is one line naming
the file, the field and what was expected, at load time."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from qaframework.cli import main
from qaframework.errors import FrameworkFileError
from qaframework.financial_year import FinancialYear
from qaframework.framework import load_framework
from qaframework.reviews.chain import CaseDates, due_dates, next_stage, stages_for
from qaframework.yearly_plan import plan_financial_year, s11_year

ROOT = Path(__file__).resolve().parents[2]
SCHEDULES = ROOT / "schedules"
EXAMPLE = SCHEDULES / "example_partnership.yaml"
SSCP = SCHEDULES / "sscp.yaml"


def _copy(tmp_path: Path, replace: tuple[str, str] | None = None) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    if replace is not None:
        assert text.count(replace[0]) >= 1, f"the example file no longer has {replace[0]!r}"
        text = text.replace(replace[0], replace[1], 1)
    (tmp_path / "example_partnership_agencies.yaml").write_text(
        (SCHEDULES / "example_partnership_agencies.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "framework.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_partnership_is_marked_and_differs_from_sscp() -> None:
    example, sscp = load_framework(EXAMPLE), load_framework(SSCP)
    assert example.document.partnership.example_data and example.roster.example_data
    assert not set(example.bodies) & set(sscp.bodies)
    assert not set(example.activities) & set(sscp.activities)
    assert not set(example.review_chain.stages) & set(sscp.review_chain.stages)
    assert not set(example.review_chain.decisions) & set(sscp.review_chain.decisions)
    assert not set(example.document.returns) & set(sscp.document.returns)
    assert (example.document.section11.years, sscp.document.section11.years) == (2, 3)
    months = {k: b.meetings.months for k, b in example.bodies.items() if b.meetings}
    assert months[example.role("top_body")] == ["jun", "sep", "dec", "mar"]


MISTAKES = [
    ("role names a missing body", ("top_body: leadership-board", "top_body: board"), "roles.top_body", "'board' is not a body"),
    ("unknown role", ("  review_oversight: practice-review-panel\n", "  review_oversight: practice-review-panel\n  chair: leadership-board\n"), "roles.chair", "unknown key"),
    ("missing role", ("  independent_scrutiny: scrutiny-lead\n", ""), "roles.independent_scrutiny", "missing: this field is required"),
    ("no roles at all", ("roles:\n", "unused_roles:\n"), "roles", "missing: this field is required"),
    ("stage rule missing", ("{rule: reviewer-appointment, after: review-decision}", "{rule: reviewer-appointmnt, after: review-decision}"),
     "review_chain.stages.reviewer-appointed.due.rule", "'reviewer-appointmnt' is not a deadline rule"),
    ("branch is not a decision", ("      branch: learning-review\n", "      branch: learning-reviews\n"),
     "review_chain.stages.learning-review-completed.branch", "'learning-reviews' is not a decision"),
    ("clock from a later stage", ("{rule: local-review-completion, after: review-decision}", "{rule: local-review-completion, after: local-review-published}"),
     "review_chain.stages.local-review-completed.due.after", "is not an earlier stage on the same path"),
    ("clock from another branch", ("{rule: learning-review-completion, after: review-decision}", "{rule: learning-review-completion, after: reviewer-appointed}"),
     "review_chain.stages.learning-review-completed.due.after", "'reviewer-appointed' is not an earlier stage on the same path"),
    ("holder is not a role", ("      holder: business_unit\n", "      holder: office\n"), "review_chain.stages.notify-panel.holder", "Input should be 'business_unit'"),
    ("rapid review not 15 working days", ("    working_days: 15\n", "    working_days: 20\n"),
     "deadline_rules.rapid-review-clock", "must be working_days: 15"),
    ("notification in calendar days", ("    working_days: 5\n", "    calendar_days: 5\n"),
     "deadline_rules.notify-national-panel", "must be working_days: 5"),
    ("notification rule missing", ("  notify-national-panel:\n    description: The National Panel is notified within 5 working days (Working Together 2023).\n    working_days: 5\n", ""),
     "deadline_rules", "missing the rule 'notify-national-panel'"),
    ("first stage is not the notification", ("due: {rule: notify-national-panel, after: clock-start}", "due: {rule: rapid-review-clock, after: clock-start}"),
     "review_chain.stages.notify-panel", "the first stage is the National Panel notification"),
    ("two decision stages", ("      form: sign-off\n      signed_by: [Chair of the Leadership Board, Vice-chair of the Leadership Board]\n", "      form: decision\n"),
     "review_chain.stages", "exactly one stage has form decision, found 2"),
    ("a branch stage before the decision", ("      title: Leadership Board approval of the rapid review\n", "      title: Leadership Board approval of the rapid review\n      branch: local-review\n"),
     "review_chain.stages.board-approval.branch", "comes after the decision stage"),
    ("sign-off without signers", ("      signed_by: [Scrutiny lead]\n", ""), "review_chain.stages.scrutiny-sign-off", "a sign-off stage needs signed_by"),
    ("signers on a date stage", ("      title: Local review published\n", "      title: Local review published\n      signed_by: [Chair]\n"),
     "review_chain.stages.local-review-published", "signed_by is only used with form sign-off"),
    ("chain activity missing", ("  activity: serious-incident\n", "  activity: serious-incidents\n"), "review_chain.activity", "'serious-incidents' is not an activity"),
    ("decision activity missing", ("activity: learning-review}", "activity: learning-reviews}"), "review_chain.decisions.learning-review.activity", "is not an activity"),
    ("cycle phase without an activity", ("    s11_year: 2\n", "    s11_year: 1\n"), "section11.phases.2", "no activity has cadence s11-cycle with s11_year: 2"),
    ("activity in a year the cycle lacks", ("    s11_year: 2\n", "    s11_year: 3\n"), "activities.s11-challenge-events.s11_year", "the Section 11 cycle has 2 years"),
    ("cycle of four years", ("  years: 2\n", "  years: 4\n"), "section11.years", "Input should be 2 or 3"),
    ("phases not matching the years", ("    2: Peer challenge events\n", ""), "section11.phases", "name the phase of each year of the 2-year cycle"),
]


@pytest.mark.parametrize(("name", "replace", "field", "expected"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_names_file_field_and_expectation(tmp_path: Path, name: str, replace: tuple[str, str], field: str, expected: str | None) -> None:
    path = _copy(tmp_path, replace)
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(path)
    error = caught.value
    assert (error.file, error.field) == (str(path), field)
    if expected is not None:
        assert expected in error.expected


def test_the_rapid_review_clock_check_names_the_clock_when_no_stage_uses_it(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "{rule: rapid-review-clock, after: notify-panel}", "{rule: reviewer-appointment, after: notify-panel}")
    path = _copy(tmp_path)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(path)
    assert caught.value.field == "review_chain.stages"
    assert "no stage is due by the rapid review clock" in caught.value.expected


@pytest.mark.parametrize("replace", [m[1] for m in MISTAKES[:6]] + [("  case-file-audit:\n", "  schools-audit:\n")], ids=lambda r: r[1][:24])
def test_qaf_validate_prints_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], replace: tuple[str, str]) -> None:
    path = _copy(tmp_path, replace)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"qaf: error: {path}: ")
    assert "Traceback" not in err


def test_a_key_written_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _copy(tmp_path, ("  schools-audit:\n", "  case-file-audit:\n"))
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(path)
    assert re.fullmatch(r"line \d+, column 3", caught.value.field)
    assert "duplicate key 'case-file-audit'" in caught.value.expected


def test_defaults_follow_the_roles(tmp_path: Path) -> None:
    framework = load_framework(EXAMPLE)
    unit, top = framework.role("business_unit"), framework.role("top_body")
    assert framework.document.feeds.case_deadline_audience is None
    assert framework.case_deadline_audience == [unit, top]
    assert framework.document.reminders.escalate_to is None
    assert framework.reminder_policy("voice-of-child-survey").escalate_to == [unit]
    assert framework.reminder_policy(framework.review_chain.activity).escalate_to == [top, unit]


def test_a_two_year_cycle_alternates_its_phases() -> None:
    framework = load_framework(EXAMPLE)
    by_year = {a.s11_year: k for k, a in framework.activities.items() if a.cadence == "s11-cycle"}
    for fy, year in [(2025, 1), (2026, 2), (2027, 1), (2028, 2), (2029, 1), (2030, 2)]:
        assert s11_year(framework, FinancialYear(fy)) == year
        planned = {o.activity for o in plan_financial_year(framework, FinancialYear(fy))}
        assert by_year[year] in planned and by_year[3 - year] not in planned


def test_the_example_chain_dates_over_christmas_and_from_the_incident() -> None:
    framework = load_framework(EXAMPLE)
    assert framework.document.serious_incident.clock_starts_at == "incident"
    # Incident Friday 18 December 2026, the local authority aware on Monday 21st: the
    # notification clock starts at the incident. 25 and 28 December and 1 January are off.
    dates = CaseDates(date(2026, 12, 18), date(2026, 12, 21), None)
    due = due_dates(framework, dates, {}, None)
    assert due["notify-panel"] == date(2026, 12, 29)
    assert due["rapid-review-submitted"] is None, "no clock before the Panel is notified"
    due = due_dates(framework, dates, {"notify-panel": date(2026, 12, 23)}, None)
    assert due["rapid-review-submitted"] == due["board-approval"] == due["review-decision"] == date(2027, 1, 18)
    decided = {"notify-panel": date(2026, 12, 23), "review-decision": date(2027, 8, 31)}
    local = due_dates(framework, dates, decided, "local-review")
    assert local["local-review-completed"] == local["scrutiny-sign-off"] == date(2028, 2, 29)
    assert local["reviewer-appointed"] == date(2027, 9, 28)  # 20 working days, 30 August is a bank holiday
    assert local["local-review-published"] is None, "a stage without a rule has no due date"
    learning = due_dates(framework, dates, decided, "learning-review")
    assert learning["learning-review-completed"] == date(2027, 12, 29)  # 120 calendar days
    assert "local-review-completed" not in learning


def test_the_example_chain_branches_on_its_own_decisions() -> None:
    framework = load_framework(EXAMPLE)
    common = ["notify-panel", "rapid-review-submitted", "board-approval", "review-decision"]
    assert [s.key for s in stages_for(None, framework)] == common
    assert [s.key for s in stages_for("local-review", framework)][4:] == [
        "reviewer-appointed", "local-review-completed", "scrutiny-sign-off", "local-review-published"]
    done = {k: date(2027, 1, 4) for k in common}
    assert next_stage("no-further-review", done, framework) is None
    holders = {s.key: s.holder for s in stages_for("learning-review", framework)}
    assert holders == {
        "notify-panel": "partnership-office", "rapid-review-submitted": "practice-review-panel",
        "board-approval": "leadership-board", "review-decision": "leadership-board",
        "learning-review-completed": "practice-review-panel",
    }


#: Words of the software's own vocabulary that happen to equal an SSCP key, each with
#: where it may stand: the `qaf rapid-review` command, its Prefect flow and deployment;
#: the `decision` kind of form (and the case table's column); the `s11-self-assessment` kind of return (fixed in code,
#: like the other four kinds).
SOFTWARE_WORDS = {
    "rapid-review": {"src/qaframework/cli.py", "flows/rapid_review.py"},
    "rapid-review/rapid-review": {"src/qaframework/cli.py"},
    "decision": {"src/qaframework/framework/review_chain.py", "src/qaframework/framework/adoption_checks.py",
                 "src/qaframework/persistence/cases.py", "src/qaframework/reviews/chain.py", "flows/rapid_review.py",
                 "src/qaframework/persistence/migrations/versions/0001_initial_schema.py"},
    "s11-self-assessment": {"src/qaframework/framework/return_types.py", "src/qaframework/returns/dashboard.py",
                            "src/qaframework/returns/layout.py", "src/qaframework/returns/validation.py",
                            "src/qaframework/returns/templates.py"},
}


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module that is not a docstring, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def test_no_sscp_body_or_activity_key_is_written_into_the_code() -> None:
    shipped = yaml.safe_load(SSCP.read_text(encoding="utf-8"))
    keys = set(shipped["bodies"]) | set(shipped["activities"]) | set(shipped["review_chain"]["stages"])
    keys |= set(shipped["review_chain"]["decisions"]) | set(shipped["deadline_rules"]) | set(shipped["outputs"]) | set(shipped["returns"])
    found = []
    for folder in ("src", "flows", "tasks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            for line, value in _code_strings(path):
                named = value if value in keys else value.split("/", 1)[0] if "/" in value and value.split("/", 1)[0] in keys else None
                if named is None or where in SOFTWARE_WORDS.get(value, set()):
                    continue
                found.append(f"{where}:{line}: {value}")
    assert found == []
