"""A run's return templates: each distinct workbook built once, a copy for each task.

A morning's reminders attach hundreds of templates (one per return each digest reminds
of). Templates of the same return type, with the same rows to answer, differ only in
their About sheet's values (the task, the agency, the dates). openpyxl takes 20-50 ms to
build and save even a small workbook, so :class:`TemplateWorkbooks` builds each distinct
one once, with a placeholder in every About value, and makes each task's copy by writing
its values into the copy's About sheet (``xl/worksheets/sheet1.xml``, where openpyxl
writes each text in its cell). Everything else in the file is copied as it is.

An instance lives for one run (one send of the outbox): nothing is kept between runs, so
nothing can go stale. What a copy holds is checked in the tests against the workbook
:func:`qaframework.returns.workbook.workbook_bytes` writes for the same task, cell by cell.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from copy import copy as shallow_copy
from typing import Any
from xml.sax.saxutils import escape

from qaframework.framework.return_types import ReturnType

#: Where openpyxl writes the About sheet, the workbook's first.
ABOUT_XML = "xl/worksheets/sheet1.xml"


class TemplateWorkbooks:
    """The .xlsx templates of one run, each distinct workbook built once."""

    def __init__(self) -> None:
        self._built: dict[str, tuple[list[tuple[zipfile.ZipInfo, bytes]], list[str]]] = {}

    def __len__(self) -> int:
        """How many distinct workbooks were built."""
        return len(self._built)

    def xlsx(self, rt_key: str, rt: ReturnType, about: list[tuple[str, str]], rows: dict[str, list[dict[str, Any]]]) -> bytes:
        """The workbook :func:`~qaframework.returns.workbook.workbook_bytes` writes for
        ``about`` and ``rows``."""
        key = json.dumps([rt_key, [field for field, _ in about], rows], sort_keys=True, default=str)
        if key not in self._built:
            book, placeholders = _with_placeholders(rt, [field for field, _ in about], rows)
            with zipfile.ZipFile(io.BytesIO(book)) as source:  # read once, copied for each task
                self._built[key] = [(info, source.read(info)) for info in source.infolist()], placeholders
        members, placeholders = self._built[key]
        return _filled(members, dict(zip(placeholders, (value for _, value in about), strict=True)))


def _with_placeholders(rt: ReturnType, fields: list[str], rows: dict[str, list[dict[str, Any]]]) -> tuple[bytes, list[str]]:
    from qaframework.returns.workbook import workbook_bytes

    # A new random part each time, so no text of the framework can be one of them.
    stamp = uuid.uuid4().hex
    placeholders = [f"qaf-{stamp}-{index}" for index in range(len(fields))]
    return workbook_bytes(rt, list(zip(fields, placeholders, strict=True)), rows), placeholders


def _filled(members: list[tuple[zipfile.ZipInfo, bytes]], values: dict[str, str]) -> bytes:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils.exceptions import IllegalCharacterError

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info, data in members:
            if info.filename == ABOUT_XML:
                text = data.decode("utf-8")
                for placeholder, value in values.items():
                    if ILLEGAL_CHARACTERS_RE.search(value):
                        raise IllegalCharacterError(f"{value!r} cannot be used in worksheets.")
                    written = f"<is><t>{placeholder}</t></is>"  # a text in its cell, as openpyxl writes it
                    if text.count(written) != 1:
                        raise ValueError(f"the template's About sheet holds {placeholder} {text.count(written)} times, not once")
                    space = ' xml:space="preserve"' if value.strip() != value else ""
                    text = text.replace(written, f"<is><t{space}>{escape(value)}</t></is>" if value else "")
                data = text.encode("utf-8")
            copy.writestr(shallow_copy(info), data)  # writing fills in its sizes and offsets
    return out.getvalue()
