"""Malformed returns: each is refused with where the problem is and what was expected,
and kept as one rejected submission.

Every case starts from a real template written by ``qaf returns template TASK``, filled
in so that it is accepted (``test_the_filled_templates_are_accepted`` proves it), then
damaged in one way. ``qaf returns import FILE`` must exit 2 naming the file, store one
rejected submission whose reasons are exactly the expected ones, change no task, and
never quote what was typed.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import create_engine, inspect, text

from qaframework.cli import main
from qaframework.framework import Framework
from qaframework.returns.layout import LAYOUTS

#: The task each base return answers, and its return kind.
TASKS = {
    "case-audit": "multi-agency-audit/2027-04/avon-somerset-police",
    "dataset": "dataset-return/2027-07/somerset-csc",
    "s11": "s11-self-assessment/2026-07/avon-somerset-police",
    "schools": "s175-audit/2028-01/somerset-education",
    "survey": "s11-practitioner-survey/2027-07/avon-somerset-police",
}
KINDS = {"case-audit": "case-audit", "dataset": "dataset", "s11": "s11-self-assessment", "schools": "school-audit", "survey": "survey-results"}
#: Free text written into every base return: no problem may ever quote it.
CANARY = "Zephyrine Oddleigh"


# --- Filling in the templates -------------------------------------------------------------

def _answers(base: str, framework: Framework) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """What to write on each pre-filled row, and the rows to add, by table field."""
    returns = framework.document.returns
    if base == "s11":
        return {"ratings": {"rating": "Fully met", "evidence": f"Board minutes seen; {CANARY} checked them"}}, {}
    if base == "survey":
        return {"results": {"respondents": 40, "positive": 30, "findings": f"Most know how to escalate ({CANARY})"}}, {}
    if base == "dataset":
        return {"values": {"value": 12, "note": f"From the case system ({CANARY})"}}, {}
    if base == "schools":
        return {}, {"schools": [{"school_urn": "123456", "school_name": f"{CANARY} Primary", "standard": s, "compliance": "Compliant"}
                                for s in returns["s175-school-audit"].standards]}
    return {}, {
        "grades": [{"case_number": "MAA-2027-017", "domain": d, "grade": "Good"} for d in returns["multi-agency-case-audit"].domains],
        "learning": [{"case_number": "MAA-2027-017", "theme": f"Early help was offered promptly ({CANARY})"}],
        "actions": [{"action": "Repeat the audit of strategy discussions", "owner": "Head of quality assurance", "due": date(2027, 9, 30)}],
    }


def _fill_xlsx(data: bytes, base: str, framework: Framework) -> bytes:
    update, add = _answers(base, framework)
    book = openpyxl.load_workbook(io.BytesIO(data))
    for spec in LAYOUTS[KINDS[base]]:
        sheet = book[spec.sheet]
        headers = [c.value for c in sheet[1]]
        column = {c.field: headers.index(c.header) + 1 for c in spec.columns}
        for row in range(2, sheet.max_row + 1):
            for name, value in update.get(spec.field, {}).items():
                sheet.cell(row=row, column=column[name]).value = value
        for i, new in enumerate(add.get(spec.field, [])):
            for name, value in new.items():
                sheet.cell(row=2 + i, column=column[name]).value = value
    return _save(book)


def _fill_csv(data: bytes, base: str, framework: Framework) -> bytes:
    update, add = _answers(base, framework)
    lines = _csv_lines(data)
    for spec in LAYOUTS[KINDS[base]]:
        start = lines.index([f"[{spec.sheet}]"])
        headers = lines[start + 1]
        column = {c.field: headers.index(c.header) for c in spec.columns}
        row = start + 2
        while row < len(lines) and any(lines[row]):
            for name, value in update.get(spec.field, {}).items():
                lines[row][column[name]] = str(value)
            row += 1
        for i, new in enumerate(add.get(spec.field, [])):
            cells = [""] * len(headers)
            for name, value in new.items():
                cells[column[name]] = str(value)
            lines.insert(start + 2 + i, cells)
    return _csv_bytes(lines)


def _fill_json(data: bytes, base: str, framework: Framework) -> bytes:
    update, add = _answers(base, framework)
    body = json.loads(data)
    for name, values in update.items():
        for row in body[name]:
            row.update(values)
    for name, rows in add.items():
        body[name] = [{k: str(v) for k, v in r.items()} for r in rows]
    return json.dumps(body, indent=2).encode()


def _save(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv_lines(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _csv_bytes(lines: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(lines)
    return out.getvalue().encode("utf-8-sig")


# --- A planned database, the templates and the filled-in returns, made once -----------------

@dataclass(frozen=True)
class Planned:
    database: Path  # a planned SQLite database: copy it, never write to it
    valid: dict[str, bytes]  # "s11.xlsx" -> a filled-in return that is accepted

    def copy_to(self, folder: Path) -> str:
        target = folder / "qaf.db"
        shutil.copyfile(self.database, target)
        return f"sqlite:///{target}"


def _qaf(*argv: str) -> int:
    return main(list(argv))


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory, framework: Framework) -> Iterator[Planned]:
    folder = tmp_path_factory.mktemp("planned")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("QAF_DATA_DIR", str(folder / "data"))
        env.setenv("QAF_DATABASE_URL", f"sqlite:///{folder / 'planned.db'}")
        assert _qaf("plan", "--fy", "2026", "--as-of", "2026-07-01") == 0
        assert _qaf("plan", "--fy", "2027", "--as-of", "2027-04-01") == 0
        valid = {}
        fill = {"xlsx": _fill_xlsx, "csv": _fill_csv, "json": _fill_json}
        for base, reference in TASKS.items():
            for fmt in ("xlsx", "csv", "json"):
                template = folder / f"{base}-template.{fmt}"
                assert _qaf("returns", "template", reference, "--format", fmt, "--output", str(template)) == 0
                valid[f"{base}.{fmt}"] = fill[fmt](template.read_bytes(), base, framework)
    yield Planned(folder / "planned.db", valid)


# --- Damaging a filled-in return ------------------------------------------------------------

Edit = Callable[[Any], None]  # changes an opened .xlsx (Workbook), .csv (list of lines) or .json (dict) in place


def xset(sheet: str, ref: str, value: Any) -> Edit:
    def edit(book: Any) -> None:
        book[sheet][ref] = value
    return edit


def cset(line: int, header: str, value: str) -> Edit:
    """Set the cell of CSV line ``line`` (1-based) under ``header`` in its section."""
    def edit(lines: list[list[str]]) -> None:
        start = max(i for i in range(line - 1) if len(lines[i]) == 1 and lines[i][0].startswith("["))
        column = lines[start + 1].index(header)
        lines[line - 1] += [""] * (column + 1 - len(lines[line - 1]))
        lines[line - 1][column] = value
    return edit


def cdrop(first: int, last: int, header: str) -> Edit:
    """Remove the column ``header`` from CSV lines ``first`` to ``last`` (its header line first)."""
    def edit(lines: list[list[str]]) -> None:
        column = lines[first - 1].index(header)
        for line in lines[first - 1:last]:
            del line[column]
    return edit


def cdel(line: int) -> Edit:
    def edit(lines: list[list[str]]) -> None:
        del lines[line - 1]
    return edit


def both(*edits: Edit) -> Edit:
    def edit(document: Any) -> None:
        for one in edits:
            one(document)
    return edit


def jset(path: str, value: Any) -> Edit:
    """Set a JSON value by a path such as ``values[0].value``."""
    def edit(body: dict[str, Any]) -> None:
        *parents, last = path.replace("[", ".").replace("]", "").split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return edit


def _open_edit_save(data: bytes, fmt: str, edit: Edit) -> bytes:
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data))
        edit(book)
        return _save(book)
    if fmt == "csv":
        lines = _csv_lines(data)
        edit(lines)
        return _csv_bytes(lines)
    body = json.loads(data)
    edit(body)
    return json.dumps(body, indent=2).encode()


def _zip_bomb(data: bytes) -> bytes:
    """The workbook's own parts, and one more that unpacks to 120 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        with bomb.open("xl/media/image1.bin", "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(120):
                member.write(chunk)
    return out.getvalue()


