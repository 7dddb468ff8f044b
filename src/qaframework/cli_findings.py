"""``qaf findings``: record what an activity learned, import a sheet of findings, write
the sheet to fill in, and list findings with where they were placed.

Bad input (an unknown occurrence or case, a kind or theme not in the framework, a
likelihood outside 1-5, a date that is not a date, text that looks identifying) is one
line on stderr, exit 2, and nothing is written; an import lists every problem by sheet,
row and column and writes nothing. Nothing typed is quoted back.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qaframework.cli import _framework, parse_date
from qaframework.cli_arguments import LONG_ARGUMENTS
from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.errors import QAFrameworkError
from qaframework.financial_year import FinancialYear
from qaframework.learning.finding_fields import KINDS, SUMMARY_LENGTH, FindingEntry
from qaframework.untrusted import UntrustedInputError, read_untrusted_file, shown_path

# A summary may be longer than a key (cli_arguments refuses longer text before a command runs).
LONG_ARGUMENTS.setdefault("summary", SUMMARY_LENGTH)

EXIT_REFUSED = 2
OPTIONS = {"title": "--title", "summary": "--summary", "kind": "--kind", "theme": "--theme", "agency": "--agency",
           "likelihood": "--likelihood", "impact": "--impact", "recorded_on": "--on"}


def _recorded_on(args: argparse.Namespace, framework: Any) -> tuple[Any, Any]:
    """The day recorded (``--on``, default today) and today, in the partnership's time zone."""
    today = today_in(framework.document.partnership.timezone)
    if args.on is not None:
        return parse_date(args.on, "--on date"), today
    return today, today


def _placed(line: Any) -> str:
    where = []
    for p in line.placements:
        if p["kind"] == "meeting":
            where.append(f"{p['route']} {p['meeting_day']}")
        elif p["kind"] == "activity":
            where.append(f"{p['route']} {p['financial_year']}" + ("" if p["occurrence"] else " (not planned yet)"))
        else:
            where.append(f"{p['route']} {p['financial_year'] if p['kind'] == 'output' else '(outside the calendar)'}")
    if line.pending:
        where.append("waiting for a meeting: " + ", ".join(line.pending))
    return "; ".join(where) or "-"


