"""Findings typed in (``qaf findings add``) and from a sheet (``qaf findings import``), on
both shipped files and both databases: what is stored, where it is placed, what the audit
log says, and bad input refused in one line (or every located problem), nothing written."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, update

from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.learning.identifying import DATE, NHS_NUMBER, POSTCODE
from qaframework.persistence.database import transaction
from qaframework.persistence.learning_tables import Finding, FindingPlacement, RiskRating
from qaframework.persistence.tables import AuditLogEntry, Occurrence, ReviewCase, Task
from qaframework.yearly_plan import plan_financial_year
from tests.partnerships.conftest import Qaf, plan_years


def _subject(partnership: Framework) -> tuple[str, str]:
    """An activity occurrence of 2027/28 whose routes include a body that meets, and that body."""
    for o in plan_financial_year(partnership, FinancialYear(2027)):
        if o.kind == "activity":
            meets = [r for r in partnership.activities[o.activity].routes if r in partnership.bodies and partnership.bodies[r].meetings]
            if meets:
                return o.key, meets[0]
    raise AssertionError("no routed activity")


def _counts(url: str) -> tuple[int, int, int, int]:
    with transaction(url) as session:
        return tuple(len(session.execute(select(m)).scalars().all()) for m in (Finding, FindingPlacement, RiskRating, AuditLogEntry))  # type: ignore[return-value]


def _theme(partnership: Framework) -> str:
    return next(iter(partnership.document.themes))


@pytest.fixture
def planned(partnership_qaf: Qaf) -> Qaf:
    plan_years(partnership_qaf, [2027, 2028], date(2027, 4, 1))
    return partnership_qaf


def test_a_typed_finding_and_a_risk_are_recorded_numbered_placed_and_audited(planned: Qaf, database_url: str, partnership: Framework) -> None:
    key, body = _subject(partnership)
    theme = _theme(partnership)
    code, out, err = planned("findings", "add", "--occurrence", key, "--title", "Fathers were rarely seen", "--summary",
                             "In 4 of 6 cases audited the father was not seen in Q1 2027/28", "--kind", "area-for-improvement",
                             "--theme", theme, "--on", "2027-06-01")
    assert code == 0, err
    assert out.startswith(f"Recorded F-2027-0001 (area-for-improvement, {theme}) on {key}, 01 June 2027.")
    agency = next(iter(partnership.agencies))
    code, out, err = planned("findings", "add", "--occurrence", key, "--title", "Thresholds applied unevenly", "--summary", "Across the partnership",
                             "--kind", "Risk", "--theme", partnership.document.themes[theme], "--agency", agency,
                             "--likelihood", "3", "--impact", "5", "--on", "2027-06-02")
    assert code == 0, err
    matrix = partnership.document.risk_matrix
    score = matrix.scores[5][2]
    assert f"F-2027-0002 (risk, {theme})" in out and f"risk scored {score}" in out
    # The same finding typed again is a new finding: typed findings have no natural key.
    code, out, err = planned("findings", "add", "--occurrence", key, "--title", "Fathers were rarely seen", "--summary",
                             "In 4 of 6 cases audited the father was not seen in Q1 2027/28", "--kind", "area-for-improvement",
                             "--theme", theme, "--on", "2028-04-01")
    assert code == 0 and "F-2028-0001" in out, err
    with transaction(database_url) as session:
        findings = session.execute(select(Finding).order_by(Finding.id)).scalars().all()
        assert [(f.reference, f.financial_year, f.number, f.kind, f.source, f.status) for f in findings] == [
            ("F-2027-0001", 2027, 1, "area-for-improvement", "typed", "open"), ("F-2027-0002", 2027, 2, "risk", "typed", "open"),
            ("F-2028-0001", 2028, 1, "area-for-improvement", "typed", "open")]
        assert findings[1].agency_key == agency and findings[0].activity == key.split("/")[0]
        (rating,) = session.execute(select(RiskRating)).scalars().all()
        assert (rating.finding_id, rating.sequence, rating.likelihood, rating.impact, rating.score, rating.rated_on) == (findings[1].id, 1, 3, 5, score, date(2027, 6, 2))
        routes = [p.route for p in session.execute(select(FindingPlacement).where(FindingPlacement.finding_id == findings[0].id).order_by(FindingPlacement.id)).scalars()]
        assert routes == partnership.activities[key.split("/")[0]].routes
        actions = [(a.action, a.subject, a.actor) for a in session.execute(select(AuditLogEntry).where(AuditLogEntry.action.like("finding-%")).order_by(AuditLogEntry.id)).scalars()]  # type: ignore[attr-defined]
    assert actions[0] == ("finding-added", "F-2027-0001", "qaf-cli")
    assert [a for a, s, _ in actions if s == "F-2027-0001"] == ["finding-added"] + ["finding-placed"] * len(routes)
    code, out, err = planned("findings", "list", "--fy", "2027", "--json")
    listed = json.loads(out)
    assert [f["reference"] for f in listed] == ["F-2027-0001", "F-2027-0002"]
    assert set(listed[0]) == {"reference", "recorded_on", "financial_year", "kind", "theme", "title", "status", "source", "activity", "occurrence",
                              "case", "agency", "risk", "placements", "pending", "withdrawn_on", "withdrawn_reason"}
    assert listed[1]["risk"] == {"likelihood": 3, "impact": 5, "score": score, "band": listed[1]["risk"]["band"]}
    on_body = next(p for p in listed[0]["placements"] if p["route"] == body)
    assert on_body["kind"] == "meeting" and on_body["occurrence"].startswith(f"{body}/") and on_body["meeting_day"] >= "2027-06-01"
    code, out, _ = planned("findings", "list", "--route", body)
    assert "F-2027-0001" in out and "F-2028-0001" in out and out.strip().endswith(f"placed on {body}.")


def _refused(planned: Qaf, url: str, *args: str) -> str:
    before = _counts(url)
    code, out, err = planned("findings", "add", *args)
    assert code == 2 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1 and err.startswith("qaf: error: ")
    assert _counts(url) == before, "nothing was written"
    return err


def test_bad_input_is_one_line_exit_2_and_nothing_written(planned: Qaf, database_url: str, partnership: Framework) -> None:
    key, _ = _subject(partnership)
    theme = _theme(partnership)
    good = ["--title", "Strategy meetings late", "--summary", "In Q2 2027/28", "--kind", "area-for-improvement", "--theme", theme]

    def without(option: str, value: str) -> list[str]:
        args = list(good)
        args[args.index(option) + 1] = value
        return args

    cases = [
        (["--occurrence", "no-such/2027-04", *good], "--occurrence: is not the key of any occurrence"),
        (["--case", "RR-2027-999", *good], "--case: is not the reference of any review case"),
        (["--occurrence", key, *without("--kind", "lesson")], "--kind: expected the kind of finding: one of good-practice, area-for-improvement, risk"),
        (["--occurrence", key, *without("--theme", "not-a-theme")], "--theme: expected a theme of the framework file: one of"),
        (["--occurrence", key, *without("--kind", "risk"), "--likelihood", "6", "--impact", "2"], "--likelihood: expected a whole number from 1 to 5"),
        (["--occurrence", key, *without("--kind", "risk"), "--likelihood", "2", "--impact", "0"], "--impact: expected a whole number from 1 to 5"),
        (["--occurrence", key, *without("--kind", "risk"), "--likelihood", "two", "--impact", "2"], "--likelihood: expected a whole number from 1 to 5"),
        (["--occurrence", key, *without("--kind", "risk"), "--likelihood", "2"], "--impact: is empty: a risk needs its impact"),
        (["--occurrence", key, *good, "--likelihood", "2", "--impact", "2"], "--likelihood: is only given for a risk"),
        (["--occurrence", key, *good, "--agency", "no-such-agency"], "--agency: expected an agency of the roster"),
        (["--occurrence", key, *good, "--on", "2027-02-30"], "--on date '2027-02-30' is not a real date"),
        (["--occurrence", key, *good, "--on", "30/06/2027"], "--on date '30/06/2027' is not a real date"),
        (["--occurrence", key, *without("--summary", "x" * 1001)], "argument --summary: is 1001 characters long: at most 1000"),
        (["--occurrence", key, *without("--title", "   ")], "argument --title: is empty"),
    ]
    for args, expected in cases:
        err = _refused(planned, database_url, *args)
        assert expected in err, (args, err)
        assert "no-such" not in err and "RR-2027-999" not in err and "lesson" not in err, "what was typed is not quoted"


@pytest.mark.parametrize(("title", "summary", "field", "reason", "secret"), [
    ("Missed referral", "Child born on 12 March 2015 was not referred", "--summary", DATE, "2015"),
    ("Missed referral 943 476 5919", "Not referred", "--title", NHS_NUMBER, "5919"),
    ("Missed referral", "The family at TA6 3BX was not visited", "--summary", POSTCODE, "TA6"),
])
def test_identifying_text_is_refused_with_the_reason_never_the_text(planned: Qaf, database_url: str, partnership: Framework,
                                                                      title: str, summary: str, field: str, reason: str, secret: str) -> None:
    key, _ = _subject(partnership)
    err = _refused(planned, database_url, "--occurrence", key, "--title", title, "--summary", summary, "--kind", "risk",
                   "--theme", _theme(partnership), "--likelihood", "2", "--impact", "2")
    assert err.strip() == f"qaf: error: {field}: {reason}; nothing was recorded"
    assert secret not in err


def test_a_finding_on_a_cancelled_occurrence_is_refused_and_a_case_takes_one_by_reference(planned: Qaf, database_url: str, partnership: Framework) -> None:
    with transaction(database_url) as session:
        occurrence_id, cancelled = session.execute(
            select(Occurrence.id, Occurrence.key).join(Task, Task.occurrence_id == Occurrence.id)  # type: ignore[arg-type]
            .where(Occurrence.kind == "activity", Occurrence.financial_year == 2027).order_by(Occurrence.id).limit(1)).one()
        session.execute(update(Task).where(Task.occurrence_id == occurrence_id).values(status="cancelled"))
    args = ["--title", "Quorate", "--summary", "Every partner attended", "--kind", "good-practice", "--theme", _theme(partnership)]
    err = _refused(planned, database_url, "--occurrence", cancelled, *args, "--on", "2028-06-01")
    assert "--occurrence: is a cancelled occurrence" in err
    code, out, err = planned("rapid-review", "start", "--aware", "2027-06-01")
    assert code == 0, err
    reference = out.split()[2].rstrip(".")
    code, out, err = planned("findings", "add", "--case", reference, *args, "--on", "2027-06-20")
    assert code == 0, err
    with transaction(database_url) as session:
        finding = session.execute(select(Finding)).scalar_one()
    assert (finding.case_reference, finding.occurrence_id, finding.activity) == (reference, None, partnership.review_chain.activity)
    # A case reference is not an occurrence key, and the other way round.
    assert "--occurrence: is not the key of any occurrence" in _refused(planned, database_url, "--occurrence", reference, *args)


def _fill(path: Path, rows: list[list[object]]) -> None:
    book = openpyxl.load_workbook(path)
    for row in rows:
        book["Findings"].append(row)
    book.save(path)


def test_a_sheet_is_imported_all_or_nothing_with_located_problems(planned: Qaf, database_url: str, partnership: Framework, tmp_path: Path) -> None:
    key, _ = _subject(partnership)
    theme = _theme(partnership)
    code, out, err = planned("findings", "template", "--output", "findings.xlsx")
    assert code == 0, err
    book = openpyxl.load_workbook(tmp_path / "findings.xlsx")
    sheet = book["Findings"]
    assert [c.value for c in sheet[1]] == ["Occurrence or case", "Title", "Summary", "Kind", "Theme", "Agency", "Likelihood", "Impact"]
    validations = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert validations["D2"] == "=Lists!$A$2:$A$4" and validations["E2"] == f"=Lists!$B$2:$B${len(partnership.document.themes) + 1}"
    assert [book["Lists"].cell(row=i, column=2).value for i in range(2, len(partnership.document.themes) + 2)] == list(partnership.document.themes)
    good = [key, "Good use of chronologies", "Seen in most cases", "good-practice", theme, None, None, None]
    _fill(tmp_path / "findings.xlsx", [
        good,
        [key, "Plans drift", "Reviewed late in 9434765919", "area-for-improvement", theme, None, None, None],
        ["no-such/2027-04", "Plans drift", "ok", "lesson", "no-theme", None, None, None],
        [key, "Escalation unused", "Rarely used", "risk", theme, None, 7, None],
    ])
    before = _counts(database_url)
    code, out, err = planned("findings", "import", "findings.xlsx", "--on", "2027-07-01")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert lines[0] == "qaf: error: findings.xlsx: 6 problems; nothing was imported"
    assert lines[1:] == [
        f'  sheet "Findings", row 3, column C (Summary): {NHS_NUMBER}',
        '  sheet "Findings", row 4, column D (Kind): expected the kind of finding: one of good-practice, area-for-improvement, risk',
        f'  sheet "Findings", row 4, column E (Theme): expected a theme of the framework file: one of {", ".join(list(partnership.document.themes)[:12])}',
        '  sheet "Findings", row 4, column A (Occurrence or case): is neither an occurrence key (such as mape/2027-05, see qaf calendar --json) nor a review case reference (such as RR-2027-004, see qaf cases)',
        '  sheet "Findings", row 5, column G (Likelihood): expected a whole number from 1 to 5 '
        f'(1 {partnership.document.risk_matrix.likelihood[1]}, 5 {partnership.document.risk_matrix.likelihood[5]})',
        '  sheet "Findings", row 5, column H (Impact): is empty: a risk needs its impact, a whole number from 1 to 5',
    ]
    assert "9434765919" not in err and "no-such" not in err and "lesson" not in err
    assert _counts(database_url) == before, "one bad row writes nothing"
    # Corrected: every row is recorded, numbered in order.
    with open(tmp_path / "findings.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Occurrence or case", "Title", "Summary", "Kind", "Theme", "Agency", "Likelihood", "Impact"])
        writer.writerow(good[:5] + ["", "", ""])
        writer.writerow([key, "Escalation unused", "Rarely used", "risk", theme, "", "4", "2"])
    code, out, err = planned("findings", "import", "findings.csv", "--on", "2027-07-01")
    assert code == 0, err
    assert out.strip() == "findings.csv: imported 2 findings: F-2027-0001, F-2027-0002, recorded 01 July 2027."
    with transaction(database_url) as session:
        assert [(f.source, f.kind) for f in session.execute(select(Finding).order_by(Finding.id)).scalars()] == [("import", "good-practice"), ("import", "risk")]
    # A CSV line with a bad value is located by line and column; a missing column is one line.
    header = "Occurrence or case,Title,Summary,Kind,Theme,Agency,Likelihood,Impact\n"
    (tmp_path / "bad.csv").write_text(header + f"{key},T,S,lesson,{theme},,,\n", encoding="utf-8")
    code, out, err = planned("findings", "import", "bad.csv")
    assert code == 2 and err.strip().splitlines() == [
        "qaf: error: bad.csv: 1 problem; nothing was imported",
        '  line 2, column "Kind": expected the kind of finding: one of good-practice, area-for-improvement, risk']
    (tmp_path / "short.csv").write_text("Occurrence or case,Title,Summary,Kind,Theme\n" + f"{key},T,S,risk,{theme}\n", encoding="utf-8")
    code, out, err = planned("findings", "import", "short.csv")
    assert code == 2 and err.strip() == ("qaf: error: short.csv: line 1: is missing the columns Agency, Likelihood, Impact: "
                                         "use the template's header row; nothing was imported")
    (tmp_path / "other.xlsx").write_bytes((tmp_path / "findings.xlsx").read_bytes())
    other = openpyxl.load_workbook(tmp_path / "other.xlsx")
    other["Findings"].title = "Sheet1"
    other.save(tmp_path / "other.xlsx")
    code, _, err = planned("findings", "import", "other.xlsx")
    assert code == 2 and err.strip() == 'qaf: error: other.xlsx: has no sheet named "Findings": use the sheet from qaf findings template; nothing was imported'


def _window_start(url: str, key: str) -> date:
    with transaction(url) as session:
        return session.execute(select(Occurrence.window_start).where(Occurrence.key == key)).scalar_one()


def test_a_day_in_the_future_or_before_the_occurrence_or_case_opened_is_refused(planned: Qaf, database_url: str, partnership: Framework,
                                                                                  tmp_path: Path) -> None:

    from tests.findings.conftest import TODAY

    key, _ = _subject(partnership)
    opened = _window_start(database_url, key)
    good = ["--occurrence", key, "--title", "Plans drift", "--summary", "Reviews late", "--kind", "good-practice", "--theme", _theme(partnership)]
    tomorrow = TODAY + timedelta(days=1)
    err = _refused(planned, database_url, *good, "--on", tomorrow.isoformat())
    assert err.strip() == (f"qaf: error: --on: {tomorrow.isoformat()} is in the future (today is {TODAY.isoformat()}): "
                           "a finding is recorded on or after the day it was learned; nothing was recorded")
    early = opened - timedelta(days=1)
    err = _refused(planned, database_url, *good, "--on", early.isoformat())
    assert err.strip() == (f"qaf: error: --on: {early.isoformat()} is before {key} opened on {opened.isoformat()}: "
                           "a finding is recorded on or after that day; nothing was recorded")
    # Years before (F-2020-... on a 2027 occurrence): refused, not numbered in 2020/21.
    assert "is before" in _refused(planned, database_url, *good, "--on", "2020-06-01")
    code, out, err = planned("rapid-review", "start", "--aware", "2027-06-01")
    assert code == 0, err
    reference = out.split()[2].rstrip(".")
    case = ["--case", reference, *good[2:]]
    err = _refused(planned, database_url, *case, "--on", "2027-05-31")
    assert f"--on: 2027-05-31 is before the service became aware of {reference} on 2027-06-01" in err
    code, out, err = planned("findings", "add", *case, "--on", "2027-06-01")
    assert code == 0 and "F-2027-0001" in out, err
    code, out, err = planned("findings", "add", *good, "--on", opened.isoformat())
    assert code == 0 and "F-2027-0002" in out, err
    # A sheet: a future --on is one line; a row whose occurrence opened after --on is located.
    header = "Occurrence or case,Title,Summary,Kind,Theme,Agency,Likelihood,Impact\n"
    (tmp_path / "sheet.csv").write_text(header + f"{key},T,S,good-practice,{_theme(partnership)},,,\n", encoding="utf-8")
    before = _counts(database_url)
    code, out, err = planned("findings", "import", "sheet.csv", "--on", tomorrow.isoformat())
    assert code == 2 and err.strip() == (f"qaf: error: --on: {tomorrow.isoformat()} is in the future (today is {TODAY.isoformat()}): "
                                         "a finding is recorded on or after the day it was learned; nothing was imported")
    code, out, err = planned("findings", "import", "sheet.csv", "--on", early.isoformat())
    assert code == 2 and err.strip().splitlines() == [
        "qaf: error: sheet.csv: 1 problem; nothing was imported",
        f'  line 2, column "Occurrence or case": {early.isoformat()} is before {key} opened on {opened.isoformat()}: a finding is recorded on or after that day']
    assert _counts(database_url) == before


def test_meetings_and_actions_are_not_subjects_and_a_case_decision_gone_from_the_file_is_the_chains(
        planned: Qaf, database_url: str, partnership: Framework) -> None:
    meeting = next(o.key for o in plan_financial_year(partnership, FinancialYear(2027)) if o.kind == "meeting")
    args = ["--title", "Quorate", "--summary", "Every partner attended", "--kind", "good-practice", "--theme", _theme(partnership), "--on", "2028-06-01"]
    err = _refused(planned, database_url, "--occurrence", meeting, *args)
    assert "--occurrence: is a meeting: findings are reported to meetings, not recorded on them" in err
    activity = next(iter(partnership.activities))
    with transaction(database_url) as session:
        session.add(Occurrence(key="action/A-2027-0001", activity=activity, kind="action", title="An action", financial_year=2027,
                               window_start=date(2027, 6, 1), window_end=date(2027, 9, 30)))
    err = _refused(planned, database_url, "--occurrence", "action/A-2027-0001", *args)
    assert "--occurrence: is an improvement action: record the finding on the activity's occurrence" in err
    code, out, err = planned("rapid-review", "start", "--aware", "2027-06-01")
    assert code == 0, err
    reference = out.split()[2].rstrip(".")
    with transaction(database_url) as session:
        session.execute(update(ReviewCase).where(ReviewCase.reference == reference).values(decision="no-longer-in-the-file"))
    code, out, err = planned("findings", "add", "--case", reference, *args)
    assert code == 0, err
    with transaction(database_url) as session:
        finding = session.execute(select(Finding)).scalar_one()
    assert (finding.case_reference, finding.activity) == (reference, partnership.review_chain.activity)


def test_the_form_path_refuses_a_day_in_the_future_and_a_replayed_attempt_records_once(planned: Qaf, database_url: str, partnership: Framework) -> None:
    from uuid import uuid4

    from tasks.findings import form_key, record_typed

    key, _ = _subject(partnership)
    typed = {"title": "Plans drift", "summary": "Reviews late", "kind": "good-practice", "theme": _theme(partnership)}
    run = uuid4()
    outcome = record_typed.fn(database_url, partnership, key, typed, date(2027, 7, 2), date(2027, 7, 1), "prefect:record-findings", form_key(run, 1))
    assert outcome == {"problems": ["recorded_on: 2027-07-02 is in the future (today is 2027-07-01): a finding is recorded on or after the day it was learned"]}
    early = _window_start(database_url, key) - timedelta(days=1)
    outcome = record_typed.fn(database_url, partnership, key, typed, early, date(2027, 7, 1), "prefect:record-findings", form_key(run, 1))
    assert outcome["problems"][0].startswith(f"recorded_on: {early.isoformat()} is before {key} opened on")  # type: ignore[index]
    assert _counts(database_url)[0] == 0
    on = _window_start(database_url, key)
    first = record_typed.fn(database_url, partnership, key, typed, on, on, "prefect:record-findings", form_key(run, 2))
    again = record_typed.fn(database_url, partnership, key, typed, on, on, "prefect:record-findings", form_key(run, 2))
    assert first == again == {"reference": f"F-{FinancialYear.containing(on).start_year}-0001", "recorded_on": on.isoformat()}
    other = record_typed.fn(database_url, partnership, key, typed, on, on, "prefect:record-findings", form_key(uuid4(), 2))
    assert other["reference"].endswith("-0002")  # type: ignore[union-attr]
    with transaction(database_url) as session:
        keys = [f.derivation_key for f in session.execute(select(Finding).order_by(Finding.id)).scalars()]
        added = session.execute(select(AuditLogEntry).where(AuditLogEntry.action == "finding-added")).scalars().all()
    assert keys[0] == f"form:{run}:2" and len(keys) == 2 and len(added) == 2
