"""Reading a return file (.xlsx, .csv or .json) into rows that know where they came from.

Every value keeps its place (sheet, row and column; CSV line and column; JSON field), so
a problem found later can say exactly where it is. Nothing here knows the framework:
:mod:`qaframework.returns.validation` decides what the values must be.

A .csv return is the workbook's sheets one after another, each opened by a line holding
only its name in brackets (``[Ratings]``), then its header row, then its rows; that is
what ``qaf returns template TASK --format csv`` writes.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

from qaframework.errors import UntrustedInputError
from qaframework.returns.layout import ABOUT_SHEET, TableSpec, normalise_header
from qaframework.returns.problems import ReturnFileUnreadable
from qaframework.untrusted import checked_text

#: A return larger than this is refused unread (a dataset return is a few kilobytes).
MAX_BYTES = 5 * 1024 * 1024
#: An .xlsx that unpacks to more than this is refused (a "zip bomb" would fill the disk).
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
#: No table of a return has more rows than this.
MAX_ROWS = 5000
FORMATS = ("xlsx", "csv", "json")


@dataclass(frozen=True)
class Row:
    """One row's values by field, and how to name where each value is."""

    values: dict[str, Any]
    place: str  # 'sheet "Ratings", row 5' or 'ratings[3]'
    columns: dict[str, str] = field(default_factory=dict)  # field -> 'column C (Rating)' or 'rating'
    json_style: bool = False

    def where(self, name: str | None = None) -> str:
        if name is None:
            return self.place
        label = self.columns.get(name, name)
        return f"{self.place}.{label}" if self.json_style else f"{self.place}, {label}"


@dataclass(frozen=True)
class Table:
    spec: TableSpec
    rows: list[Row]
    where: str  # 'sheet "Ratings"' or 'ratings'


@dataclass(frozen=True)
class Document:
    """A return file as read: what the About sheet says, and a way to read its tables."""

    format: str
    about: dict[str, tuple[Any, str]]  # field -> (value, where)
    reader: "_Reader"

    def table(self, spec: TableSpec) -> Table:
        return self.reader.table(spec)


def format_of(filename: str) -> str:
    suffix = PurePath(filename).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    if suffix in ("xls", "xlsm", "ods", "numbers"):
        raise ReturnFileUnreadable("", f"is a .{suffix} file: save it as an Excel workbook (.xlsx) or as CSV UTF-8 (.csv) and send it again")
    raise ReturnFileUnreadable("", f"has the extension {('.' + suffix) if suffix else '(none)'}: returns are .xlsx, .csv or .json files")


