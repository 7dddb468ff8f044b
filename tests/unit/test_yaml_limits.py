"""Framework and roster files are read within limits: no YAML crashes or stalls the loader.

Each case from issue #11 (an impossible unquoted date, a 5,000-digit number, deep
nesting, a merge-key bomb, a 20 MB file, /dev/zero) is one FrameworkFileError naming
the file and, where there is one, the line and column.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qaframework.errors import FrameworkFileError
from qaframework.framework import load_framework
from qaframework.framework.yaml_reader import MAX_ALIASES, MAX_DEPTH, read_yaml
from tests.hostile import fuzz

SCHEDULES = Path(__file__).resolve().parents[2] / "schedules"


def _write(tmp_path: Path, text: str, name: str = "framework.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _shipped_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (SCHEDULES / "sscp.yaml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "example_agencies.yaml").write_text((SCHEDULES / "example_agencies.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return _write(tmp_path, text.replace(old, new, 1))


def _merge_bomb() -> str:
    """566 bytes that a plain SafeLoader expands to 9**9 keys."""
    lines = ["a0: &a0 {x: 1}"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 9)}]}}")
    return "\n".join(lines) + "\n"


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 9)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        ("partnership:\n  year_one: 2027-02-30\n", "line 2, column 13", "is not a real date"),
        ("section11:\n  year_one: 0000-01-01\n", "line 2, column 13", "is not a real date"),
        ("a: !!timestamp not-a-date\n", "line 1, column 4", "is not a real date"),
        ("a: " + "1" * 5000 + "\n", "line 1, column 4", "is a number too long to read"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", f"line 1, column {MAX_DEPTH + 3}", f"nested more than {MAX_DEPTH} levels"),
        ("a:\n" + "".join("  " * i + "- \n" for i in range(1, 200)), "line ", f"nested more than {MAX_DEPTH} levels"),
        ("a: &a [*a]\n", "line 1, column 4", "an alias refers to the value it is part of"),
        ("a: &a {b: *a}\n", "line 1", "an alias refers to the value it is part of"),
        ('a: "x\\0y"\n', "line 1, column 4", "contains a NUL character"),
        ('a: "\\ud800"\n', "line 1, column 4", "is not valid UTF-8 text"),
        ("a: x\x01y\n", "line 1, column 5", "the character U+0001 is not allowed"),
        ("a: !!python/object:os.system x\n", "line 1, column 4", "is not valid YAML: could not determine a constructor"),
        ("a: !!binary not*base64\n", "line 1, column 4", "is not valid YAML"),
        ("a: 1\na: 2\n", "line 2, column 1", "duplicate key 'a'"),
        ("? [a, b]\n: 1\n", "line 1, column 3", "a key must be plain text"),
        ("a: *nowhere\n", "line 1, column 4", "is not valid YAML: found undefined alias"),
        ("x: &x 1\n" + "".join(f"k{i}: *x\n" for i in range(MAX_ALIASES + 1)), f"line {MAX_ALIASES + 2}", f"more than {MAX_ALIASES} aliases"),
    ],
)
def test_hostile_yaml_is_one_located_error(tmp_path: Path, text: str, where: str, expected: str) -> None:
    with pytest.raises(FrameworkFileError) as caught:
        read_yaml(_write(tmp_path, text))
    assert caught.value.field.startswith(where), caught.value
    assert expected in caught.value.expected
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("bomb", [_merge_bomb, _alias_bomb])
def test_bombs_are_refused_at_once(tmp_path: Path, bomb) -> None:  # type: ignore[no-untyped-def]
    text = bomb()
    assert len(text.encode()) < 700
    started = time.monotonic()
    with pytest.raises(FrameworkFileError, match="expands to more than 100000 values through its aliases or merges"):
        read_yaml(_write(tmp_path, text))
    assert time.monotonic() - started < 2


def test_a_20_mb_framework_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "framework.yaml"
    with path.open("wb") as handle:
        handle.write(b"partnership:\n")
        handle.truncate(20 * 1024 * 1024)
    started = time.monotonic()
    with pytest.raises(FrameworkFileError, match="is 20.0 MB: a framework or roster file may be at most 1.0 MB"):
        load_framework(path)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_as_the_framework_file(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    with pytest.raises(FrameworkFileError, match="is not a regular file|file not found"):
        load_framework(device)


def test_a_device_named_as_the_roster_names_the_roster(tmp_path: Path) -> None:
    path = _shipped_with(tmp_path, "roster: example_agencies.yaml", "roster: /dev/zero")
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(path)
    assert caught.value.file == "/dev/zero" and "is not a regular file" in caught.value.expected


def test_a_fifo_as_the_roster(tmp_path: Path) -> None:
    path = _shipped_with(tmp_path, "roster: example_agencies.yaml", "roster: roster.fifo")
    os.mkfifo(tmp_path / "roster.fifo")
    with pytest.raises(FrameworkFileError, match="is not a regular file"):
        load_framework(path)


def test_an_impossible_date_in_the_shipped_file_names_its_line(tmp_path: Path) -> None:
    text = (SCHEDULES / "sscp.yaml").read_text(encoding="utf-8")
    line = next(i for i, l in enumerate(text.splitlines(), start=1) if l.strip().startswith("year_one:"))
    path = _shipped_with(tmp_path, "year_one: ", "year_one: 2027-02-30 # was ")
    with pytest.raises(FrameworkFileError) as caught:
        load_framework(path)
    assert caught.value.field.startswith(f"line {line}, column ") and "is not a real date" in caught.value.expected


def test_merge_keys_and_a_few_aliases_still_work(tmp_path: Path) -> None:
    data = read_yaml(_write(tmp_path, "base: &base {months: 4, due: last}\na: {<<: *base, months: 2}\nb: [*base, *base]\n"))
    assert data["a"] == {"months": 2, "due": "last"} and data["b"] == [{"months": 4, "due": "last"}] * 2


_FRAGMENTS = ["a: ", "b:\n", "- ", "  ", "\n", "[", "]", "{", "}", ", ", "&x ", "*x", "<<: ", "!!timestamp ", "!!int ", "!!binary ",
              "2027-02-30", "1" * 50, '"\\0"', '"\\ud800"', "'", '"', "? ", ": ", "%YAML 1.1\n", "---\n", "...\n", "|\n", ">\n", "#", "\t", "\x85"]


@fuzz(150)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=60).map("".join))
def test_any_yaml_is_read_or_refused_in_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzzed.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    try:
        assert isinstance(read_yaml(path), dict)
    except FrameworkFileError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path))
    assert time.monotonic() - started < 2


def test_a_file_read_again_is_its_content_now_and_each_read_its_own_copy(tmp_path: Path) -> None:
    path = _write(tmp_path, "agencies: {a: {name: First}}\n")
    first = read_yaml(path)
    first["agencies"]["a"]["name"] = "Changed by the caller"
    assert read_yaml(path) == {"agencies": {"a": {"name": "First"}}}, "a caller's change is not kept"
    stat = path.stat()
    path.write_text("agencies: {a: {name: Other}}\n", encoding="utf-8")  # the same size, and the same time below
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert read_yaml(path) == {"agencies": {"a": {"name": "Other"}}}


def test_a_text_refused_once_is_refused_every_time_in_any_file(tmp_path: Path) -> None:
    for name in ("one.yaml", "two.yaml", "one.yaml"):
        path = _write(tmp_path, "a: 1\na: 2\n", name)
        with pytest.raises(FrameworkFileError) as caught:
            read_yaml(path)
        assert str(caught.value).startswith(str(path)) and "line 2" in caught.value.field
