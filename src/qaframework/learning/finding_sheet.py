"""The findings sheet the business unit fills in: its columns, reading it (.xlsx or .csv)
and writing its template (with drop-downs for the kind, the theme and the agency).

One row per finding. The .xlsx is read by the returns' own reader (the same limits: 5 MB,
5,000 rows, no zip bombs; a value outside the table is refused), so every problem names
the sheet, the row and the column and what was expected, never what was typed. A .csv is
the header row then one line per finding (a first line ``[Findings]`` is allowed).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from qaframework.framework import Framework
from qaframework.learning.finding_fields import KINDS, FindingEntry
from qaframework.returns.documents import MAX_ROWS, Row, _clean, _GridReader, _XlsxReader, csv_text, format_of
from qaframework.returns.layout import Column, RowModel, TableSpec
from qaframework.returns.problems import ReturnFileUnreadable

SHEET = "Findings"
LISTS_SHEET = "Lists"
COLUMNS = (
    Column("subject", "Occurrence or case", "the occurrence key (such as mape/2027-05) or the review case reference (such as RR-2027-004)"),
    Column("title", "Title", "what was learned, in a few words (no names, dates of birth or postcodes)"),
    Column("summary", "Summary", "a short summary, at most 1,000 characters (no names, dates of birth or postcodes)"),
    Column("kind", "Kind", "good-practice, area-for-improvement or risk"),
    Column("theme", "Theme", "a theme of the framework file"),
    Column("agency", "Agency", "the agency it is about (optional)"),
    Column("likelihood", "Likelihood", "for a risk: 1 to 5"),
    Column("impact", "Impact", "for a risk: 1 to 5"),
)


class _Any(RowModel):
    """The sheet's rows are checked by :mod:`qaframework.learning.finding_fields`."""


SPEC = TableSpec("findings", SHEET, _Any, COLUMNS)


class _PlainCsvReader(_GridReader):
    """A header row and lines, named by line number and column heading."""

    kind = "section"

    def __init__(self, data: bytes) -> None:
        text = csv_text(data, binary_hint="give the .xlsx or a CSV UTF-8 file")
        rows: list[tuple[int, list[Any]]] = []
        try:
            for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
                cleaned = [_clean(c) for c in cells]
                if not rows and [c for c in cleaned if c is not None] == [f"[{SHEET}]"]:
                    continue
                rows.append((number, cleaned))
                if len(rows) > MAX_ROWS + 50:
                    break
        except csv.Error as exc:
            raise ReturnFileUnreadable("", f"is not valid CSV ({exc}): save it again as CSV UTF-8") from None
        self.grids = {SHEET: rows}

    def _place(self, name: str) -> str:
        return "the file"

    def _row_place(self, name: str, number: int) -> str:
        return f"line {number}"


def read_rows(data: bytes, filename: str) -> list[Row]:
    """The sheet's rows with their places; ReturnFileUnreadable if it is not a findings sheet."""
    fmt = format_of(filename)
    if fmt == "json":
        raise ReturnFileUnreadable("", "is a .json file: findings are imported from the .xlsx of qaf findings template, or a .csv")
    if not data.strip():
        raise ReturnFileUnreadable("", "is empty: fill in the sheet from qaf findings template and import it again")
    try:
        reader: _GridReader = _XlsxReader(data) if fmt == "xlsx" else _PlainCsvReader(data)
    except ReturnFileUnreadable:
        raise
    except Exception:  # noqa: BLE001 - a damaged file can break a parser in any way
        raise ReturnFileUnreadable("", f"could not be read as a .{fmt} file (it is damaged): save it again and import it again") from None
    if not any(name.strip().lower() == SHEET.lower() for name in reader.grids):
        raise ReturnFileUnreadable("", f'has no sheet named "{SHEET}": use the sheet from qaf findings template')
    table = reader.table(SPEC)
    if not table.rows:
        raise ReturnFileUnreadable(table.where, "has no findings: fill in one row per finding under the header row")
    return table.rows


def entry_of(row: Row) -> FindingEntry:
    return FindingEntry(**{c.field: row.values.get(c.field) for c in COLUMNS})


def template_xlsx(framework: Framework) -> bytes:
    """The sheet to fill in: the headers, and drop-downs (with a prompt saying what goes in each column)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS):
        letter = chr(65 + index)
        sheet.column_dimensions[letter].width = 60 if column.field in ("title", "summary") else 24
    lists = book.create_sheet(LISTS_SHEET)
    choices = {
        "kind": list(KINDS),
        "theme": list(framework.document.themes),
        "agency": list(framework.agencies),
        "likelihood": [1, 2, 3, 4, 5],
        "impact": [1, 2, 3, 4, 5],
    }
    lists.append(["Kind", "Theme", "Agency", "Scale"])
    longest = max(len(v) for v in choices.values())
    for i in range(longest):
        lists.append([
            choices["kind"][i] if i < len(choices["kind"]) else None,
            choices["theme"][i] if i < len(choices["theme"]) else None,
            choices["agency"][i] if i < len(choices["agency"]) else None,
            i + 1 if i < 5 else None,
        ])
    source = {"kind": "A", "theme": "B", "agency": "C", "likelihood": "D", "impact": "D"}
    for index, column in enumerate(COLUMNS):
        if column.field not in source:
            continue
        count = len(choices[column.field])
        letter = source[column.field]
        validation = DataValidation(type="list", formula1=f"={LISTS_SHEET}!${letter}$2:${letter}${count + 1}",
                                    allow_blank=column.field in ("agency", "likelihood", "impact"))
        validation.error = f"Choose from the list ({column.help})"
        validation.prompt = column.help
        sheet.add_data_validation(validation)
        target = chr(65 + index)
        validation.add(f"{target}2:{target}{MAX_ROWS + 1}")
    lists.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_csv() -> bytes:
    """The header row of a CSV findings sheet."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([c.header for c in COLUMNS])
    return buffer.getvalue().encode("utf-8")