def _zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _more_survey_rows(book: Any) -> None:
    for _ in range(6000):
        book["Results"].append(["culture-and-challenge", None, 1, 1, None])


OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" + bytes(64)

ABOUT_TASK = {"xlsx": 'sheet "About", row 3, column B (task)', "csv": 'section [About], line 4, column "task"', "json": "task"}
ABOUT_AGENCY = {"xlsx": 'sheet "About", row 4, column B (agency)', "csv": 'section [About], line 5, column "agency"', "json": "agency"}
MAA = TASKS["case-audit"]
S11_COLUMNS = "the columns are Domain, Standard, Standard wording, Rating, Evidence"
NOT_XLSX = "is not an Excel .xlsx workbook (the file is damaged or of another kind): fill in the template"
EMPTY = "is empty: fill in the template from qaf returns template TASK and send it again"


@dataclass(frozen=True)
class Case:
    id: str
    base: str  # the filled-in return it starts from: "s11.xlsx"
    problems: list[tuple[str, str]] | Callable[[bytes], list[tuple[str, str]]]  # (where exactly, part of what was expected)
    edit: Edit | None = None  # damage to the opened file
    raw: Callable[[bytes], bytes] | None = None  # damage to its bytes
    typed: str | None = None  # the bad value typed: never quoted back
    name: str | None = None  # the file's name (default: the case id and the base's extension)
    matched: bool = True  # the submission is still matched to the base's task
    cancel: bool = False  # cancel the base's task first

    @property
    def fmt(self) -> str:
        return self.base.rpartition(".")[2]

    def build(self, planned: Planned) -> tuple[bytes, str]:
        data = planned.valid[self.base]
        if self.edit is not None:
            data = _open_edit_save(data, self.fmt, self.edit)
        if self.raw is not None:
            data = self.raw(data)
        return data, self.name or f"{self.id}.{self.fmt}"

    def expected(self, data: bytes) -> list[tuple[str, str]]:
        return self.problems(data) if callable(self.problems) else self.problems


