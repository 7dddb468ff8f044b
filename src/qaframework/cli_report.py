"""``qaf report``: the yearly report.

``qaf report yearly --fy 2027`` assembles the report on 2027/28 from the record (a DRAFT
if the year has not ended) as HTML, PDF and Word under the data folder
(``reports/yearly/2027-28/``, or ``--output DIR``), creates the narrative files the
business unit writes (``reports/yearly/2027-28/narrative/*.md``) with their headings,
and says which are still empty. Each assembly is a new version (earlier ones are kept;
with nothing changed it has the same content); ``--if-changed`` files one only when the
content changed (the scheduled flow does that). ``qaf report sign-off`` records the
Independent Scrutineer's or the top body's sign-off; ``qaf report published`` records
the publication and finishes the yearly-report task.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qaframework.cli import _framework, parse_date
from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.financial_year import FinancialYear

Handler = Callable[[argparse.Namespace, Settings, Callable[[Settings], Any]], int]
ROLE_CHOICES = ("independent_scrutiny", "top_body")


def _output(value: str | None) -> Path | None:
    from qaframework.persistence.yearly_report_steps import YearlyReportError

    if value is None:
        return None
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise YearlyReportError("--output: expected a folder for the report's files, not a file")
    return path


def cmd_yearly(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.yearly_report.building import build_yearly_report

    framework = _framework(args, settings)
    fy = FinancialYear.parse(args.fy)
    today = today_in(framework.document.partnership.timezone)
    as_of = parse_date(args.as_of, "--as-of date") if args.as_of else today
    output = _output(args.output)
    with session_for(settings) as session:
        built = build_yearly_report(session=session, framework=framework, data_dir=settings.data_dir, financial_year=fy.start_year,
                                    as_of=as_of, output=output, new_version=not args.if_changed)
    report, written = built.report, built.written
    if args.json:
        json.dump({"report": report.as_dict(), "version": written.version, "new": built.new,
                   "files": {"html": str(written.html), "pdf": str(written.pdf), "docx": str(written.docx)},
                   "narrative": str(built.narrative_folder), "empty_narrative": list(report.empty_narrative)},
                  sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
        return 0
    if report.draft:
        print(f"DRAFT: {fy} has not ended (it ends on {fy.end.isoformat()}): the report is assembled from the record as of "
              f"{as_of.isoformat()} and marked DRAFT.")
    what = f"Assembled the yearly report on {fy}, version {written.version}" if built.new else \
        f"The yearly report on {fy} is unchanged since version {written.version} (nothing new was written: --if-changed)"
    print(f"{what}: {written.pdf} (and .docx, .html)")
    if built.created_narrative:
        print(f"Created {len(built.created_narrative)} narrative files with their headings in {built.narrative_folder}")
    if report.empty_narrative:
        print(f"Narrative still empty (the report shows their headings only), in {built.narrative_folder}: "
              + ", ".join(f"{stem}.md" for stem in report.empty_narrative))
    return 0


def _body_role(framework: Any, value: str) -> str:
    from qaframework.persistence.yearly_report_steps import YearlyReportError

    for role in ROLE_CHOICES:
        if value in (role, role.replace("_", "-"), framework.role(role)):
            return role
    raise YearlyReportError(f"--by: expected {' or '.join(ROLE_CHOICES)} (or the key of the body playing it: "
                            f"{', '.join(framework.role(r) for r in ROLE_CHOICES)})")


def cmd_sign_off(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.documents.versions import latest_version
    from qaframework.persistence.yearly_facts import check_planned
    from qaframework.persistence.yearly_report_steps import record_sign_off
    from qaframework.yearly_report.building import stem, year_folder

    framework = _framework(args, settings)
    fy = FinancialYear.parse(args.fy)
    role = _body_role(framework, args.by)
    day = parse_date(args.on, "--on date")
    latest = latest_version(year_folder(settings.data_dir, fy.start_year), stem(fy.start_year))
    with session_for(settings) as session:
        check_planned(session=session, financial_year=fy.start_year)
        new = record_sign_off(session=session, framework=framework, financial_year=fy.start_year, role=role, signed_by=args.signed_by,
                              day=day, version=latest.version if latest else None, today=today_in(framework.document.partnership.timezone),
                              actor=settings.actor)
    body = framework.bodies[framework.role(role)].name  # type: ignore[arg-type]
    print(f"{'Recorded' if new else 'Already recorded'}: the yearly report on {fy} signed off by {body} on {day.isoformat()}"
          + (f" (version {latest.version})" if latest and new else ""))
    return 0


def cmd_published(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.yearly_facts import check_planned
    from qaframework.persistence.yearly_report_steps import record_publication

    framework = _framework(args, settings)
    fy = FinancialYear.parse(args.fy)
    day = parse_date(args.on, "--on date")
    with session_for(settings) as session:
        check_planned(session=session, financial_year=fy.start_year)
        new, task = record_publication(session=session, framework=framework, financial_year=fy.start_year, day=day, address=args.address,
                                       today=today_in(framework.document.partnership.timezone), actor=settings.actor)
    print(f"{'Recorded' if new else 'Already recorded'}: the yearly report on {fy} published on {day.isoformat()}"
          + (f"; task {task} is done" if task else ""))
    return 0


def add_report_parser(sub: Any, parser_class: type, add_framework: Callable[[Any], None], session_for: Callable[[Settings], Any]) -> None:
    """Adds ``report`` to ``qaf``."""

    def bind(handler: Handler) -> Callable[[argparse.Namespace, Settings], int]:
        return lambda args, settings: handler(args, settings, session_for)

    p = sub.add_parser("report", help="the yearly report: assemble it, record its sign-offs and its publication",
                       description="The yearly report (Working Together 2023): assembled from the record, signed off, published.")
    report = p.add_subparsers(dest="report_command", required=True, metavar="ACTION", parser_class=parser_class)
    r = report.add_parser("yearly", help="assemble the yearly report on a financial year (HTML, PDF and Word)",
                          description="Assemble the yearly report on a financial year from the record, as HTML, PDF and Word under the "
                                      "data folder (reports/yearly/YEAR/), with the narrative the business unit writes in "
                                      "reports/yearly/YEAR/narrative/*.md. A year not ended is marked DRAFT.")
    r.add_argument("--fy", required=True, metavar="YEAR", help="financial year, by the year it starts: 2027 or 2027/28")
    r.add_argument("--output", metavar="DIR", help="the folder for the report's versions (default: the data folder's reports/yearly/YEAR/)")
    r.add_argument("--as-of", metavar="DATE", help="the day the record is read as of (default today)")
    r.add_argument("--if-changed", action="store_true", help="file a new version only when the content changed (default: always a new version)")
    r.add_argument("--json", action="store_true", help="print the report's content and its files as JSON")
    add_framework(r)
    r.set_defaults(handler=bind(cmd_yearly))
    r = report.add_parser("sign-off", help="record a sign-off of the yearly report",
                          description="Record that the Independent Scrutineer (independent_scrutiny) or the top body (top_body) "
                                      "signed off the yearly report on a year: the latest version assembled.")
    r.add_argument("--fy", required=True, metavar="YEAR", help="financial year, by the year it starts: 2027 or 2027/28")
    r.add_argument("--by", required=True, metavar="ROLE", help="independent_scrutiny or top_body (or the key of the body playing it)")
    r.add_argument("--on", required=True, metavar="DATE", help="the day it was signed off, YYYY-MM-DD")
    r.add_argument("--signed-by", metavar="ROLE", help="who signed: a role, never a name (default the body's chair)")
    add_framework(r)
    r.set_defaults(handler=bind(cmd_sign_off))
    r = report.add_parser("published", help="record the yearly report's publication (finishes its task)",
                          description="Record that the yearly report on a year was published (the day and the web address); this "
                                      "finishes the business unit's yearly-report task. Both sign-offs come first.")
    r.add_argument("--fy", required=True, metavar="YEAR", help="financial year, by the year it starts: 2027 or 2027/28")
    r.add_argument("--on", required=True, metavar="DATE", help="the day it was published, YYYY-MM-DD")
    r.add_argument("--address", required=True, metavar="URL", help="the web address it was published at (https://...)")
    add_framework(r)
    r.set_defaults(handler=bind(cmd_published))
