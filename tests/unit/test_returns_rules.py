"""The pure rules behind returns: which periods a dataset return covers, dates as people
type them, the framework file's return types, the inbox's settling rule."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from qaframework.errors import FrameworkFileError
from qaframework.financial_year import FinancialYear
from qaframework.framework import load_framework
from qaframework.returns.inbox import file_away, waiting_files
from qaframework.returns.layout import ActionRow, SchoolRow
from qaframework.returns.validation import covered_quarter, dataset_rows_expected, expected_periods

SCHEDULES = Path(__file__).resolve().parents[2] / "schedules"


@pytest.mark.parametrize(
    ("window_start", "period", "expected"),
    [
        # April's return reports Q4 of the year just ended, and that year's annual measures.
        (date(2027, 4, 1), "quarter", ["2026/27 Q4"]),
        (date(2027, 4, 1), "month", ["2027-01", "2027-02", "2027-03"]),
        (date(2027, 4, 1), "year", ["2026/27"]),
        (date(2027, 7, 1), "quarter", ["2027/28 Q1"]),
        (date(2027, 7, 1), "year", []),
        (date(2027, 10, 1), "month", ["2027-07", "2027-08", "2027-09"]),
        # January's return crosses the calendar year but not the financial one.
        (date(2028, 1, 1), "month", ["2027-10", "2027-11", "2027-12"]),
        (date(2028, 1, 1), "quarter", ["2027/28 Q3"]),
    ],
)
def test_the_periods_a_dataset_return_covers(window_start: date, period: str, expected: list[str]) -> None:
    assert expected_periods(period, window_start) == expected


def test_covered_quarter_at_the_turn_of_the_year() -> None:
    assert covered_quarter(date(2028, 4, 1)) == (FinancialYear(2027), 4)
    assert covered_quarter(date(2028, 1, 1)) == (FinancialYear(2027), 3)


def test_what_each_agency_owes_in_a_dataset_return() -> None:
    framework = load_framework(SCHEDULES / "sscp.yaml")
    rt = framework.document.returns["sscp-dataset"]
    police = dataset_rows_expected(rt, "avon-somerset-police", "police", date(2027, 4, 1))
    assert police == [("police-child-protection-referrals", "2026/27 Q4"), ("safeguarding-training-compliance", "2026/27 Q4"),
                      ("meeting-attendance", "2026/27"), ("exploitation-screenings", "2026/27 Q4")]
    assert dataset_rows_expected(rt, "spark-somerset", "voluntary-sector", date(2027, 4, 1)) == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("2027-06-30", date(2027, 6, 30)), ("30/06/2027", date(2027, 6, 30)), ("1/7/2027", date(2027, 7, 1)),
     ("29/02/2028", date(2028, 2, 29))],  # 2028 is a leap year
)
def test_dates_are_read_iso_or_day_first(typed: str, expected: date) -> None:
    assert ActionRow(action="a", owner="b", due=typed).due == expected


@pytest.mark.parametrize("typed", ["29/02/2027", "31/04/2027", "2027-02-30", "06/31/2027", "next Friday", "2027-13-01"])
def test_dates_that_do_not_exist_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        ActionRow(action="a", owner="b", due=typed)


@pytest.mark.parametrize(("urn", "ok"), [("123456", True), (123456, True), ("12345", False), ("1234567", False), ("12345A", False)])
def test_a_school_urn_is_six_digits(urn: object, ok: bool) -> None:
    row = {"school_urn": urn, "school_name": "A School", "standard": "dsl", "compliance": "Compliant"}
    if ok:
        assert SchoolRow.model_validate(row).school_urn == str(urn)
    else:
        with pytest.raises(ValidationError):
            SchoolRow.model_validate(row)


def _broken_copy(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    shutil.copy(SCHEDULES / "example_agencies.yaml", tmp_path / "example_agencies.yaml")
    data = yaml.safe_load((SCHEDULES / "sscp.yaml").read_text())
    change(data["returns"])
    path = tmp_path / "sscp.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        (lambda r: r["sscp-dataset"].update(activities=["no-such-activity"]), "returns.sscp-dataset.activities[0]", "is not an activity"),
        (lambda r: r["sscp-dataset"].update(activities=["multi-agency-audit"]), "returns.sscp-dataset.activities[0]", "already takes the return"),
        (lambda r: r["sscp-dataset"]["measures"]["referrals"].update(group="core-9"), "returns.sscp-dataset.measures.referrals.group", "is not a group"),
        (lambda r: r["sscp-dataset"]["measures"]["referrals"].update(provided_by=["fire-brigade"]), "returns.sscp-dataset.measures.referrals.provided_by[0]", "neither an agency key nor an agency type"),
        (lambda r: r["sscp-dataset"]["measures"]["referrals"].update(unit="litres"), "returns.sscp-dataset.measures.referrals.unit", "count"),
        (lambda r: r["multi-agency-case-audit"].update(case_number_pattern="^MAA-(["), "returns.multi-agency-case-audit.case_number_pattern", "regular expression"),
        (lambda r: r["s11-self-assessment"].update(kind="s12-self-assessment"), "returns.s11-self-assessment", "s11-self-assessment"),
        (lambda r: r["s11-self-assessment"]["domains"]["culture-and-challenge"].update(standards={}), "returns.s11-self-assessment.domains.culture-and-challenge.standards", "at least 1"),
    ],
)
def test_a_broken_return_type_names_its_field(tmp_path: Path, change, field: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(_broken_copy(tmp_path, change))
    assert caught.value.field == field, str(caught.value)
    assert expected in caught.value.expected


def test_the_inbox_takes_settled_files_and_skips_lock_files_and_partial_copies(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "somerset-csc").mkdir(parents=True)
    (inbox / "not-an-agency").mkdir()
    for name in ("old.xlsx", "~$old.xlsx", ".hidden.csv", "copy.xlsx.part", "somerset-csc/theirs.csv", "not-an-agency/stray.csv", "new.json"):
        (inbox / name).write_bytes(b"x")
    # A copy tool kept the sender's old modification time: the file only arrived now
    # (its ctime), so it settles like the others and is judged on time by its arrival.
    os.utime(inbox / "old.xlsx", (1000, 1000))
    now = max(os.stat(inbox / name).st_ctime for name in ("old.xlsx", "new.json"))
    assert waiting_files(inbox, {"somerset-csc", "avon-somerset-police"}, settle_seconds=10, now=now + 5) == [], "everything is still settling"
    ready = waiting_files(inbox, {"somerset-csc"}, settle_seconds=10, now=now + 60)
    assert [f.path.name for f in ready][0] == "old.xlsx", "oldest first"
    assert sorted((f.path.name, f.agency_hint) for f in ready) == [("new.json", None), ("old.xlsx", None), ("theirs.csv", "somerset-csc")]
    assert all(abs(f.arrived_at - os.stat(f.path).st_ctime) < 1 for f in ready)
    moved = file_away(inbox, ready[0], "accepted", 7, date(2027, 4, 20))
    assert moved == inbox / "processed" / "accepted" / "2027-04-20" / "7-old.xlsx" and moved.exists()
    assert file_away(inbox, ready[0], "accepted", 7, date(2027, 4, 20)) is None, "a file another sweep moved is left alone"
    assert waiting_files(tmp_path / "missing", set(), 0) == []


def test_a_claimed_file_is_out_of_the_inbox_and_a_stale_claim_is_taken_up_again(tmp_path: Path) -> None:
    from qaframework.returns.inbox import CLAIM_LEASE_SECONDS, claim, ignored_entries

    inbox = tmp_path / "inbox"
    (inbox / "avon-somerset-police").mkdir(parents=True)
    (inbox / "avon-somerset-police" / "Q1 audit.xlsx").write_bytes(b"x")
    (inbox / "Police returns").mkdir()
    (inbox / "avon-somerset-police" / "old").mkdir()
    assert ignored_entries(inbox, {"avon-somerset-police"}) == 2
    now = os.stat(inbox / "avon-somerset-police" / "Q1 audit.xlsx").st_ctime
    (item,) = waiting_files(inbox, {"avon-somerset-police"}, settle_seconds=0, now=now + 1)
    claimed = claim(inbox, item)
    assert claimed is not None and claimed.sent_as == "Q1 audit.xlsx" and claimed.agency_hint == "avon-somerset-police"
    assert claimed.path.parent == inbox / "processing" / "avon-somerset-police" and claimed.path.read_bytes() == b"x"
    assert claim(inbox, item) is None, "a second sweep finds it gone"
    # A new file sent under the same name is a new file, not the claimed one.
    (inbox / "avon-somerset-police" / "Q1 audit.xlsx").write_bytes(b"y")
    later = os.stat(claimed.path).st_ctime
    fresh = waiting_files(inbox, {"avon-somerset-police"}, settle_seconds=0, now=later + 1)
    assert [(f.sent_as, f.path.read_bytes()) for f in fresh] == [("Q1 audit.xlsx", b"y")], "a claim in progress is left alone"
    stale = waiting_files(inbox, {"avon-somerset-police"}, settle_seconds=0, now=later + CLAIM_LEASE_SECONDS + 1)
    assert sorted((f.sent_as, f.path.read_bytes(), f.agency_hint) for f in stale) == [
        ("Q1 audit.xlsx", b"x", "avon-somerset-police"), ("Q1 audit.xlsx", b"y", "avon-somerset-police")]
    moved = file_away(inbox, claimed, "rejected", 12, date(2027, 4, 20))
    assert moved == inbox / "processed" / "rejected" / "2027-04-20" / "12-Q1 audit.xlsx"