def _cp1252(data: bytes) -> bytes:
    """The survey as Excel's plain "CSV" saves it on Windows: cp1252, no byte order mark."""
    return data.decode("utf-8-sig").replace("Most know how to escalate", "Training cost £40 a head", 1).encode("cp1252")


def _not_utf8(data: bytes) -> list[tuple[str, str]]:
    pound = data.index("£".encode("cp1252")) + 1
    return [("", f"is not UTF-8 text (byte {pound}): in Excel use Save As, CSV UTF-8 (.csv)")]


CASES = [
    # The file's make-up: sheets, sections and columns.
    # The workbook's sheets: About, the tables, and the hidden Lists of its drop-downs.
    Case("xlsx-sheet-renamed", "case-audit.xlsx", [("", 'has no sheet named "Grades" (5 others): use the template')],
         edit=lambda book: setattr(book["Grades"], "title", "Grade")),
    Case("xlsx-about-sheet-missing", "s11.xlsx", [("", 'has no sheet named "About" (3 others)')],
         edit=lambda book: book.remove(book["About"]), matched=False),
    Case("csv-section-missing", "dataset.csv", [("", 'has no section named "Values" (2 others)')],
         edit=lambda lines: lines.__setitem__(11, ["[Value]"])),
    Case("xlsx-column-missing", "s11.xlsx", [('sheet "Ratings", row 1', "is missing the column Rating: use the template's header row")],
         edit=lambda book: book["Ratings"].delete_cols(4)),
    Case("csv-column-missing", "survey.csv", [("section [Results], line 13", "is missing the column Positive")],
         edit=cdrop(13, 19, "Positive")),
    Case("xlsx-column-unknown", "s11.xlsx", [('sheet "Ratings", row 1, column F', f"is not a column of this return: {S11_COLUMNS}")],
         edit=both(xset("Ratings", "F1", "Child named Wilhelmina Smith"), xset("Ratings", "F2", "Wilhelmina Smith")), typed="Wilhelmina Smith"),
    Case("xlsx-header-row-deleted", "case-audit.xlsx", [('sheet "Grades", row 1, column A', "is not a column of this return: the columns are Case number, Domain, Grade")],
         edit=both(xset("Grades", "A2", "Wilhelmina Smith"), lambda book: book["Grades"].delete_rows(1)), typed="Wilhelmina Smith"),
    Case("xlsx-column-repeated", "s11.xlsx", [('sheet "Ratings", row 1, column F (Evidence)', 'repeats the column "Evidence": each column may appear once')],
         edit=xset("Ratings", "F1", "evidence")),
    Case("csv-value-beyond-last-column", "survey.csv", [("section [Results], line 15, column F", "has a value beyond the last column")],
         edit=lambda lines: lines[14].append("Wilhelmina Smith"), typed="Wilhelmina Smith"),
    # Cell types.
    Case("csv-text-in-whole-number", "survey.csv", [('section [Results], line 14, column "Respondents"', "expected a whole number, such as 12")],
         edit=cset(14, "Respondents", "forty"), typed="forty"),
    Case("xlsx-text-in-number", "dataset.xlsx", [('sheet "Values", row 3, column E (Value)', "expected a number, such as 12.5")],
         edit=xset("Values", "E3", "about 40"), typed="about 40"),
    Case("xlsx-due-day-that-does-not-exist", "case-audit.xlsx", [('sheet "Actions", row 2, column C (Due)', "expected a real date written YYYY-MM-DD or DD/MM/YYYY")],
         edit=xset("Actions", "C2", "2027-02-30"), typed="2027-02-30"),
    Case("csv-due-uk-date-that-does-not-exist", "s11.csv", [('section [Actions], line 29, column "Due"', "expected a real date: this day does not exist")],
         edit=lambda lines: lines.append(["leadership-and-governance", "senior-lead", "Refresh the policy", "Head of safeguarding", "31/04/2027"]),
         typed="31/04/2027"),
    Case("json-due-day-that-does-not-exist", "case-audit.json", [("actions[0].due", "expected a real date written YYYY-MM-DD or DD/MM/YYYY")],
         edit=jset("actions[0].due", "2027-02-30"), typed="2027-02-30"),
    # The About sheet: which task, return type and agency.
    Case("xlsx-agency-unknown", "case-audit.xlsx", [(ABOUT_AGENCY["xlsx"], f"expected avon-somerset-police: task {MAA} belongs to that agency")],
         edit=xset("About", "B4", "wilhelmina-smith"), typed="wilhelmina-smith"),
    Case("csv-agency-and-task-unknown", "case-audit.csv",
         [(ABOUT_TASK["csv"], "no agency task has this reference: see qaf returns status"),
          (ABOUT_AGENCY["csv"], "is not an agency of the partnership: expected one of avon-somerset-police, ")],
         edit=both(cset(4, "value", "multi-agency-audit/2027-04/wilhelmina-smith"), cset(5, "value", "wilhelmina-smith")),
         typed="wilhelmina-smith", matched=False),
    Case("xlsx-agency-not-the-tasks", "case-audit.xlsx", [(ABOUT_AGENCY["xlsx"], f"expected avon-somerset-police: task {MAA} belongs to that agency")],
         edit=xset("About", "B4", "somerset-csc"), typed="somerset-csc"),
    Case("json-task-unknown", "dataset.json", [(ABOUT_TASK["json"], "no agency task has this reference: see qaf returns status")],
         edit=jset("task", "dataset-return/2027-07/wilhelmina-smith"), typed="wilhelmina-smith", matched=False),
    Case("xlsx-return-type-not-the-tasks", "case-audit.xlsx",
         [('sheet "About", row 2, column B (return_type)', f"expected multi-agency-case-audit: task {MAA} takes the multi-agency-case-audit return")],
         edit=xset("About", "B2", "sscp-dataset"), typed="sscp-dataset"),
    Case("xlsx-about-task-missing", "case-audit.xlsx", [('sheet "About"', 'has no row "task": give the task reference, such as')],
         edit=lambda book: book["About"].delete_rows(3), matched=False),
    Case("csv-about-task-empty", "dataset.csv", [(ABOUT_TASK["csv"], "is empty: give the task reference, such as")],
         edit=cset(4, "value", "  "), matched=False),
    Case("json-about-task-missing", "s11.json", [("task", "is missing: give the task reference, such as")],
         edit=lambda body: body.pop("task"), matched=False),
    Case("xlsx-task-cancelled", "case-audit.xlsx", [(ABOUT_TASK["xlsx"], f"task {MAA} is cancelled: nothing is owed for it; ask the business unit")],
         cancel=True),
    # Files that are not returns at all.
    Case("xlsx-0-bytes", "dataset.xlsx", [("", EMPTY)], raw=lambda data: b"", matched=False),
    Case("csv-whitespace-only", "dataset.csv", [("", EMPTY)], raw=lambda data: b" \r\n\t\r\n   \n", matched=False),
    Case("csv-over-5-mb", "dataset.csv", [("", "is 5.5 MB: a return may be at most 5 MB; remove pictures or extra sheets")],
         raw=lambda data: data + b"x" * (5 * 1024 * 1024 + 512 * 1024 - len(data)), matched=False),
    Case("xlsx-png-bytes", "dataset.xlsx", [("", NOT_XLSX)], raw=lambda data: PNG, matched=False),
    Case("pdf-extension", "dataset.xlsx", [("", "has the extension .pdf: returns are .xlsx, .csv or .json files")],
         raw=lambda data: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", name="return.pdf", matched=False),
    Case("xls-extension", "dataset.xlsx", [("", "is a .xls file: save it as an Excel workbook (.xlsx) or as CSV UTF-8 (.csv)")],
         raw=lambda data: OLE_HEADER, name="return.xls", matched=False),
    Case("xlsx-random-bytes", "dataset.xlsx", [("", NOT_XLSX)], raw=lambda data: random.Random(7).randbytes(4096), matched=False),
    Case("xlsx-truncated", "dataset.xlsx", [("", NOT_XLSX)], raw=lambda data: data[: len(data) // 2], matched=False),
    Case("xlsx-old-excel-or-password", "dataset.xlsx", [("", "is an old-style or password-protected Excel file: remove the password")],
         raw=lambda data: OLE_HEADER, matched=False),
    Case("xlsx-zip-of-something-else", "dataset.xlsx", [("", "is not an Excel .xlsx workbook openpyxl can read")],
         raw=lambda data: _zip_of({"notes.txt": b"Wilhelmina Smith"}), typed="Wilhelmina Smith", matched=False),
    Case("xlsx-zip-bomb", "dataset.xlsx", [("", "unpacks to 120 MB: a return may unpack to at most 100 MB")], raw=_zip_bomb, matched=False),
    Case("csv-cp1252", "survey.csv", _not_utf8, raw=_cp1252, typed="£40", matched=False),
    Case("csv-text-before-about", "dataset.csv", [("line 1", "comes before the first section: a CSV return starts with the line [About]")],
         raw=lambda data: b"Return from Wilhelmina Smith\r\n" + data, typed="Wilhelmina Smith", matched=False),
    Case("json-syntax-error", "dataset.json", [("line 3, column 3", "is not valid JSON: Expecting ',' delimiter")],
         raw=lambda data: data.replace(b'",\n  "task"', b'"\n  "task"', 1), matched=False),
    Case("json-top-level-list", "dataset.json", [("", "is not a JSON object: a JSON return is an object with return_type, task, agency")],
         raw=lambda data: b"[" + data + b"]", matched=False),
    Case("json-unknown-field", "s11.json", [("ratings[0].child_name", "is not a field of this return: the fields are domain, standard, rating, evidence")],
         edit=jset("ratings[0].child_name", "Wilhelmina Smith"), typed="Wilhelmina Smith"),
    # The framework's rules.
    Case("csv-negative-count", "dataset.csv", [('section [Values], line 15, column "Value"', "expected a whole number, 0 or more")],
         edit=cset(15, "Value", "-3"), typed="-3"),
    Case("xlsx-percent-over-100", "dataset.xlsx", [('sheet "Values", row 6, column E (Value)', "expected a percentage from 0 to 100")],
         edit=xset("Values", "E6", 140), typed="140"),
    Case("json-fractional-count", "dataset.json", [("values[0].value", "expected a whole number, 0 or more")],
         edit=jset("values[0].value", 12.5), typed="12.5"),
    Case("xlsx-case-number-is-a-name", "case-audit.xlsx",
         [('sheet "Grades", row 3, column A (Case number)', "expected a pseudonymous case number such as MAA-2027-017: never a name")],
         edit=xset("Grades", "A3", "Wilhelmina Smith"), typed="Wilhelmina Smith"),
    Case("xlsx-case-number-is-an-nhs-number", "case-audit.xlsx",
         [('sheet "Grades", row 2, column A (Case number)', "looks like an NHS number: give only the audit's pseudonymous case number")],
         edit=xset("Grades", "A2", 9434765919), typed="9434765919"),
    Case("csv-case-number-is-a-spaced-nhs-number", "case-audit.csv",
         [('section [Learning], line 21, column "Case number"', "looks like an NHS number: give only the audit's pseudonymous case number")],
         edit=cset(21, "Case number", "943 476 5919"), typed="943 476 5919"),
    Case("xlsx-school-urn-5-digits", "schools.xlsx", [('sheet "Schools", row 4, column A (School URN)', "expected the school's 6-digit URN, such as 123456")],
         edit=xset("Schools", "A4", 98765), typed="98765"),
    Case("csv-positive-over-respondents", "survey.csv", [('section [Results], line 16, column "Positive"', "expected no more than the number of respondents")],
         edit=cset(16, "Positive", "55"), typed="55"),
    Case("xlsx-standard-rated-twice", "s11.xlsx",
         [('sheet "Ratings", row 14, column B (Standard)', "rates leadership-and-governance / senior-lead a second time: rate each standard once")],
         edit=lambda book: book["Ratings"].append(["leadership-and-governance", "senior-lead", None, "Not met", "Second opinion"])),
    Case("csv-standard-not-rated", "s11.csv", [("section [Ratings]", "does not rate commissioning-and-quality / quality-assurance: rate every standard")],
         edit=cdel(19)),
    Case("json-partially-met-without-action", "s11.json",
         [("actions", "has no action for resource-and-workforce-management / safer-recruitment, rated Partially met: add one")],
         edit=jset("ratings[8].rating", "Partially met")),
    Case("xlsx-not-met-without-action", "s11.xlsx",
         [('sheet "Actions"', "has no action for culture-and-challenge / escalation, rated Not met: add one (what, owner, due date)")],
         edit=xset("Ratings", "D13", "not met")),
    Case("xlsx-measure-unknown", "dataset.xlsx", [('sheet "Values", row 2, column A (Measure)', "expected a measure this agency provides: child-protection-plans, children-in-need,")],
         edit=xset("Values", "A2", "number-of-unicorns"), typed="number-of-unicorns"),
    Case("csv-measure-of-another-agency", "dataset.csv", [('section [Values], line 14, column "Measure"', "expected a measure this agency provides: ")],
         edit=cset(14, "Measure", "camhs-referrals"), typed="camhs-referrals"),
    Case("xlsx-period-wrong", "dataset.xlsx", [('sheet "Values", row 2, column D (Period)', "expected 2027/28 Q1: the period this return covers for children-in-need")],
         edit=xset("Values", "D2", "2027/28 Q2"), typed="2027/28 Q2"),
    Case("json-month-wrong", "dataset.json", [("values[1].period", "expected 2027-04 or 2027-05 or 2027-06: the periods this return covers for referrals")],
         edit=jset("values[1].period", "2027-07"), typed="2027-07"),
    Case("xlsx-no-rows", "dataset.xlsx", [('sheet "Values"', "has no rows: fill in at least one, as the template shows")],
         edit=lambda book: book["Values"].delete_rows(2, 10)),
    Case("json-no-rows", "s11.json", [("ratings", "has no rows: fill in at least one")], edit=jset("ratings", [])),
    Case("xlsx-too-many-rows", "survey.xlsx", [('sheet "Results"', "has more than 5000 rows: a return may have at most 5000 in one sheet")],
         edit=_more_survey_rows),
    Case("csv-too-many-rows", "dataset.csv", [("section [Values]", "has more than 5000 rows: a return may have at most 5000 in one section")],
         edit=lambda lines: lines.extend([["children-in-need", "", "", "2027/28 Q1", "1", ""]] * 5100)),
    Case("json-too-many-rows", "survey.json", [("results", "has 5004 rows: a return may have at most 5000")],
         edit=lambda body: body.update(results=body["results"] * 834)),
]


# --- What the database holds ----------------------------------------------------------------

@dataclass(frozen=True)
class State:
    counts: dict[str, int]
    tasks: list[tuple[Any, ...]]
    submissions: list[tuple[Any, ...]]  # (id, task_id, status, reasons)


def _state(url: str) -> State:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            counts = {t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in inspect(connection).get_table_names()}
            tasks = [tuple(r) for r in connection.execute(text("SELECT * FROM task ORDER BY id"))]
            submissions = [tuple(r) for r in connection.execute(text("SELECT id, task_id, status, reasons FROM return_submission ORDER BY id"))]
    finally:
        engine.dispose()
    return State(counts, tasks, submissions)


def _execute(url: str, statement: str, **params: Any) -> Any:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def _task_id(url: str, reference: str) -> int:
    occurrence, _, agency = reference.rpartition("/")
    return _execute(url, "SELECT t.id FROM task t JOIN occurrence o ON o.id = t.occurrence_id WHERE o.key = :o AND t.assignee_key = :a",
                    o=occurrence, a=agency)


def _import(url: str, path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    monkeypatch.setenv("QAF_DATABASE_URL", url)
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / "data"))
    capsys.readouterr()
    code = main(["returns", "import", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


# --- The tests ------------------------------------------------------------------------------

def test_cases_are_distinct_and_cover_every_format_and_kind() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 32
    assert {c.fmt for c in CASES} == {"xlsx", "csv", "json"}
    assert {c.base.partition(".")[0] for c in CASES} == set(TASKS)
    assert set(ON_POSTGRES) <= {c.id for c in CASES}


@pytest.mark.parametrize("base", [f"{b}.{f}" for b in TASKS for f in ("xlsx", "csv", "json")])
def test_the_filled_templates_are_accepted(base: str, planned: Planned, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The control: every case below differs from one of these by its one damage."""
    url = planned.copy_to(tmp_path)
    path = tmp_path / f"return.{base.rpartition('.')[2]}"
    path.write_bytes(planned.valid[base])
    reference = TASKS[base.partition(".")[0]]
    code, out, err = _import(url, path, tmp_path, monkeypatch, capsys)
    assert (code, err) == (0, ""), err
    assert out.startswith(f"{path}: accepted as version 1 of {reference} (")
    assert _execute(url, "SELECT status FROM task WHERE id = :i", i=_task_id(url, reference)) == "submitted"


def _check_refused(case: Case, url: str, tmp_path: Path, data: bytes, name: str, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    """Import the damaged file; it must be refused as the case says, and change nothing else."""
    task_id = _task_id(url, TASKS[case.base.partition(".")[0]])
    if case.cancel:
        _execute(url, "UPDATE task SET status = 'cancelled' WHERE id = :i", i=task_id)
    path = tmp_path / name
    path.write_bytes(data)
    before = _state(url)

    code, out, err = _import(url, path, tmp_path, monkeypatch, capsys)

    after = _state(url)
    expected = case.expected(data)
    assert code == 2, out + err
    assert out == ""
    count = len(expected)
    assert err.startswith(f"qaf: error: {path}: rejected, {count} problem{'s' if count != 1 else ''}; kept as submission "), err
    # One row is written: the rejected submission (and its line in the audit log).
    assert after.counts == {**before.counts, "return_submission": before.counts["return_submission"] + 1,
                            "audit_log": before.counts["audit_log"] + 1}
    assert after.tasks == before.tasks
    assert after.submissions[:-1] == before.submissions
    _, stored_task, status, reasons_json = after.submissions[-1]
    assert status == "rejected"
    assert stored_task == (task_id if case.matched else None)
    assert not [s for s in after.submissions if s[2] == "accepted"]
    reasons = json.loads(reasons_json)
    assert [r["where"] for r in reasons] == [where for where, _ in expected], reasons
    for reason, (_, part) in zip(reasons, expected):
        assert part in reason["expected"], reason
        assert (f"  {reason['where']}: {reason['expected']}" if reason["where"] else f"  {reason['expected']}") in err.splitlines()
    printed = err.replace(str(path), "FILE")  # the temporary folder's name may hold digits such as 55
    for typed in filter(None, (case.typed, CANARY)):
        assert typed not in reasons_json and typed not in printed, f"{typed!r} was quoted back"


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_malformed_return_is_refused_with_its_place_and_kept(case: Case, planned: Planned, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data, name = case.build(planned)
    _check_refused(case, planned.copy_to(tmp_path), tmp_path, data, name, monkeypatch, capsys)


ON_POSTGRES = ["xlsx-task-cancelled", "json-task-unknown", "xlsx-case-number-is-a-name", "xlsx-png-bytes", "csv-negative-count"]


@pytest.mark.postgres
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES if c.id in ON_POSTGRES])
def test_malformed_return_is_refused_on_postgresql(case: Case, planned: Planned, postgres_url: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QAF_DATABASE_URL", postgres_url)
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / "data"))
    assert main(["plan", "--fy", "2027", "--as-of", "2027-04-01"]) == 0
    data, name = case.build(planned)
    _check_refused(case, postgres_url, tmp_path, data, name, monkeypatch, capsys)