def cmd_add(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.findings import FindingError, list_findings, record_finding

    framework = _framework(args, settings)
    recorded_on, today = _recorded_on(args, framework)
    subject_kind, subject, option = ("occurrence", args.occurrence, "--occurrence") if args.occurrence is not None else ("case", args.case, "--case")
    entry = FindingEntry(subject, args.title, args.summary, args.kind, args.theme, args.agency, args.likelihood, args.impact)
    try:
        with session_for(settings) as session:
            finding = record_finding(session=session, framework=framework, entry=entry, recorded_on=recorded_on, source="typed",
                                     actor=settings.actor, subject_kind=subject_kind, today=today)
            (line,) = [f for f in list_findings(session=session, framework=framework, financial_year=finding.financial_year) if f.reference == finding.reference]
    except FindingError as exc:
        _, field, reason = exc.problems[0]
        raise QAFrameworkError(f"{OPTIONS.get(field, option)}: {reason}; nothing was recorded") from None
    print(f"Recorded {line.reference} ({line.kind}, {line.theme}) on {subject}, {recorded_on:%d %B %Y}"
          + (f"; risk scored {line.risk['score']} ({line.risk['band']})" if line.risk else "") + ".")
    print(f"  placed: {_placed(line)}")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.learning.finding_sheet import entry_of, read_rows
    from qaframework.persistence.findings import FindingDayError, FindingError, record_findings
    from qaframework.returns.documents import MAX_BYTES
    from qaframework.returns.problems import ReturnFileUnreadable

    framework = _framework(args, settings)
    recorded_on, today = _recorded_on(args, framework)
    path = Path(args.file)
    shown = shown_path(path)
    try:
        rows = read_rows(read_untrusted_file(path, limit=MAX_BYTES, what="findings sheet"), path.name)
    except UntrustedInputError as exc:
        raise QAFrameworkError(f"cannot read {shown}: {exc.reason}; nothing was imported") from None
    except ReturnFileUnreadable as exc:
        raise QAFrameworkError(f"{shown}: {exc.problem}; nothing was imported") from None
    try:
        with session_for(settings) as session:
            findings = record_findings(session=session, framework=framework, entries=[entry_of(r) for r in rows],
                                       recorded_on=recorded_on, source="import", actor=settings.actor, today=today)
    except FindingDayError as exc:
        raise QAFrameworkError(f"--on: {exc.problems[0][2]}; nothing was imported") from None
    except FindingError as exc:
        count = len(exc.problems)
        print(f"qaf: error: {shown}: {count} problem{'s' if count != 1 else ''}; nothing was imported", file=sys.stderr)
        for index, field, reason in exc.problems[:50]:
            # The day recorded is --on's; that it is too early is the row's occurrence or case.
            print(f"  {rows[index].where('subject' if field == 'recorded_on' else field)}: {reason}", file=sys.stderr)
        if count > 50:
            print(f"  and {count - 50} more problems of the same kinds", file=sys.stderr)
        return EXIT_REFUSED
    print(f"{shown}: imported {len(findings)} finding{'s' if len(findings) != 1 else ''}: "
          f"{', '.join(f.reference for f in findings)}, recorded {recorded_on:%d %B %Y}.")
    return 0


def cmd_template(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.cli_returns import _write_output
    from qaframework.learning.finding_sheet import template_csv, template_xlsx

    framework = _framework(args, settings)
    output = Path(args.output)
    suffix = output.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise QAFrameworkError(f"--output {shown_path(output)}: name an .xlsx file (with drop-downs) or a .csv file")
    data = template_xlsx(framework) if suffix == ".xlsx" else template_csv()
    _write_output(output, data, force=args.force, exists_hint=" (it may be a filled-in sheet)")
    print(f"Wrote {shown_path(output)}: one row per finding; import it with qaf findings import {shown_path(output)}.")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.findings import list_findings

    framework = _framework(args, settings)
    fy = FinancialYear.parse(args.fy) if args.fy is not None else None
    routes = set(framework.bodies) | set(framework.document.outputs) | set(framework.activities)
    if args.route is not None and args.route not in routes:
        raise QAFrameworkError(f"--route: not a body, output or activity of {framework.source.name}: expected one of {', '.join(sorted(routes))}")
    with session_for(settings) as session:
        lines = list_findings(session=session, framework=framework, financial_year=fy.start_year if fy else None, route=args.route)
    if args.json:
        json.dump([line.as_json() for line in lines], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for line in lines:
        print(f"{line.reference}  {line.recorded_on.isoformat()}  {line.kind:<20}  {line.theme:<34}  {line.status:<9}  {line.title[:60]}")
        print(f"             placed: {_placed(line)}")
    scope = f" in {fy}" if fy else ""
    print(f"{len(lines)} finding{'s' if len(lines) != 1 else ''}{scope}" + (f" placed on {args.route}" if args.route else "") + ".")
    return 0


def add_findings_parser(sub: Any, parser_class: type, add_framework: Callable[[Any], None], session_for: Callable[[Settings], Any]) -> None:
    """Adds the `findings` commands to `qaf`."""

    def bind(handler: Callable[..., int]) -> Callable[[argparse.Namespace, Settings], int]:
        return lambda args, settings: handler(args, settings, session_for)

    p = sub.add_parser("findings", help="what activities learned: record, import, list", description="Findings: what an audit, a return or a review learned (good practice, an area for improvement, a risk), and where each was placed (meetings, the yearly report, outputs).")
    fs = p.add_subparsers(dest="findings_command", required=True, metavar="ACTION", parser_class=parser_class)
    f = fs.add_parser("add", help="record one finding", description="Record a finding on an occurrence or a review case. Each add records a new finding (typed findings have no natural key). Refused, with nothing written, if the text looks identifying (an NHS number, a date of birth, a postcode).")
    on = f.add_mutually_exclusive_group(required=True)
    on.add_argument("--occurrence", metavar="KEY", help="the occurrence it was learned in, by key (e.g. mape/2027-05; see qaf calendar --json)")
    on.add_argument("--case", metavar="REF", help="the review case it was learned in, by reference only (e.g. RR-2027-004)")
    f.add_argument("--title", required=True, help="what was learned, in a few words (at most 200 characters; no names)")
    f.add_argument("--summary", required=True, help=f"a short summary (at most {SUMMARY_LENGTH} characters; no names, dates of birth or postcodes)")
    f.add_argument("--kind", required=True, metavar="KIND", help=f"one of {', '.join(KINDS)}")
    f.add_argument("--theme", required=True, metavar="THEME", help="a theme key of the framework file (themes:)")
    f.add_argument("--agency", metavar="KEY", help="the agency it is about, if one")
    f.add_argument("--likelihood", metavar="N", help="for a risk: 1 to 5")
    f.add_argument("--impact", metavar="N", help="for a risk: 1 to 5")
    f.add_argument("--on", metavar="DATE", help="the day it was recorded, YYYY-MM-DD (default today)")
    add_framework(f)
    f.set_defaults(handler=bind(cmd_add))
    f = fs.add_parser("import", help="import a sheet of findings (.xlsx or .csv)", description="Import findings, one a row (columns: occurrence or case, title, summary, kind, theme, agency, likelihood, impact). All or nothing: any problem, each named by sheet, row and column, and nothing is written (exit 2).")
    f.add_argument("file", metavar="FILE")
    f.add_argument("--on", metavar="DATE", help="the day they were recorded, YYYY-MM-DD (default today)")
    add_framework(f)
    f.set_defaults(handler=bind(cmd_import))
    f = fs.add_parser("template", help="write the findings sheet to fill in", description="Write the findings sheet: .xlsx with drop-downs for the kind, the theme and the agency, or a .csv header row.")
    f.add_argument("--output", metavar="FILE", required=True, help="the .xlsx (or .csv) file to write")
    f.add_argument("--force", action="store_true", help="replace the output file if it exists")
    add_framework(f)
    f.set_defaults(handler=bind(cmd_template))
    f = fs.add_parser("list", help="list findings and where they were placed", description="List findings: reference, day recorded, kind, theme, status, title and where each was placed.")
    f.add_argument("--fy", metavar="YEAR", help="only those recorded in this financial year, e.g. 2027 or 2027/28")
    f.add_argument("--route", metavar="KEY", help="only those placed on this route (a body, output or activity key)")
    f.add_argument("--json", action="store_true", help="print JSON")
    add_framework(f)
    f.set_defaults(handler=bind(cmd_list))
