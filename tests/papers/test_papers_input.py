"""Bad input to the papers, and the deadline of a meeting moved by a bank holiday."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from qaframework.errors import FrameworkFileError
from qaframework.framework import Framework, load_framework
from qaframework.papers.schedule import papers_due_by
from qaframework.persistence.database import transaction
from qaframework.persistence.paper_facts import meeting_facts
from qaframework.persistence.paper_tables import MeetingPaper
from tests.papers.conftest import Qaf, build, record_may_and_june

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def edited_copy(framework: Framework, tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the partnership's framework file (and roster) with ``edit`` applied to its data."""
    raw = yaml.safe_load(framework.source.read_text())
    edit(raw)
    target = tmp_path / "framework.yaml"
    target.write_text(yaml.safe_dump(raw, sort_keys=False))
    shutil.copy(framework.roster_source, tmp_path / raw["partnership"]["roster"])
    return target


@sqlite_only
def test_a_meeting_moved_by_a_bank_holiday_gets_its_papers_on_its_own_deadline(database_url: str, partnership: Framework, tmp_path: Path) -> None:
    body = partnership.role("top_body")

    def first_monday_of_may(raw: dict) -> None:  # type: ignore[type-arg]
        raw["bodies"][body]["meetings"].update(months=["may", "nov"], day={"week": 1, "weekday": "monday"})
        raw["bodies"][body]["papers_due_working_days"] = 5

    moved = load_framework(edited_copy(partnership, tmp_path, first_monday_of_may))
    from tests.actions.conftest import planned_without_tasks

    planned_without_tasks(database_url, moved, 2027)
    with transaction(database_url) as session:
        meetings = [m for m in meeting_facts(session=session, framework=moved) if m.body == body]
    may = next(m for m in meetings if m.day.month == 5)
    # Monday 3 May 2027 is the Early May bank holiday: the meeting moves to Tuesday 4 May,
    # and its papers are due 5 working days before that day (skipping the holiday): 26 April.
    assert (may.day, may.papers_due) == (date(2027, 5, 4), date(2027, 4, 26))
    assert may not in papers_due_by(meetings, date(2027, 4, 23))  # the Friday before
    assert may in papers_due_by(meetings, date(2027, 4, 26))
    built = build(database_url, moved, tmp_path / "data", may, as_of=date(2027, 4, 26), once=True)
    assert (tmp_path / "data" / "papers" / body / "2027-05-04" / "pack-v1.pdf").is_file()
    assert built.pack.papers_due == date(2027, 4, 26)
    # November's first Monday (1 November 2027) is a working day: nothing moves.
    november = next(m for m in meetings if m.day.month == 11)
    assert (november.day, november.papers_due) == (date(2027, 11, 1), date(2027, 10, 25))


@sqlite_only
def test_bad_input_is_one_line_exit_2_and_nothing_written(database_url: str, partnership: Framework, partnership_qaf: Qaf, tmp_path: Path) -> None:
    recorded = record_may_and_june(database_url, partnership)
    unit = partnership.role("business_unit")
    top = recorded.meeting.body
    cases = [
        (("papers", unit, "--meeting", "2027-07-13"), f"'{unit}' has no meetings in the framework file: expected one of"),
        (("papers", "no-such-body", "--meeting", "2027-07-13"), "'no-such-body' is not a body: expected one of"),
        (("papers", top, "--meeting", (recorded.meeting.day.replace(day=recorded.meeting.day.day + 1)).isoformat()),
         f"--meeting: the {top} meets on {recorded.meeting.day.isoformat()}, not"),
        (("papers", top, "--meeting", "2027-02-30"), "--meeting date"),
        (("papers", top, "--meeting", "1999-07-13"), "meeting"),
    ]
    for args, expected in cases:
        code, out, err = partnership_qaf(*args)
        assert code == 2, (args, out, err)
        assert err.count("\n") == 1 and expected in err and "Traceback" not in err, (args, err)
    with transaction(database_url) as session:
        assert session.execute(select(func.count()).select_from(MeetingPaper)).scalar_one() == 0
    assert not list(tmp_path.rglob("pack-v*.pdf"))


@pytest.mark.parametrize(("rule", "field", "expected"), [
    ({"rule": "risks-in-bands", "bands": ["scarlet"]}, "exception_reporting.rules[0].bands[0]", "'scarlet' is not a band of the risk matrix: expected one of"),
    ({"rule": "measures-outside-thresholds", "measures": ["no-such-measure"]}, "exception_reporting.rules[0].measures[0]", "'no-such-measure' is not a dataset measure"),
    ({"rule": "risks-in-bands"}, "exception_reporting.rules[0]", "risks-in-bands needs bands"),
    ({"rule": "late-coffee"}, "exception_reporting.rules[0].rule", "Input should be"),
])
def test_an_exception_rule_naming_an_unknown_band_or_measure_is_refused(partnership: Framework, tmp_path: Path, rule: dict, field: str, expected: str) -> None:  # type: ignore[type-arg]
    def bad(raw: dict) -> None:  # type: ignore[type-arg]
        raw["exception_reporting"] = {"rules": [rule]}

    with pytest.raises(FrameworkFileError) as caught:
        load_framework(edited_copy(partnership, tmp_path, bad))
    assert caught.value.field.startswith("exception_reporting.rules") and expected in str(caught.value), str(caught.value)
    assert field in str(caught.value)


def test_a_measure_without_a_threshold_cannot_be_reported_by_exception(partnership: Framework, tmp_path: Path) -> None:
    quiet = next(k for rt in partnership.document.returns.values() if rt.kind == "dataset" for k, m in rt.measures.items() if m.alert is None)

    def bad(raw: dict) -> None:  # type: ignore[type-arg]
        raw["exception_reporting"] = {"rules": [{"rule": "measures-outside-thresholds", "measures": [quiet]}]}

    with pytest.raises(FrameworkFileError, match=f"exception_reporting.rules\\[0\\].measures\\[0\\]: '{quiet}' has no alert threshold"):
        load_framework(edited_copy(partnership, tmp_path, bad))
