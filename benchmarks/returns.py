"""Return import speed, measured against a baseline taken in the same run.

    .venv/bin/python benchmarks/returns.py

The largest return a partner may send: a Section 175/157 school audit of 833 schools x
6 standards (4,998 rows, near the 5,000-row limit), as an .xlsx.

- baseline: openpyxl reading every cell of that workbook in read-only mode, the least
  any .xlsx importer has to do;
- read and check: qaframework reading the same file into located rows and checking every
  row against the framework (no database);
- receive: the whole of ``receive_return`` into SQLite: read, check, store the
  submission and the original file, mark the task submitted, write the audit line.

Ratios above 1 are slower than the baseline.
"""

from __future__ import annotations

import io
import sys
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import openpyxl  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import best_of  # noqa: E402

from qaframework.financial_year import FinancialYear  # noqa: E402
from qaframework.framework import load_framework  # noqa: E402
from qaframework.persistence.database import prepare, transaction  # noqa: E402
from qaframework.persistence.repository import sync_directory, write_plan  # noqa: E402
from qaframework.persistence.returns import find_return_task, receive_return  # noqa: E402
from qaframework.returns.documents import read_document  # noqa: E402
from qaframework.returns.problems import Problems  # noqa: E402
from qaframework.returns.templates import template_xlsx  # noqa: E402
from qaframework.returns.validation import validate_tables  # noqa: E402
from qaframework.yearly_plan import plan_financial_year  # noqa: E402

TASK = "s175-audit/2028-01/somerset-education"
STANDARDS = ("dsl", "policy", "training", "safer-recruitment", "online-safety", "governance")


def filled(template: bytes, variant: int) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["Schools"]
    for school in range(833):
        for standard in STANDARDS:
            sheet.append([100000 + school, f"School {school} ({variant})", standard, "Compliant", None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    framework = load_framework(ROOT / "schedules" / "sscp.yaml")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        prepare(url)
        with transaction(url) as session:
            sync_directory(session=session, framework=framework)
            write_plan(session=session, occurrences=plan_financial_year(framework, FinancialYear(2027)), actor="bench", as_of=date(2028, 1, 4))
        with transaction(url) as session:
            task = find_return_task(session=session, framework=framework, reference=TASK)
        rt = framework.document.returns["s175-school-audit"]
        template = template_xlsx("s175-school-audit", rt, task, "education", "Somerset Council Education Safeguarding")
        files = [filled(template, v) for v in range(6)]
        data = files[0]

        def baseline() -> None:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            for sheet in book.worksheets:
                for _row in sheet.iter_rows(values_only=True):
                    pass
            book.close()

        def read_and_check() -> None:
            problems = Problems()
            validate_tables(rt, task, "education", read_document(data, "audit.xlsx"), problems)
            assert not problems, problems.as_list()

        pending = iter(files)

        def receive() -> None:
            with transaction(url) as session:
                stored = receive_return(session=session, framework=framework, data=next(pending), filename="audit.xlsx", source="cli",
                                        actor="bench", received_at=datetime(2028, 2, 1, tzinfo=timezone.utc))
            assert stored.status == "accepted" and not stored.duplicate

        base = best_of(baseline, 5)
        check = best_of(read_and_check, 5)
        whole = best_of(receive, 5)
    print(f"School audit return, 4,998 rows, {len(data) / 1024:.0f} KB .xlsx")
    print(f"  baseline (openpyxl reads every cell)     {base * 1000:8.1f} ms")
    print(f"  read and check (no database)             {check * 1000:8.1f} ms   {check / base:5.2f}x baseline")
    print(f"  receive_return into SQLite               {whole * 1000:8.1f} ms   {whole / base:5.2f}x baseline")


if __name__ == "__main__":
    main()
