"""The boundary for untrusted files and text (qaframework.untrusted)."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from qaframework.errors import FileTooLargeError, UntrustedInputError, excerpt
from qaframework.untrusted import (
    EMAIL_MAX_LENGTH, EMAIL_PATTERN, MAX_DATABASE_ID, checked_text, decode_text, parse_database_id, read_untrusted_file,
    read_untrusted_head, shown_path, storable_name,
)
from tests.hostile import ANY_CHARACTER, fuzz, texts

SCHEDULES = Path(__file__).resolve().parents[2] / "schedules"


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_unread(path: str) -> None:
    with pytest.raises(UntrustedInputError, match="is not a regular file"):
        read_untrusted_file(path, limit=1024, what="framework file")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "return.csv"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_untrusted_file(fifo, limit=1024, what="return")
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "reading a FIFO must not wait for a writer"
    assert isinstance(outcome[0], UntrustedInputError) and "is not a regular file" in str(outcome[0])


def test_a_folder_and_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UntrustedInputError, match="is a folder, not a file"):
        read_untrusted_file(tmp_path, limit=10, what="rationale file")
    with pytest.raises(UntrustedInputError, match="file not found: check the path"):
        read_untrusted_file(tmp_path / "nope.txt", limit=10, what="rationale file")
    with pytest.raises(UntrustedInputError, match="is not a usable path"):
        read_untrusted_file("a\x00b", limit=10, what="rationale file")
    with pytest.raises(UntrustedInputError, match="at most 255 bytes"):
        read_untrusted_file(tmp_path / ("x" * 300), limit=10, what="rationale file")


def test_a_large_file_is_read_only_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)  # 20 MB, sparse
    head, size = read_untrusted_head(path, limit=1000, what="file")
    assert (len(head), size) == (1001, 20 * 1024 * 1024)
    with pytest.raises(FileTooLargeError) as caught:
        read_untrusted_file(path, limit=1024 * 1024, what="framework or roster file")
    assert caught.value.size == 20 * 1024 * 1024
    assert "is 20.0 MB: a framework or roster file may be at most 1.0 MB" in str(caught.value)
    path.write_bytes(b"x" * 1000)
    assert read_untrusted_file(path, limit=1000, what="file") == b"x" * 1000


def test_text_the_databases_cannot_store_is_refused_with_its_field() -> None:
    assert checked_text("Fully met; minutes seen", field="evidence") == "Fully met; minutes seen"
    with pytest.raises(UntrustedInputError, match=r"^task: contains a NUL character \(character 3\)"):
        checked_text("ab\x00", field="task")
    with pytest.raises(UntrustedInputError, match=r"^--label: is not valid UTF-8 text \(character 2\)"):
        checked_text("a\udcff", field="--label")
    with pytest.raises(UntrustedInputError, match="cannot be read as UTF-8 text"):
        decode_text(b"\xff\xfe", field="rationale file")
    with pytest.raises(UntrustedInputError, match="NUL"):
        decode_text(b"no \x00 review", field="rationale file")


@fuzz(200)
@given(st.text(ANY_CHARACTER, max_size=30))
def test_checked_text_passes_exactly_what_both_databases_store(value: str) -> None:
    storable = "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    try:
        assert checked_text(value, field="f") == value and storable
    except UntrustedInputError:
        assert not storable


@fuzz(200)
@given(st.one_of(texts(), st.text(ANY_CHARACTER, min_size=30, max_size=20_000)))
def test_an_excerpt_is_short_printable_and_one_line(value: str) -> None:
    quoted = excerpt(value)
    assert quoted.isprintable()
    # At most 40 characters of what was typed (each escaped to at most 10), and its length.
    assert quoted.startswith(repr(value[:40])[:-1]) and len(quoted) <= 10 * 40 + 30
    if len(value) > 40:
        assert quoted.endswith(f" ({len(value)} characters)")
    shown = shown_path(value)
    assert shown.isprintable() and len(shown) <= 10 * 161
    stored = storable_name(value)
    assert checked_text(stored, field="name") == stored and len(stored) <= 255 and stored.isprintable()


@pytest.mark.parametrize("text", ["١", "٢٠٢٧", "²", "¹²", "9" * 26, "9434765919", "2147483648", "-1", "+1", "1.0", "", " ", "1e3", "\uff11"])
def test_only_ascii_digits_that_fit_an_integer_column_are_ids(text: str) -> None:
    assert parse_database_id(text) is None


@fuzz(200)
@given(st.text(ANY_CHARACTER, max_size=30))
def test_a_parsed_id_always_fits_the_database(text: str) -> None:
    parsed = parse_database_id(text)
    assert parsed is None or (0 <= parsed <= MAX_DATABASE_ID and text.strip().isascii())


def _emails(path: Path) -> list[str]:
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "email" and isinstance(item, str):
                    found.append(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEDULES.glob("*.yaml")))
def test_the_email_pattern_takes_every_shipped_address(name: str) -> None:
    for address in _emails(SCHEDULES / name):
        assert re.fullmatch(EMAIL_PATTERN, address) and len(address) <= EMAIL_MAX_LENGTH, address


@pytest.mark.parametrize("address", [
    "<script>@x.org", "a@<b>.org", "a b@x.org", '"a"@x.org', "a@x", "a@x.org\r\nBcc: b@y.org", "a@@x.org", "@x.org",
    "a@-x.org", "a@x..org", "a@x.org>", "a@x.org\x00", "jane@exämple.org",
])
def test_the_email_pattern_refuses_what_is_not_a_plain_address(address: str) -> None:
    assert not re.fullmatch(EMAIL_PATTERN, address)


def test_the_roster_refuses_markup_as_a_contacts_email(tmp_path: Path) -> None:
    from qaframework.errors import FrameworkFileError
    from qaframework.framework import load_framework

    (tmp_path / "sscp.yaml").write_text((SCHEDULES / "sscp.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    roster = (SCHEDULES / "example_agencies.yaml").read_text(encoding="utf-8")
    assert "email: safeguarding-returns@police.example.org" in roster
    (tmp_path / "example_agencies.yaml").write_text(roster.replace("email: safeguarding-returns@police.example.org", "email: <script>@x.org", 1), encoding="utf-8")
    with pytest.raises(FrameworkFileError, match="email"):
        load_framework(tmp_path / "sscp.yaml")


def test_the_email_pattern_works_as_a_pydantic_field_pattern() -> None:
    """pydantic compiles ``pattern`` with its own regex engine: the pattern must suit it."""
    from typing import Annotated

    from pydantic import Field, TypeAdapter, ValidationError

    email = TypeAdapter(Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=EMAIL_MAX_LENGTH)])
    assert email.validate_python("named-nurse@somersetft.example.org") == "named-nurse@somersetft.example.org"
    for address in ("<script>@x.org", "a@x", "a" * 250 + "@x.org"):
        with pytest.raises(ValidationError):
            email.validate_python(address)
