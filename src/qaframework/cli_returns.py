"""``qaf returns``: templates for partners, importing what they send, and where things stand.

An import that is rejected is still stored (with its reasons and the original file), so
``qaf returns import`` exits 2 having written only the rejected record (and the audit
log's line saying so).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.errors import EXCERPT_LENGTH, QAFrameworkError, UntrustedInputError, excerpt
from qaframework.financial_year import FinancialYear
from qaframework.cli import _framework, parse_date
from qaframework.cli_arguments import whole_number_argument
from qaframework.returns.problems import describe
from qaframework.untrusted import MAX_DATABASE_ID, read_untrusted_head, shown_path

EXIT_REJECTED = 2


def _default_name(reference: str, fmt: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "_", reference) + f".{fmt}"


#: The longest file name most file systems hold, in bytes.
MAX_NAME_BYTES = 255


def _write_output(output: Path, data: bytes, *, force: bool, exists_hint: str) -> None:
    """Write a file the user named, never replacing one unless ``force``; every failure
    (a name too long, a missing folder, no permission) is one line."""
    shown = shown_path(output)
    if any(len(os.fsencode(part)) > MAX_NAME_BYTES for part in output.parts):
        raise QAFrameworkError(f"--output {shown_path(output, EXCERPT_LENGTH)}: a file or folder name may be at most {MAX_NAME_BYTES} bytes: choose a shorter name")
    # Opened without blocking (a FIFO never waits for a reader), and only a regular file is
    # written: --force replaces a file, never writes into a device or a pipe.
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | (0 if force else os.O_EXCL)
    try:
        fd = os.open(output, flags, 0o644)
    except FileExistsError:
        raise QAFrameworkError(f"{shown} already exists{exists_hint}: choose another --output, or add --force to replace it") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a usable file name"
        raise QAFrameworkError(f"cannot write {shown}: {reason}") from None
    with os.fdopen(fd, "wb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise QAFrameworkError(f"cannot write {shown}: it is not a regular file (a device or a pipe)")
        try:
            handle.truncate(0)
            handle.write(data)
        except OSError as exc:
            raise QAFrameworkError(f"cannot write {shown}: {exc.strerror or type(exc).__name__}") from None


def cmd_template(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.returns import find_return_task
    from qaframework.returns.templates import template_csv, template_json, template_xlsx

    framework = _framework(args, settings)
    with session_for(settings) as session:
        task = find_return_task(session=session, framework=framework, reference=args.task)
    rt_key, rt = framework.return_type_for(task.activity)  # type: ignore[misc]
    agency = framework.agencies.get(task.agency_key)
    agency_type, agency_name = (agency.type, agency.name) if agency else ("", task.agency_key)
    output = Path(args.output if args.output is not None else _default_name(task.reference, args.format))
    if args.format == "json":
        data = template_json(rt_key, rt, task, agency_type)
    elif args.format == "csv":
        data = template_csv(rt_key, rt, task, agency_type, agency_name)
    else:
        data = template_xlsx(rt_key, rt, task, agency_type, agency_name)
    _write_output(output, data, force=args.force, exists_hint=" (it may be a filled-in return)")
    print(f"Wrote {shown_path(output)}: the {rt.title} template for {agency_name}, {task.title} {task.period_label}"
          + (f", due {task.due:%d %B %Y}" if task.due else "") + ".")
    return 0


def _cause(exc: BaseException) -> str:
    """What kind of failure it was (never its message, which may hold the file's content)."""
    cause = exc.__cause__ or exc
    return type(getattr(cause, "orig", None) or cause).__name__


def cmd_import(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from qaframework.persistence.returns import ReturnNotStoredError, receive_return
    from qaframework.returns.documents import MAX_BYTES

    framework = _framework(args, settings)
    if args.agency is not None and args.agency not in framework.agencies:
        raise QAFrameworkError(f"--agency {excerpt(args.agency)} is not an agency: expected one of {', '.join(sorted(framework.agencies))}")
    received_at = None
    if args.received is not None:
        from datetime import datetime, time
        from zoneinfo import ZoneInfo

        day = parse_date(args.received, "--received date")
        # Midday London time on that day: lateness is judged by the day.
        received_at = datetime.combine(day, time(12), tzinfo=ZoneInfo(framework.document.partnership.timezone))
    files = []
    for name in args.files:  # every file is read before any is stored
        path = Path(name)
        try:
            # A file over the limit is read only as far as the limit, and kept as refused.
            files.append((path, *read_untrusted_head(path, limit=MAX_BYTES, what="return")))
        except UntrustedInputError as exc:
            raise QAFrameworkError(f"cannot read {shown_path(path)}: {exc.reason}; nothing was imported") from None
    worst = 0
    for done, (path, data, size) in enumerate(files):
        try:
            with session_for(settings) as session:
                stored = receive_return(session=session, framework=framework, data=data, filename=path.name, source="cli",
                                        actor=settings.actor, agency_hint=args.agency, received_at=received_at, size=size)
        except (ReturnNotStoredError, SQLAlchemyError) as exc:
            before = f"; the {done} file{'s' if done != 1 else ''} before it {'were' if done != 1 else 'was'} stored" if done else ""
            raise QAFrameworkError(f"{shown_path(path)}: could not be stored ({_cause(exc)}): nothing was kept of it{before}; run the import again") from None
        again = " (this file had been received already: nothing new stored)" if stored.duplicate else ""
        if stored.status == "accepted":
            print(f"{shown_path(path)}: accepted as version {stored.version} of {stored.task_reference}" + (" (late)" if stored.late else " (on time)") + again)
            continue
        worst = EXIT_REJECTED
        print(f"qaf: error: {shown_path(path)}: rejected, {len(stored.problems)} problem{'s' if len(stored.problems) != 1 else ''}; "
              f"kept as submission {stored.id}{again}", file=sys.stderr)
        for p in stored.problems:
            print(f"  {describe(p)}", file=sys.stderr)
    return worst


def cmd_status(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.reporting import assignee_names
    from qaframework.persistence.return_reports import dashboard_return_facts
    from qaframework.returns.dashboard import DESCRIPTIONS, returns_tables

    framework = _framework(args, settings)
    today = today_in(framework.document.partnership.timezone)
    fy = FinancialYear.parse(args.fy) if args.fy is not None else FinancialYear.containing(today)
    with session_for(settings) as session:
        facts = dashboard_return_facts(session=session, framework=framework, financial_year=fy.start_year)
        names = assignee_names(session=session)
    tables = returns_tables(facts, framework.document.returns, names, fy.start_year, today)
    report: dict[str, object] = {
        "financial_year": str(fy),
        **tables,
        "tasks": [{"task": f.reference, "due": f.due.isoformat() if f.due else None, "status": f.status,
                   "versions_accepted": f.accepted_versions, "late": f.first_accepted_late} for f in facts if f.financial_year == fy.start_year],
    }
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"Returns for financial year {fy}, as of {today:%d %B %Y}")
    for key, rows in tables.items():
        print(f"\n{DESCRIPTIONS[key]}")
        _print_rows(rows)
    return 0


def _print_rows(rows: list[dict[str, object]]) -> None:
    if not rows:
        print("  (none)")
        return
    keys = list(rows[0])
    widths = [max(len(str(k)), *(len(str(r[k])) for r in rows)) for k in keys]
    print("  " + "  ".join(str(k).ljust(w) for k, w in zip(keys, widths)))
    for r in rows:
        print("  " + "  ".join(str(r[k]).ljust(w) for k, w in zip(keys, widths)))


def cmd_list(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.return_reports import submissions

    with session_for(settings) as session:
        lines = submissions(session=session, task_reference=args.task, status="rejected" if args.rejected else None)
    if args.json:
        json.dump([{**l.__dict__, "received_at": l.received_at.isoformat()} for l in lines], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for l in lines:
        late = " late" if l.late and l.status == "accepted" else ""
        print(f"{l.id:>5}  {l.received_at:%Y-%m-%d %H:%M}  {l.status:<8}{late:<5}  v{l.version:<3} {l.task_reference or '(no task matched)':<60}  {l.source}/{l.file_format}  {shown_path(l.filename or '')}")
        for p in l.problems:
            print(f"         {describe(p)}")
    print(f"{len(lines)} submission{'s' if len(lines) != 1 else ''}.")
    return 0


def cmd_original(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.return_reports import original_file

    with session_for(settings) as session:
        filename, data = original_file(session=session, submission_id=args.id)
    if data is None:
        raise QAFrameworkError(f"submission {args.id} ({filename}) was over the size limit: its file was not kept")
    output = Path(args.output)
    _write_output(output, data, force=args.force, exists_hint="")
    print(f"Wrote {shown_path(output)}: submission {args.id} as it was sent ({shown_path(filename or '')}).")
    return 0


def add_returns_parser(sub: Any, parser_class: type, add_framework: Callable[[Any], None], session_for: Callable[[Settings], Any]) -> None:
    def bind(handler: Callable[..., int]) -> Callable[[argparse.Namespace, Settings], int]:
        return lambda args, settings: handler(args, settings, session_for)

    p = sub.add_parser("returns", help="partner agencies' returns: templates, import, status", description="Templates for partner agencies' returns, importing what they send (.xlsx, .csv, .json), and what has been received.")
    rs = p.add_subparsers(dest="returns_command", required=True, metavar="ACTION", parser_class=parser_class)
    r = rs.add_parser("template", help="write the template for one agency task", description="Write the return template for one agency's task, pre-filled with the agency, period and what to answer.")
    r.add_argument("task", metavar="TASK", help="the task reference, e.g. multi-agency-audit/2027-04/avon-somerset-police (see qaf returns status --json)")
    r.add_argument("--format", choices=["xlsx", "csv", "json"], default="xlsx", help="the file format (default xlsx)")
    r.add_argument("--output", metavar="FILE", help="where to write it (default: the task reference, in this folder)")
    r.add_argument("--force", action="store_true", help="replace the output file if it exists")
    add_framework(r)
    r.set_defaults(handler=bind(cmd_template))
    r = rs.add_parser("import", help="import returns from .xlsx, .csv or .json files", description="Import returns. Each file is accepted (the task is marked submitted, on time or late) or rejected with every problem's sheet, row and column; either way it is kept. Exits 2 if any file was rejected.")
    r.add_argument("files", metavar="FILE", nargs="+")
    r.add_argument("--agency", metavar="KEY", help="the agency that sent the files: a file naming another agency is rejected, and a file too broken to name its agency can still be answered")
    r.add_argument("--received", metavar="DATE", help="the day the files arrived, YYYY-MM-DD, when that was before today (lateness is judged by it)")
    add_framework(r)
    r.set_defaults(handler=bind(cmd_import))
    r = rs.add_parser("status", help="returns received, outstanding and late, per agency and activity", description="Returns received, outstanding and late per agency and per activity, and the Section 11 Red/Amber/Green summary by domain.")
    r.add_argument("--fy", metavar="YEAR", help="financial year, e.g. 2027 or 2027/28 (default: the current one)")
    r.add_argument("--json", action="store_true", help="print JSON")
    add_framework(r)
    r.set_defaults(handler=bind(cmd_status))
    r = rs.add_parser("list", help="list submissions with their reasons", description="List submissions, newest first, with the reasons for any rejection.")
    r.add_argument("--task", metavar="TASK", help="only this task's submissions")
    r.add_argument("--rejected", action="store_true", help="only rejected submissions")
    r.add_argument("--json", action="store_true", help="print JSON")
    r.set_defaults(handler=bind(cmd_list))
    r = rs.add_parser("original", help="write out a submission's file as it was sent", description="Write out the file a submission arrived as, exactly as the partner sent it.")
    r.add_argument("id", metavar="ID", type=whole_number_argument(1, MAX_DATABASE_ID))
    r.add_argument("--output", metavar="FILE", required=True)
    r.add_argument("--force", action="store_true", help="replace the output file if it exists")
    r.set_defaults(handler=bind(cmd_original))
