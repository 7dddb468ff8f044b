"""Yearly report speed, measured against a baseline taken in the same run.

    .venv/bin/python benchmarks/yearly_report.py

A generated roster of 200 agencies (the shipped roster's 13, repeated with new keys:
each keeps its type, its Section 11 duty and the bodies it attends) on the SSCP
framework; the year 2027/28 planned with every task, opened, the meetings held with
every attending agency, and each dataset task of the first two quarters answered.

1. Assembling the report: gather the year's facts from the database, assemble, draw
   the charts, render HTML, PDF and Word, file the version.
2. The baseline: the same document from facts gathered once beforehand: assemble,
   charts, render and file only, with no data query.

Both are timed interleaved, best of three. The ratio says what the queries add to
producing the document (1.0 would be nothing): gathering is a fixed handful of queries
(about 0.2 s for 200 agencies); WeasyPrint drawing the charts' SVG into the PDF is most
of the time of both.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from qaframework.financial_year import FinancialYear  # noqa: E402
from qaframework.framework import load_framework  # noqa: E402
from qaframework.persistence.database import prepare, transaction  # noqa: E402
from qaframework.persistence.meetings import record_meeting  # noqa: E402
from qaframework.persistence.paper_facts import meeting_facts  # noqa: E402
from qaframework.persistence.repository import sync_directory, write_plan  # noqa: E402
from qaframework.persistence.returns import find_return_task, receive_return  # noqa: E402
from qaframework.persistence.tables import Occurrence, Task  # noqa: E402
from qaframework.persistence.task_status import open_started_tasks  # noqa: E402
from qaframework.returns.templates import template_json  # noqa: E402
from qaframework.returns.validation import task_reference  # noqa: E402
from qaframework.yearly_plan import plan_financial_year  # noqa: E402
from qaframework.yearly_report.building import build_from_facts, build_yearly_report, gather  # noqa: E402
from timing import best_of  # noqa: E402 - benchmarks/ is on the path when run as a script

AGENCIES = 200
FY = 2027


def generated_framework(folder: Path):  # type: ignore[no-untyped-def]
    shipped = yaml.safe_load((ROOT / "schedules" / "example_agencies.yaml").read_text(encoding="utf-8"))
    base = list(shipped["agencies"].items())
    agencies = {}
    for n in range(AGENCIES):
        key, agency = base[n % len(base)]
        agencies[f"{key}-{n:03d}"] = {**agency, "name": f"{agency['name']} ({n:03d})",
                                      "contact": {**agency["contact"], "email": f"returns-{n:03d}@example.org"}}
    class Plain(yaml.SafeDumper):
        def ignore_aliases(self, data: object) -> bool:
            return True

    (folder / "agencies.yaml").write_text(yaml.dump({"example_data": True, "agencies": agencies}, Dumper=Plain), encoding="utf-8")
    text = (ROOT / "schedules" / "sscp.yaml").read_text(encoding="utf-8").replace("roster: example_agencies.yaml", "roster: agencies.yaml")
    (folder / "framework.yaml").write_text(text, encoding="utf-8")
    return load_framework(folder / "framework.yaml")


def simulated_year(url: str, framework) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    year = FinancialYear(FY)
    prepare(url)
    with transaction(url) as session:
        sync_directory(session=session, framework=framework)
        write_plan(session=session, occurrences=plan_financial_year(framework, year), actor="benchmark", as_of=year.start - timedelta(days=1))
        open_started_tasks(session=session, on=year.end, actor="benchmark")
    dataset = {a for rt in framework.document.returns.values() if rt.kind == "dataset" for a in rt.activities}
    with transaction(url) as session:
        rows = session.execute(select(Occurrence.key, Task.assignee_key, Task.due).join(Task, Task.occurrence_id == Occurrence.id).where(
            Occurrence.financial_year == FY, Occurrence.activity.in_(dataset), Task.assignee_kind == "agency",  # type: ignore[attr-defined]
            Occurrence.window_start < date(FY, 10, 1))).all()
    for key, agency, due in rows:
        with transaction(url) as session:
            task = find_return_task(session=session, framework=framework, reference=task_reference(key, agency))
            rt_key, rt = framework.return_type_for(task.activity)
            body = json.loads(template_json(rt_key, rt, task, framework.agencies[agency].type))
            if not body["values"]:
                continue
            for row in body["values"]:
                row["value"] = 12
            receive_return(session=session, framework=framework, data=json.dumps(body).encode(), filename=f"{agency}.json", source="cli",
                           actor="benchmark", received_at=datetime.combine(due - timedelta(days=1), time(9), tzinfo=timezone.utc))
    with transaction(url) as session:
        meetings = [m for m in meeting_facts(session=session, framework=framework) if year.start <= m.day <= year.end]
    for m in meetings:
        with transaction(url) as session:
            record_meeting(session=session, framework=framework, body=m.body, meeting_day=m.day, held=True, today=year.end, actor="benchmark",
                           attended=[k for k, a in framework.agencies.items() if m.body in a.attends])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        framework = generated_framework(folder)
        url = f"sqlite:///{folder / 'qaf.db'}"
        simulated_year(url, framework)
        as_of = FinancialYear(FY).end + timedelta(days=60)

        def assemble() -> object:
            with transaction(url) as session:
                return build_yearly_report(session=session, framework=framework, data_dir=folder, financial_year=FY, as_of=as_of,
                                           output=folder / "full", new_version=True)

        with transaction(url) as session:
            facts = gather(session=session, framework=framework, financial_year=FY, as_of=as_of)

        def render_only() -> object:
            return build_from_facts(framework, facts, folder, folder / "render", new_version=True)

        gathered = best_of(lambda: gather_only(url, framework, as_of), repeats=3)
        # Interleaved, so that a busy moment of the (shared) machine falls on both alike.
        full = baseline = float("inf")
        for _ in range(3):
            full = min(full, best_of(assemble, repeats=1))
            baseline = min(baseline, best_of(render_only, repeats=1))
        print(f"{len(framework.agencies)} agencies, {len(facts.returns)} return tasks, {len(facts.occurrences)} occurrences")
        print(f"gathering the facts alone: {gathered * 1000:.0f} ms")
        print(f"assembling the yearly report: {full:.2f} s; rendering the same document with no data queries: {baseline:.2f} s")
        print(f"ratio: {full / baseline:.2f}x")


def gather_only(url: str, framework, as_of: date) -> object:  # type: ignore[no-untyped-def]
    with transaction(url) as session:
        return gather(session=session, framework=framework, financial_year=FY, as_of=as_of)


if __name__ == "__main__":
    main()