def read_document(data: bytes, filename: str, size: int | None = None) -> Document:
    """Open a return file; raise ReturnFileUnreadable if it cannot be a return at all.

    ``size`` is the file's size when ``data`` is only its first bytes (a file over the
    limit is never read whole)."""
    fmt = format_of(filename)
    size = len(data) if size is None else size
    if size > MAX_BYTES:
        raise ReturnFileUnreadable("", f"is {size / 1048576:.1f} MB: a return may be at most {MAX_BYTES // 1048576} MB; remove pictures or extra sheets and send it again")
    if not data.strip():
        raise ReturnFileUnreadable("", "is empty: fill in the template from qaf returns template TASK and send it again")
    try:
        reader: _Reader = {"xlsx": _XlsxReader, "csv": _CsvReader, "json": _JsonReader}[fmt](data)
    except ReturnFileUnreadable:
        raise
    except Exception:  # noqa: BLE001 - a damaged file can break a parser in any way; it is still kept
        raise ReturnFileUnreadable("", f"could not be read as a .{fmt} return (it is damaged, or nested too deeply): save it again from the template and send it again") from None
    return Document(fmt, reader.about(), reader)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, datetime) and (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return value.date()
    return value


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


class _Reader:
    def about(self) -> dict[str, tuple[Any, str]]:
        raise NotImplementedError

    def table(self, spec: TableSpec) -> Table:
        raise NotImplementedError


class _GridReader(_Reader):
    """Shared by .xlsx and .csv: named grids of cells, a header row, then data rows."""

    kind = "sheet"
    grids: dict[str, list[tuple[int, list[Any]]]]  # name -> (row or line number, cells)

    def _place(self, name: str) -> str:
        return f'{self.kind} "{name}"' if self.kind == "sheet" else f"section [{name}]"

    def _row_place(self, name: str, number: int) -> str:
        return f'{self._place(name)}, {"row" if self.kind == "sheet" else "line"} {number}'

    def _column_label(self, index: int, header: str) -> str:
        return f"column {_column_letter(index)} ({header})" if self.kind == "sheet" else f'column "{header}"'

    def _grid(self, name: str) -> tuple[str, list[tuple[int, list[Any]]]]:
        for actual, rows in self.grids.items():
            if actual.strip().lower() == name.lower():
                return actual, rows
        # The names found are not quoted back: a partner may have named a sheet after a child.
        found = f"{len(self.grids)} other{'s' if len(self.grids) != 1 else ''}" if self.grids else "none at all"
        raise ReturnFileUnreadable("", f'has no {self.kind} named "{name}" ({found}): use the template from qaf returns template TASK')

    def about(self) -> dict[str, tuple[Any, str]]:
        actual, rows = self._grid(ABOUT_SHEET)
        found: dict[str, tuple[Any, str]] = {}
        for number, cells in rows:
            if len(cells) >= 2 and cells[0] is not None:
                found[normalise_header(cells[0])] = (cells[1], f"{self._row_place(actual, number)}, {self._column_label(1, str(cells[0]))}")
        return found

    def table(self, spec: TableSpec) -> Table:
        actual, rows = self._grid(spec.sheet)
        where = self._place(actual)
        data_rows = [(n, cells) for n, cells in rows if any(c is not None for c in cells)]
        if not data_rows:
            raise ReturnFileUnreadable(where, "has no header row: the first row names the columns, as in the template")
        header_number, header = data_rows[0]
        known = {normalise_header(c.header): c for c in spec.columns} | {normalise_header(c.field): c for c in spec.columns}
        positions: dict[str, int] = {}
        labels: dict[str, str] = {}
        for index, text in enumerate(header):
            if text is None:
                continue
            column = known.get(normalise_header(text))
            if column is None:
                # Not quoted: with the header row deleted, the "header" is a row of data.
                expected = ", ".join(c.header for c in spec.columns)
                raise ReturnFileUnreadable(f"{self._row_place(actual, header_number)}, column {_column_letter(index)}",
                                           f"is not a column of this return: the columns are {expected}")
            if column.field in positions:
                raise ReturnFileUnreadable(f"{self._row_place(actual, header_number)}, {self._column_label(index, column.header)}",
                                           f'repeats the column "{column.header}": each column may appear once')
            if not column.info:
                positions[column.field] = index
                labels[column.field] = self._column_label(index, column.header)
        missing = [c.header for c in spec.data_columns() if c.field not in positions]
        if missing:
            raise ReturnFileUnreadable(f"{self._row_place(actual, header_number)}", f"is missing the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}: use the template's header row")
        body = data_rows[1:]
        if len(body) > MAX_ROWS:
            # Reading stops a little past the limit, so the count read is not the sheet's.
            raise ReturnFileUnreadable(where, f"has more than {MAX_ROWS} rows: a return may have at most {MAX_ROWS} in one {self.kind}")
        # A value outside the table (right of the last heading, or under no heading) is
        # refused, never dropped: a spreadsheet pads every row to its widest one.
        last = max(i for i, text in enumerate(header) if text is not None)
        out = []
        for number, cells in body:
            values = {f: (cells[i] if i < len(cells) else None) for f, i in positions.items()}
            outside = [i for i, c in enumerate(cells) if c is not None and (i > last or header[i] is None)]
            if outside:
                beyond = outside[0] > last
                raise ReturnFileUnreadable(f"{self._row_place(actual, number)}, column {_column_letter(outside[0])}",
                                           f"has a value {'beyond the last column' if beyond else 'in a column with no heading'}: "
                                           "put it in a named column or remove it")
            out.append(Row({f: v for f, v in values.items() if v is not None}, self._row_place(actual, number), labels))
        return Table(spec, out, where)


class _XlsxReader(_GridReader):
    kind = "sheet"

    def __init__(self, data: bytes) -> None:
        import openpyxl

        buffer = io.BytesIO(data)
        try:
            with zipfile.ZipFile(buffer) as archive:
                unpacked = sum(i.file_size for i in archive.infolist())
        except zipfile.BadZipFile:
            if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
                raise ReturnFileUnreadable("", "is an old-style or password-protected Excel file: remove the password and save it as .xlsx") from None
            raise ReturnFileUnreadable("", "is not an Excel .xlsx workbook (the file is damaged or of another kind): fill in the template from qaf returns template TASK") from None
        if unpacked > MAX_UNPACKED_BYTES:
            raise ReturnFileUnreadable("", f"unpacks to {unpacked / 1048576:.0f} MB: a return may unpack to at most {MAX_UNPACKED_BYTES // 1048576} MB")
        try:
            book = openpyxl.load_workbook(buffer, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
            raise ReturnFileUnreadable("", "is not an Excel .xlsx workbook openpyxl can read (it may be damaged): save it again from Excel as .xlsx") from None
        try:
            self.grids = {}
            for sheet in book.worksheets:
                rows: list[tuple[int, list[Any]]] = []
                for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                    rows.append((number, [_clean(c) for c in cells]))
                    if number > MAX_ROWS + 50:
                        break
                self.grids[sheet.title] = rows
        finally:
            book.close()


def csv_text(data: bytes, *, binary_hint: str = "returns are .xlsx, .csv or .json files") -> str:
    """A CSV file's text: UTF-8 (a byte-order mark allowed) without NUL, or
    ReturnFileUnreadable (``binary_hint`` says what to give instead of binary data)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReturnFileUnreadable("", f"is not UTF-8 text (byte {exc.start + 1}): in Excel use Save As, CSV UTF-8 (.csv)") from None
    if "\x00" in text:
        raise ReturnFileUnreadable("", f"is not a CSV text file (it holds binary data): {binary_hint}")
    return text


class _CsvReader(_GridReader):
    kind = "section"

    def __init__(self, data: bytes) -> None:
        text = csv_text(data)
        self.grids = {}
        current: list[tuple[int, list[Any]]] | None = None
        try:
            for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
                cleaned = [_clean(c) for c in cells]
                filled = [c for c in cleaned if c is not None]
                if len(filled) == 1 and cleaned[0] is not None and str(cleaned[0]).startswith("[") and str(cleaned[0]).endswith("]"):
                    current = self.grids.setdefault(str(cleaned[0])[1:-1].strip(), [])
                    continue
                if current is None:
                    if filled:
                        raise ReturnFileUnreadable(f"line {number}", "comes before the first section: a CSV return starts with the line [About], as in the template")
                    continue
                if len(current) <= MAX_ROWS + 50:  # enough to say the section is too long, as for a sheet
                    current.append((number, cleaned))
        except csv.Error as exc:
            raise ReturnFileUnreadable("", f"is not valid CSV ({exc}): save it again as CSV UTF-8") from None


class _Object(dict):  # type: ignore[type-arg]
    """A JSON object as parsed, remembering a key it was given twice."""

    repeated: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                found.repeated = key
                break
            seen.add(key)
    return found


#: A key is named in a problem only if it looks like a field name (not like a person's).
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")


def _json_problem(data: Any) -> ReturnFileUnreadable | None:
    """The first key given twice, or text no database can store (a ``\\u0000`` or lone
    surrogate escape), with its place; the walk is iterative, so depth cannot break it."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, place = stack.pop()
        if isinstance(value, str):
            try:
                checked_text(value, field="")
            except UntrustedInputError:
                return ReturnFileUnreadable(place, "holds a character that cannot be stored (a NUL, or half of a \\u surrogate pair): remove it")
        elif isinstance(value, dict):
            if getattr(value, "repeated", None) is not None:
                key = value.repeated
                named = f"{place}.{key}" if place else key
                return ReturnFileUnreadable(named if _FIELD_NAME.fullmatch(key) else place, "is given twice: give each field once")
            for key, item in reversed(value.items()):  # reversed: the first problem in the file is found first
                name = key if _FIELD_NAME.fullmatch(key) else "(a field)"
                stack.append((item, f"{place}.{name}" if place else name))
                stack.append((key, place))
        elif isinstance(value, list):
            stack.extend((item, f"{place}[{i}]") for i, item in reversed(list(enumerate(value))))
    return None


class _JsonReader(_Reader):
    def __init__(self, data: bytes) -> None:
        try:
            self.data = json.loads(data.decode("utf-8-sig"), object_pairs_hook=_object)
        except UnicodeDecodeError:
            raise ReturnFileUnreadable("", "is not UTF-8 text: a JSON return is UTF-8") from None
        except json.JSONDecodeError as exc:
            raise ReturnFileUnreadable(f"line {exc.lineno}, column {exc.colno}", f"is not valid JSON: {exc.msg}") from None
        problem = _json_problem(self.data)
        if problem is not None:
            raise problem
        if not isinstance(self.data, dict):
            raise ReturnFileUnreadable("", "is not a JSON object: a JSON return is an object with return_type, task, agency and its tables")

    def about(self) -> dict[str, tuple[Any, str]]:
        return {normalise_header(k): (_clean(v), k) for k, v in self.data.items() if not isinstance(v, list)}

    def table(self, spec: TableSpec) -> Table:
        rows = self.data.get(spec.field, [])
        if not isinstance(rows, list):
            raise ReturnFileUnreadable(spec.field, "expected a list of objects, one a row")
        if len(rows) > MAX_ROWS:
            raise ReturnFileUnreadable(spec.field, f"has {len(rows)} rows: a return may have at most {MAX_ROWS}")
        out = []
        for i, item in enumerate(rows):
            if not isinstance(item, dict):
                raise ReturnFileUnreadable(f"{spec.field}[{i}]", "expected an object of column names and values")
            known = {c.field for c in spec.columns}
            unknown = sorted(k for k in item if k not in known)
            if unknown:
                raise ReturnFileUnreadable(f"{spec.field}[{i}].{unknown[0]}", f"is not a field of this return: the fields are {', '.join(c.field for c in spec.data_columns())}")
            values = {k: _clean(v) for k, v in item.items() if not next(c for c in spec.columns if c.field == k).info}
            out.append(Row({k: v for k, v in values.items() if v is not None}, f"{spec.field}[{i}]", {}, json_style=True))
        return Table(spec, out, spec.field)
