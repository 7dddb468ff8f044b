"""Nothing a partner sends is lost, and no return crashes the import (issue #11).

Every return that cannot be processed, for whatever reason (a reference of digits, a NUL
PostgreSQL will not store, a key given twice, a value outside the table, a fault in the
checking itself), is kept as one rejected submission with its reason, on SQLite and
PostgreSQL; only a failure to store it at all exits 2 without one, saying so in one
line. The fuzz test at the end feeds the returns readers generated damage.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from qaframework.cli import main
from qaframework.persistence import returns as returns_module
from tests.hostile import NASTY, fuzz, texts
from tests.returns.test_malformed_returns import TASKS, Planned, State, _state, planned  # noqa: F401 - planned is a fixture

DATASET = TASKS["dataset"]


@dataclass(repr=False)
class Importer:
    url: str
    folder: Path
    planned: Planned
    run: Callable[..., tuple[int, str, str]]

    def __repr__(self) -> str:  # a failing example is reported without every valid file's bytes
        return f"Importer({self.url!r})"

    def write(self, name: str | bytes, data: bytes) -> str:
        path = os.path.join(os.fsencode(self.folder) if isinstance(name, bytes) else str(self.folder), name)  # type: ignore[call-overload]
        with open(path, "wb") as handle:
            handle.write(data)
        return os.fsdecode(path)

    def valid(self, base: str) -> bytes:
        return self.planned.valid[base]

    def last_submission(self) -> dict[str, Any]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return dict(connection.execute(text("SELECT * FROM return_submission ORDER BY id DESC LIMIT 1")).mappings().one())
        finally:
            engine.dispose()


@pytest.fixture
def importer(database_url: str, planned: Planned, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811 - the fixture
             capsys: pytest.CaptureFixture[str]) -> Importer:
    url = planned.copy_to(tmp_path) if database_url.startswith("sqlite") else database_url
    monkeypatch.setenv("QAF_DATABASE_URL", url)
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / ".qaf"))
    monkeypatch.delenv("QAF_FRAMEWORK_FILE", raising=False)
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    if not database_url.startswith("sqlite"):
        assert run("plan", "--fy", "2026", "--as-of", "2026-07-01")[0] == 0
        assert run("plan", "--fy", "2027", "--as-of", "2027-04-01")[0] == 0
    return Importer(url, tmp_path, planned, run)


def assert_kept_as_rejected(importer: Importer, path: str, before: State, expected: list[tuple[str, str]]) -> dict[str, Any]:
    """The import exits 2 and stores exactly one rejected submission with these problems."""
    code, out, err = importer.run("returns", "import", path)
    after = _state(importer.url)
    assert code == 2 and out == "", out + err
    assert err.splitlines()[0].startswith("qaf: error: ") and "rejected" in err.splitlines()[0] and "kept as submission" in err, err
    assert after.counts == {**before.counts, "return_submission": before.counts["return_submission"] + 1,
                            "audit_log": before.counts["audit_log"] + 1}
    assert after.tasks == before.tasks
    row = importer.last_submission()
    assert row["status"] == "rejected"
    reasons = json.loads(row["reasons"])
    assert [(r["where"], r["expected"][:len(e)]) for r, (_, e) in zip(reasons, expected)] == expected, reasons
    assert len(reasons) == len(expected), reasons
    for line in err.splitlines():
        assert line.isprintable(), line
    return row


def _json(base: bytes, **changes: Any) -> bytes:
    body = json.loads(base)
    body.update(changes)
    return json.dumps(body).encode()


# --- References made of digits -------------------------------------------------------------

@pytest.mark.parametrize("reference", ["²", "9" * 26, "9434765919", "2147483648", "١٢"])
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_task_reference_of_digits_is_rejected_and_kept(importer: Importer, reference: str, fmt: str) -> None:
    base = importer.valid(f"dataset.{fmt}")
    if fmt == "json":
        data = _json(base, task=reference)
        where = "task"
    else:
        data = base.decode("utf-8-sig").replace(DATASET, reference, 1).encode("utf-8-sig")
        where = 'section [About], line 4, column "task"'
    path = importer.write(f"return.{fmt}", data)
    row = assert_kept_as_rejected(importer, path, _state(importer.url), [(where, "no agency task has this reference")])
    assert row["task_id"] is None


# --- Text PostgreSQL (or SQLite) cannot store ---------------------------------------------

@pytest.mark.parametrize(("changes", "where"), [
    ({"task": DATASET + "\u0000"}, "task"),
    ({"task": "\ud800"}, "task"),
    ({"agency": "somerset-csc\u0000"}, "agency"),
    ({"note\u0000": "x"}, ""),
])
def test_a_json_return_with_a_nul_or_lone_surrogate_is_rejected_and_kept(importer: Importer, changes: dict[str, str], where: str) -> None:
    data = _json(importer.valid("dataset.json"), **changes)
    assert b"\\u0000" in data or b"\\ud800" in data
    path = importer.write("return.json", data)
    assert_kept_as_rejected(importer, path, _state(importer.url), [(where, "holds a character that cannot be stored")])


def test_a_nul_inside_a_row_names_its_field(importer: Importer) -> None:
    body = json.loads(importer.valid("dataset.json"))
    body["values"][1]["note"] = "from the case system\u0000"
    path = importer.write("return.json", json.dumps(body).encode())
    assert_kept_as_rejected(importer, path, _state(importer.url), [("values[1].note", "holds a character that cannot be stored")])


def test_a_file_name_that_is_not_utf8_is_kept_under_a_storable_name(importer: Importer) -> None:
    path = importer.write(b"police-\xff\x1b[2J.json", importer.valid("dataset.json"))
    code, out, err = importer.run("returns", "import", path)
    assert code == 0, err
    assert "police-\\udcff\\x1b[2J.json: accepted as version 1 of" in out
    assert importer.last_submission()["original_filename"] == "police-\ufffd\\x1b[2J.json"
    code, out, _ = importer.run("returns", "list")
    assert code == 0 and "police-\ufffd\\x1b[2J.json" in out and "\x1b" not in out


# --- JSON keys given twice ---------------------------------------------------------------

@pytest.mark.parametrize(("edit", "where"), [
    (lambda t: t.replace('"task": ', '"task": "dataset-return/2027-07/avon-somerset-police", "task": ', 1), "task"),
    (lambda t: t.replace('"value": ', '"value": 1, "value": ', 1), "values[0].value"),
    (lambda t: t.replace('"value": ', '"Wilhelmina Smith": 1, "Wilhelmina Smith": ', 1), "values[0]"),
])
def test_a_json_key_given_twice_is_rejected_with_its_place(importer: Importer, edit: Callable[[str], str], where: str) -> None:
    data = edit(importer.valid("dataset.json").decode()).encode()
    path = importer.write("return.json", data)
    row = assert_kept_as_rejected(importer, path, _state(importer.url), [(where, "is given twice: give each field once")])
    assert "Wilhelmina" not in row["reasons"]


# --- Values outside the table of a spreadsheet --------------------------------------------

def _xlsx(data: bytes, edit: Callable[[Any], None]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_value_right_of_the_last_heading_is_rejected_with_its_cell(importer: Importer) -> None:
    def edit(book: Any) -> None:
        book["Ratings"]["H7"] = "Wilhelmina Smith"

    path = importer.write("s11.xlsx", _xlsx(importer.valid("s11.xlsx"), edit))
    row = assert_kept_as_rejected(importer, path, _state(importer.url),
                                  [('sheet "Ratings", row 7, column H', "has a value beyond the last column")])
    assert "Wilhelmina" not in row["reasons"]


def test_an_xlsx_value_under_no_heading_is_rejected_with_its_cell(importer: Importer) -> None:
    def edit(book: Any) -> None:
        book["Ratings"]["C1"] = None  # the "Standard wording" heading cleared; the wording stays below it

    path = importer.write("s11.xlsx", _xlsx(importer.valid("s11.xlsx"), edit))
    assert_kept_as_rejected(importer, path, _state(importer.url), [('sheet "Ratings", row 2, column C', "has a value in a column with no heading")])


def test_a_csv_value_under_no_heading_is_rejected_as_in_xlsx(importer: Importer) -> None:
    lines = importer.valid("s11.csv").decode("utf-8-sig").split("\r\n")
    header = next(i for i, l in enumerate(lines) if l.startswith("Domain,"))
    lines[header] = lines[header].replace("Standard wording", "", 1)
    path = importer.write("s11.csv", "\r\n".join(lines).encode("utf-8-sig"))
    assert_kept_as_rejected(importer, path, _state(importer.url),
                            [(f"section [Ratings], line {header + 2}, column C", "has a value in a column with no heading")])


# --- Too large: refused without being read whole -----------------------------------------

def test_a_return_over_the_limit_is_kept_as_rejected_with_its_real_size(importer: Importer) -> None:
    path = importer.write("huge.csv", b"")
    with open(path, "wb") as handle:
        handle.write(importer.valid("dataset.csv"))
        handle.truncate(64 * 1024 * 1024)
    row = assert_kept_as_rejected(importer, path, _state(importer.url), [("", "is 64.0 MB: a return may be at most 5 MB")])
    assert row["size_bytes"] == 64 * 1024 * 1024 and row["original"] is None


# --- A fault in the checking, and a failure to store ------------------------------------

def _aborting_lookup(*, session: Any, framework: Any, reference: str) -> Any:
    session.execute(text("SELECT 1/0"))  # on PostgreSQL this aborts the transaction, as a NUL did
    raise RuntimeError("checking broke")


def _broken_tables(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("checking broke")


@pytest.mark.parametrize(("name", "fault"), [("find_return_task", _aborting_lookup), ("validate_tables", _broken_tables)])
def test_a_fault_in_the_checking_still_keeps_the_return(importer: Importer, monkeypatch: pytest.MonkeyPatch, name: str, fault: Any) -> None:
    monkeypatch.setattr(returns_module, name, fault)
    path = importer.write("return.json", importer.valid("dataset.json"))
    row = assert_kept_as_rejected(importer, path, _state(importer.url),
                                  [("", "could not be checked because of a fault in qaframework (")])
    assert row["original"] == importer.valid("dataset.json") and row["task_id"] is None


def test_a_failure_to_store_is_one_line_and_stores_nothing(importer: Importer, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(returns_module, "_store", refuse)
    path = importer.write("return.json", importer.valid("dataset.json"))
    before = _state(importer.url)
    code, out, err = importer.run("returns", "import", path)
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"qaf: error: {path}: could not be stored (RuntimeError): nothing was kept of it; run the import again"]
    assert _state(importer.url) == before


# --- The fuzz test: generated damage to real returns ----------------------------------------

_JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30), st.floats(allow_nan=True), texts()),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(texts(), children, max_size=3)),
    max_leaves=8,
)


def _json_damage(data: bytes, draw: st.DrawFn) -> bytes:
    body = json.loads(data)
    table = next(k for k, v in body.items() if isinstance(v, list) and v)
    row = body[table][0]
    value = draw(_JSON_VALUES)
    target = draw(st.sampled_from(["task", "agency", "return_type", "period", table, "row", *row]))
    if target == "row":
        body[table][0] = value
    elif target in row:
        row[target] = value
    else:
        body[target] = value
    out = json.dumps(body)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(out)))
        out = out[:at] + draw(st.sampled_from(['"task": 1, ', ', "task": "x"', "\\u0000", "[", "}", '"', "\\ud800", "1" * 5000])) + out[at:]
    return out.encode("utf-8", "surrogatepass")


def _csv_damage(data: bytes, draw: st.DrawFn) -> bytes:
    lines = data.decode("utf-8-sig").split("\r\n")
    line = draw(st.integers(0, len(lines) - 1))
    cells = lines[line].split(",")
    column = draw(st.integers(0, len(cells) + 2))
    cells += [""] * (column + 1 - len(cells))
    value = draw(st.one_of(st.sampled_from(NASTY), texts()))
    cells[column] = '"' + value.replace('"', '""') + '"' if draw(st.booleans()) else value
    lines[line] = ",".join(cells)
    return "\r\n".join(lines).encode("utf-8-sig", "surrogatepass")


_ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _xlsx_damage(data: bytes, draw: st.DrawFn) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[draw(st.sampled_from(book.sheetnames))]
    row, column = draw(st.integers(1, sheet.max_row + 3)), draw(st.integers(1, sheet.max_column + 3))
    value = draw(st.one_of(st.sampled_from(NASTY), texts(), st.integers(-(10**20), 10**20), st.floats(allow_nan=False, allow_infinity=False)))
    sheet.cell(row=row, column=column).value = _ILLEGAL_IN_XLSX.sub("", value) if isinstance(value, str) else value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _byte_damage(data: bytes, draw: st.DrawFn) -> bytes:
    at = draw(st.integers(0, len(data)))
    cut = draw(st.integers(0, 64))
    return data[:at] + draw(st.binary(max_size=16)) + data[at + cut:]


@st.composite
def damaged_returns(draw: st.DrawFn) -> tuple[str, Callable[[bytes], bytes]]:
    base = draw(st.sampled_from(sorted(f"{b}.{f}" for b in TASKS for f in ("xlsx", "csv", "json"))))
    fmt = base.rpartition(".")[2]
    kinds = {"json": _json_damage, "csv": _csv_damage, "xlsx": _xlsx_damage}
    damage = kinds[fmt] if draw(st.booleans()) else _byte_damage
    return base, lambda data: damage(data, draw)


@fuzz(60)
@given(damaged_returns())
def test_a_damaged_return_is_kept_never_a_traceback_never_a_partial_write(importer: Importer, damaged: tuple[str, Callable[[bytes], bytes]]) -> None:
    base, damage = damaged
    data = damage(importer.valid(base))
    path = importer.write("fuzzed." + base.rpartition(".")[2], data)
    before = _state(importer.url)
    code, out, err = importer.run("returns", "import", path)
    after = _state(importer.url)
    assert code in (0, 2), err
    for line in (out + err).splitlines():
        assert line.isprintable()
    added = after.counts["return_submission"] - before.counts["return_submission"]
    if "had been received already" in out + err:
        assert after == before
        return
    assert added == 1, (out, err)
    status = after.submissions[-1][2]
    assert status == ("accepted" if code == 0 else "rejected")
    if status == "rejected":
        # Only the rejected submission and its line in the audit log are written.
        assert after.counts == {**before.counts, "return_submission": before.counts["return_submission"] + 1,
                                "audit_log": before.counts["audit_log"] + 1}, (out, err)
        assert after.tasks == before.tasks, "a rejected return changed a task"
        assert json.loads(after.submissions[-1][3]), "a rejection has its reasons"
