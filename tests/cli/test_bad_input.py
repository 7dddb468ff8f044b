"""Bad input never crashes ``qaf``: one line on stderr, exit 2, nothing written (issue #11).

Run in this process through ``main(argv)`` (argv as Python hands it over: bytes that
were not UTF-8 arrive as lone surrogates), on SQLite and PostgreSQL. The fuzz test at
the end drives every command's parsers with generated bad input; the others are the
regressions the issue lists.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from qaframework.cli import main
from qaframework.financial_year import FinancialYear
from qaframework.untrusted import parse_database_id
from tests.hostile import fuzz, texts, unstorable, wrong_dates, wrong_words
from tests.unit.test_yaml_limits import _merge_bomb

TASK = "dataset-return/2027-07/somerset-csc"
LONG = "x" * 10_000


@dataclass
class Cli:
    url: str
    folder: Path
    run: Callable[..., tuple[int, str, str]]
    #: the test's own reading of the database (one engine for every snapshot of the test)
    engine: Engine

    def snapshot(self) -> tuple[dict[str, list[str]], list[str]]:
        """Every row of every table, and every file in the working folder but the data folder."""
        with self.engine.connect() as connection:
            rows = {t: sorted(repr(tuple(r)) for r in connection.execute(text(f'SELECT * FROM "{t}"')))
                    for t in inspect(connection).get_table_names()}
        files = sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if ".qaf" not in p.parts)
        return rows, files


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    """``qaf`` in this process, in an empty folder, against a database planned for 2027/28."""
    monkeypatch.setenv("QAF_DATABASE_URL", database_url)
    monkeypatch.setenv("QAF_DATA_DIR", str(tmp_path / ".qaf"))
    monkeypatch.setenv("QAF_PREFECT_PORT", "1")  # no Prefect here
    monkeypatch.delenv("QAF_FRAMEWORK_FILE", raising=False)
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
        out, err = capsys.readouterr()
        return code, out, err

    code, _, err = run("plan", "--fy", "2027", "--as-of", "2027-04-01")
    assert code == 0, err
    engine = create_engine(database_url)
    try:
        yield Cli(database_url, tmp_path, run, engine)
    finally:
        engine.dispose()


def assert_refused(result: tuple[int, str, str], *fragments: str) -> str:
    code, out, err = result
    assert code == 2, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and re.match(r"^qaf( [a-z-]+)*: error: ", lines[0]), err
    assert lines[0].isprintable() and len(lines[0]) < 600, lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def refused_writing_nothing(cli: Cli, *argv: str, fragments: tuple[str, ...] = ()) -> str:
    before = cli.snapshot()
    line = assert_refused(cli.run(*argv), *fragments)
    assert cli.snapshot() == before, "a refused command wrote something"
    return line


# --- Empty strings are refused, never taken as "not given" -----------------------------------

@pytest.mark.parametrize("argv", [
    ("plan", "--fy", "2027", "--as-of", ""),
    ("calendar", "--fy", ""),
    ("returns", "status", "--fy", ""),
    ("rapid-review", "start", "--aware", ""),
    ("rapid-review", "start", "--aware", "2027-04-01", "--notified", ""),
    ("rapid-review", "start", "--aware", "2027-04-01", "--incident", " "),
    ("rapid-review", "record", "RR-2027-001", "panel-notification", "--on", ""),
    ("returns", "import", "x.json", "--received", ""),
    ("returns", "import", "x.json", "--agency", ""),
    ("returns", "list", "--task", ""),
    ("returns", "template", TASK, "--output", ""),
    ("feeds", "issue", "partnership", "--label", ""),
    ("calendar", "--framework", ""),
    ("validate", ""),
    ("returns", "import", ""),
])
def test_an_empty_value_is_refused_like_fy(cli: Cli, argv: tuple[str, ...]) -> None:
    (cli.folder / "x.json").write_text("{}")
    refused_writing_nothing(cli, *argv, fragments=("is empty",))


# --- References: digits are ids only when ASCII and small enough ------------------------------

@pytest.mark.parametrize("reference", ["١", "²", "9" * 26, "9434765919", "2147483648", "０"])
def test_a_reference_of_other_digits_matches_nothing(cli: Cli, reference: str) -> None:
    refused_writing_nothing(cli, "returns", "template", reference, fragments=("no agency task has this reference",))
    code, out, _ = cli.run("returns", "list", "--task", reference)
    assert code == 0 and "0 submissions." in out


@pytest.mark.parametrize("argv", [("returns", "original", "١", "--output", "x"), ("returns", "original", "99999999999", "--output", "x"),
                                  ("feeds", "serve", "--port", "٨٧٦٥"), ("feeds", "serve", "--port", "99999")])
def test_a_number_argument_takes_ascii_digits_within_its_range(cli: Cli, argv: tuple[str, ...]) -> None:
    refused_writing_nothing(cli, *argv, fragments=("is not a whole number from 1 to",))


# --- Text that cannot be stored, and text that is far too long -------------------------------

@pytest.mark.parametrize(("argv", "argument"), [
    (("feeds", "issue", "partnership", "--label", "caf\udce9"), "--label"),
    (("feeds", "issue", "partnership", "--label", "a\x00b"), "--label"),
    (("rapid-review", "record", "RR-2027-\udcff01", "panel-notification", "--on", "2027-04-02"), "REF"),
    (("rapid-review", "resume", "RR\x00"), "REF"),
    (("rapid-review", "record", "RR-2027-001", "decision", "--on", "2027-04-02", "--rationale", "no \udcff review"), "--rationale"),
    (("returns", "template", "dataset-return/2027-07/\udcffsomerset-csc"), "TASK"),
    (("returns", "list", "--task", "a\ud800"), "--task"),
    (("feeds", "revoke", "\udcff"), "ID|URL"),
])
def test_text_that_is_not_utf8_or_holds_nul_is_refused_naming_the_argument(cli: Cli, argv: tuple[str, ...], argument: str) -> None:
    line = refused_writing_nothing(cli, *argv, fragments=(f"argument {argument}: ",))
    assert "UTF-8" in line or "NUL" in line


@pytest.mark.parametrize("argv", [
    ("deadline", LONG, "2027-01-01"), ("deadline", "rapid-review", LONG), ("calendar", "--fy", LONG), ("feeds", "issue", LONG),
    ("rapid-review", "record", LONG, "decision", "--on", "2027-05-01"), ("returns", "template", LONG), ("plan", "--as-of", LONG),
    ("frobnicate" + LONG,), ("calendar", "--bogus", LONG), ("returns", "template", TASK, "--format", LONG),
    ("deadline", "rapid-review", "2027-02-30" + "\u202e" * 50), ("feeds", "issue", "x" * 150),
])
def test_an_error_quotes_only_a_short_excerpt_of_what_was_typed(cli: Cli, argv: tuple[str, ...]) -> None:
    line = refused_writing_nothing(cli, *argv)
    assert "x" * 61 not in line and "\u202e" not in line


def test_a_300_character_output_name_is_one_line(cli: Cli) -> None:
    line = refused_writing_nothing(cli, "returns", "template", TASK, "--output", "r" * 300 + ".xlsx", fragments=("at most 255 bytes",))
    assert "r" * 61 not in line
    refused_writing_nothing(cli, "returns", "template", TASK, "--output", "no-such-folder/return.xlsx",
                            fragments=("cannot write no-such-folder/return.xlsx: No such file or directory",))


def test_an_output_name_that_is_not_utf8_is_written_and_shown_escaped(cli: Cli) -> None:
    code, out, err = cli.run("returns", "template", TASK, "--format", "csv", "--output", "return-\udcff.csv")
    assert code == 0, err
    assert out.startswith("Wrote return-\\udcff.csv: ") and os.path.exists(os.fsencode("return-\udcff.csv"))


# --- Files that are not regular files, and files that are too large ----------------------------

def _hangs(run: Callable[[], object], seconds: float = 10) -> bool:
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    return worker.is_alive()


@pytest.mark.parametrize("argv", [
    ("validate", "{path}"), ("calendar", "--framework", "{path}"), ("returns", "import", "{path}"),
    ("rapid-review", "record", "RR-2027-001", "decision", "--on", "2027-05-01", "--rationale-file", "{path}"),
])
@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "folder"])
def test_a_device_fifo_or_folder_as_any_file_is_refused_at_once(cli: Cli, argv: tuple[str, ...], kind: str) -> None:
    path = {"/dev/zero": "/dev/zero", "fifo": str(cli.folder / "pipe"), "folder": str(cli.folder)}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    result: list[tuple[int, str, str]] = []
    before = cli.snapshot()
    assert not _hangs(lambda: result.append(cli.run(*(a.format(path=path) for a in argv)))), "qaf waited on a FIFO or device"
    assert_refused(result[0], "is a folder, not a file" if kind == "folder" else "is not a regular file")
    assert cli.snapshot() == before


@pytest.mark.parametrize(("content", "fragment"), [
    (b"Criteria not met\x00", "contains a NUL character (character 17)"),
    (b"caf\xe9", "cannot be read as UTF-8 text (byte 4)"),
    (b"x" * (100 * 1024 + 1), "is 100 KB: a rationale file may be at most 100 KB"),
    (b"  \n", "is empty"),
])
def test_a_rationale_file_that_cannot_be_stored_is_refused_and_nothing_recorded(cli: Cli, content: bytes, fragment: str) -> None:
    (cli.folder / "why.txt").write_bytes(content)
    refused_writing_nothing(cli, "rapid-review", "record", "RR-2027-001", "decision", "--on", "2027-05-01", "--rationale-file", "why.txt",
                            fragments=("rationale file why.txt: ", fragment))


@pytest.mark.parametrize(("reference", "rationale", "fragment"), [
    ("RR-2027-001", "Criteria not met\x00", "the rationale: contains a NUL character"),
    ("RR-2027-001", "caf\udce9", "the rationale: is not valid UTF-8 text"),
])
def test_the_decision_form_refuses_a_rationale_the_database_cannot_store(cli: Cli, framework, reference: str, rationale: str,  # type: ignore[no-untyped-def]
                                                                        fragment: str) -> None:
    """The same text typed into the rapid-review flow's decision form: refused (the flow
    turns it into its "answer again" message) before the database sees it."""
    from datetime import date

    from qaframework.persistence.cases import CaseError
    from tasks.cases import read_case, record

    before = cli.snapshot()
    with pytest.raises(CaseError, match=re.escape(fragment)):
        record.fn(cli.url, framework, reference, "decision", date(2027, 5, 1), "no-review", rationale, None)
    with pytest.raises(CaseError, match="the reference: contains a NUL character"):
        read_case.fn(cli.url, framework, "RR-2027-001\x00")
    assert cli.snapshot() == before


@pytest.mark.parametrize(("content", "fragment"), [
    ("partnership:\n  year_one: 2027-02-30\n", "line 2, column 13: is not a real date"),
    ("a: " + "1" * 5000 + "\n", "line 1, column 4: is a number too long to read"),
    ("a: " + "[" * 10_000 + "]" * 10_000 + "\n", "is nested more than 50 levels deep"),
    (_merge_bomb(), "expands to more than 100000 values"),
])
def test_validate_refuses_hostile_yaml_in_one_line(cli: Cli, content: str, fragment: str) -> None:
    (cli.folder / "framework.yaml").write_text(content)
    refused_writing_nothing(cli, "validate", "framework.yaml", fragments=("framework.yaml: ", fragment))


def test_validate_refuses_a_20_mb_file_unread(cli: Cli) -> None:
    with (cli.folder / "framework.yaml").open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)
    refused_writing_nothing(cli, "validate", "framework.yaml", fragments=("is 20.0 MB: a framework or roster file may be at most 1.0 MB",))


# --- The fuzz test: every command's parsers, generated bad input ----------------------------

#: Symbolic bad paths, made real in the test's folder.
BAD_PATHS = ["", "a\x00b", "/dev/zero", "@fifo", "@folder", "@missing", "@long", "@not-utf8"]
BAD_YAML = ["@big", "@bomb", "@deep", "@impossible-date"]


def _not_a_year(text: str) -> bool:
    try:
        FinancialYear.parse(text)
    except Exception:  # noqa: BLE001 - anything it refuses
        return True
    return False


def _not_a_task_id(text: str) -> bool:
    return parse_database_id(text) is None or parse_database_id(text) > 100_000  # type: ignore[operator]


def _not_a_port(text: str) -> bool:
    stripped = text.strip()
    return not (stripped.isascii() and stripped.isdigit() and 1 <= int(stripped[:6]) <= 65535)


def _commands() -> st.SearchStrategy[list[str]]:
    bad = unstorable()
    date_ = wrong_dates()
    year = st.one_of(bad, texts()).filter(_not_a_year)
    word = wrong_words({"rapid-review", "panel-notification", "cspr", "partnership", "avon-somerset-police", "somerset-csc"})
    task = word.filter(_not_a_task_id)
    path = st.sampled_from(BAD_PATHS)
    # A name that is not UTF-8 is a name a file may have: only unusable ones are bad here.
    output = st.sampled_from(["", " ", "a\x00b", "\ud800.xlsx", "r" * 300 + ".xlsx", "no-such-folder/x.xlsx", "@folder", "@fifo", "x.json"])
    yaml_path = st.sampled_from(BAD_PATHS + BAD_YAML)
    case = ["rapid-review", "record", "RR-2027-001"]
    return st.one_of(
        year.map(lambda v: ["calendar", "--fy", v]),
        date_.map(lambda v: ["deadline", "rapid-review", v]),
        word.map(lambda v: ["deadline", v, "2027-01-13"]),
        date_.map(lambda v: ["plan", "--fy", "2027", "--as-of", v]),
        year.map(lambda v: ["tasks", "--fy", v, "--json"]),
        yaml_path.map(lambda v: ["validate", v]),
        yaml_path.map(lambda v: ["calendar", "--framework", v]),
        st.tuples(word, st.one_of(bad, texts())).map(lambda v: ["feeds", "issue", v[0], "--label", v[1]]),
        bad.map(lambda v: ["feeds", "issue", "partnership", "--label", v]),
        word.map(lambda v: ["feeds", "revoke", v]),
        st.tuples(date_, date_).map(lambda v: ["rapid-review", "start", "--aware", v[0], "--notified", v[1]]),
        st.tuples(word, word).map(lambda v: ["rapid-review", "record", v[0], v[1], "--on", "2027-05-01"]),
        date_.map(lambda v: [*case, "panel-notification", "--on", v]),
        bad.map(lambda v: [*case, "decision", "--on", "2027-05-01", "--rationale", v]),
        path.map(lambda v: [*case, "decision", "--on", "2027-05-01", "--rationale-file", v]),
        word.map(lambda v: ["rapid-review", "resume", v]),
        task.map(lambda v: ["returns", "template", v]),
        output.map(lambda v: ["returns", "template", TASK, "--output", v]),
        word.map(lambda v: ["returns", "template", TASK, "--format", v]),
        path.map(lambda v: ["returns", "import", v]),
        word.map(lambda v: ["returns", "import", "x.json", "--agency", v]),
        date_.map(lambda v: ["returns", "import", "x.json", "--received", v]),
        bad.map(lambda v: ["returns", "list", "--task", v]),
        st.one_of(bad, texts()).map(lambda v: ["returns", "original", v, "--output", "out.bin"]),
        year.map(lambda v: ["returns", "status", "--fy", v]),
        st.one_of(bad, texts()).filter(_not_a_port).map(lambda v: ["feeds", "serve", "--port", v]),
    )


@pytest.fixture
def bad_paths(cli: Cli) -> dict[str, str]:
    folder = cli.folder
    os.mkfifo(folder / "pipe")
    with (folder / "big.yaml").open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)
    (folder / "bomb.yaml").write_text(_merge_bomb())
    (folder / "deep.yaml").write_text("a: " + "[" * 2000 + "]" * 2000 + "\n")
    (folder / "date.yaml").write_text("partnership:\n  year_one: 2027-02-30\n")
    (folder / "x.json").write_text("{}")
    return {"@fifo": str(folder / "pipe"), "@folder": str(folder), "@missing": str(folder / "missing.xlsx"),
            "@long": "n" * 300 + ".csv", "@not-utf8": "return-\udcff.xlsx", "@big": str(folder / "big.yaml"),
            "@bomb": str(folder / "bomb.yaml"), "@deep": str(folder / "deep.yaml"), "@impossible-date": str(folder / "date.yaml")}


@fuzz(150)
@given(argv=_commands())
def test_generated_bad_input_is_one_line_exit_2_and_writes_nothing(cli: Cli, bad_paths: dict[str, str], argv: list[str]) -> None:
    argv = [bad_paths.get(a, a) for a in argv]
    before = cli.snapshot()
    code, out, err = cli.run(*argv)
    assert code == 2, (argv, out, err)
    assert_refused((code, out, err))
    assert cli.snapshot() == before, f"{argv!r} wrote something"
