"""The ``qaf`` command line: the contract other tools rely on.

Errors a person can fix (an unknown rule, an impossible date, a broken framework file)
are printed as one line on stderr with exit status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.deadlines import deadline
from qaframework.cli_arguments import EXIT_USAGE, argument_names, check_arguments, one_line, parse_date, read_rationale_file, whole_number_argument
from qaframework.cli_arguments import OneLineParser as _OneLineParser
from qaframework.errors import QAFrameworkError, excerpt
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework, load_framework
from qaframework.untrusted import shown_path
from qaframework.yearly_plan import PlannedOccurrence, plan_financial_year


def _framework(args: argparse.Namespace, settings: Settings) -> Framework:
    return load_framework(getattr(args, "framework", None) or settings.framework_file)


def _financial_year(args: argparse.Namespace, framework: Framework) -> FinancialYear:
    if args.fy is None:
        return FinancialYear.containing(today_in(framework.document.partnership.timezone))
    return FinancialYear.parse(args.fy)


def _format_table(fy: FinancialYear, occurrences: Sequence[PlannedOccurrence]) -> str:
    lines = [f"Quality assurance calendar, financial year {fy} ({fy.start:%d %B %Y} to {fy.end:%d %B %Y})", ""]
    header = f"{'Start':<10}  {'End':<10}  {'Due':<10}  {'Period':<6}  {'Time':<5}  {'Activity':<40}  Assignees"
    lines += [header, "-" * len(header)]
    for o in occurrences:
        when = o.starts_at.strftime("%H:%M") if o.starts_at else "-"
        keys = [a.key for a in o.assignees]
        who = ", ".join(keys) if len(keys) <= 3 else f"{', '.join(keys[:2])} and {len(keys) - 2} more"
        lines.append(
            f"{o.start.isoformat():<10}  {o.end.isoformat():<10}  {(o.due.isoformat() if o.due else '-'):<10}  "
            f"{(o.period or '-'):<6}  {when:<5}  {o.title[:40]:<40}  {who}"
        )
    lines.append("")
    lines.append(f"{len(occurrences)} occurrences. As-required activities (rapid reviews, CSPRs, inspections) start on demand.")
    return "\n".join(lines)


def cmd_calendar(args: argparse.Namespace, settings: Settings) -> int:
    framework = _framework(args, settings)
    fy = _financial_year(args, framework)
    occurrences = plan_financial_year(framework, fy)
    if args.json:
        json.dump([o.as_json() for o in occurrences], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(_format_table(fy, occurrences))
    return 0


def cmd_deadline(args: argparse.Namespace, settings: Settings) -> int:
    framework = _framework(args, settings)
    start = parse_date(args.date, "clock start date")
    print(deadline(framework, args.rule, start).isoformat())
    return 0


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    framework = load_framework(args.file)
    marked = [what for what, flag in (("the framework", framework.document.partnership.example_data), ("the roster", framework.roster.example_data)) if flag]
    example = f" ({' and '.join(marked)} {'are' if len(marked) > 1 else 'is'} marked as EXAMPLE data)" if marked else ""
    print(
        f"{shown_path(args.file)}: valid: {len(framework.activities)} activities, {len(framework.bodies)} bodies, "
        f"{len(framework.agencies)} agencies{example}"
    )
    return 0


def _open_database(settings: Settings):  # -> Engine
    from qaframework.persistence.database import make_engine, migrate

    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    return engine


@contextmanager
def _session(settings: Settings) -> Iterator[Any]:
    """One transaction on the configured database (created or upgraded first)."""
    from qaframework.persistence.database import prepare, transaction

    prepare(settings.effective_database_url)
    with transaction(settings.effective_database_url) as session:
        yield session


def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.persistence.repository import sync_directory, write_plan

    framework = _framework(args, settings)
    fy = _financial_year(args, framework)
    as_of = parse_date(args.as_of, "--as-of date") if args.as_of is not None else today_in(framework.document.partnership.timezone)
    occurrences = plan_financial_year(framework, fy)  # computed before any write
    with _session(settings) as session:
        sync_directory(session=session, framework=framework)
        result = write_plan(session=session, occurrences=occurrences, actor=settings.actor, as_of=as_of)
    print(
        f"Plan for financial year {fy}: created {result.occurrences_created} occurrences and "
        f"{result.tasks_created} tasks; {result.occurrences_existing} occurrences and "
        f"{result.tasks_existing} tasks already existed."
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.persistence.database import head_revision, schema_revision

    engine = _open_database(settings)
    try:
        print(f"Database at {engine.url.render_as_string(hide_password=True)} is at schema {schema_revision(engine)} (newest: {head_revision(engine)}).")
    finally:
        engine.dispose()
    return 0


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.local_stack import up

    return up(settings, say=lambda line: print(line, flush=True))


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.local_stack import status

    return status(settings)


def cmd_feeds_issue(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.feeds.items import known_scope
    from qaframework.feeds.keys import feed_key
    from qaframework.persistence.subscriptions import issue_subscription

    framework = _framework(args, settings)
    scope = known_scope(framework, args.key)
    if scope is None:
        known = sorted(framework.agencies) + sorted(framework.bodies)
        raise QAFrameworkError(f"{excerpt(args.key)} is not an agency, a body or 'partnership': expected one of partnership, {', '.join(known)}")
    with _session(settings) as session:
        issued = issue_subscription(session=session, scope=scope, label=args.label or "", actor=settings.actor, key=feed_key(settings))
    https = settings.feeds_base_url + issued.path
    print(f"Feed {issued.public_id} for {scope}. Give these to the named contact; the secret is not shown again.")
    print(f"  {https}")
    print(f"  webcal://{https.removeprefix('https://')}")
    if not settings.feeds_public_url:
        print(f"  (on this machine, without HTTPS: {settings.feeds_local_url}{issued.path};")
        print("   set QAF_FEEDS_PUBLIC_URL to the HTTPS address partners reach the feed server at)")
    return 0


def cmd_feeds_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.persistence.subscriptions import revoke_subscription

    public_id = args.id.rstrip("/").split("/feeds/")[-1].split("/")[0]
    with _session(settings) as session:
        scope = revoke_subscription(session=session, public_id=public_id, actor=settings.actor)
    print(f"Feed {public_id} for {scope} is revoked: its URL now answers 404.")
    return 0


def cmd_feeds_list(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.persistence.subscriptions import list_subscriptions

    with _session(settings) as session:
        rows = list_subscriptions(session=session)
    for r in rows:
        state = f"revoked {r.revoked_at:%Y-%m-%d}" if r.revoked_at else "active"
        print(f"{r.public_id}  {r.scope:<45}  issued {r.created_at:%Y-%m-%d}  {state}  {r.label}")
    print(f"{len(rows)} feed subscriptions.")
    return 0


def cmd_feeds_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from qaframework.feeds.catalog import FeedCatalog
    from qaframework.feeds.server import create_app

    framework = _framework(args, settings)
    engine = _open_database(settings)
    catalog = FeedCatalog(framework, engine, settings.feeds_refresh_seconds)
    catalog.start_refreshing()
    host = args.host or settings.feeds_host
    port = args.port or settings.feeds_port
    print(f"Serving calendar feeds on http://{host}:{port}/feeds/... (Ctrl-C to stop)", flush=True)
    try:
        uvicorn.run(create_app(catalog), host=host, port=port, log_level="warning", access_log=False)
    finally:
        catalog.stop_refreshing()
        engine.dispose()
    return 0


def _print_case(view) -> None:  # type: ignore[no-untyped-def]
    print(f"{view.reference}  {view.status}" + (f", decision {view.decision}" if view.decision else "")
          + f"  (aware {view.aware.isoformat()}" + (f", notified {view.notified.isoformat()})" if view.notified else ")"))
    for s in view.stages:
        marker = "->" if s.key == view.next_stage else "  "
        print(f"  {marker} {s.title:<55} due {s.due.isoformat() if s.due else '-':<10}  done {s.done_on.isoformat() if s.done_on else '-':<10}  {s.state}")


def _start_case_run(settings: Settings, reference: str) -> None:
    """Ask the Prefect server for a rapid-review run of the case, if one is up."""
    from qaframework.local_stack import start_deployment_run

    run = start_deployment_run(settings, "rapid-review/rapid-review", {"reference": reference})
    if run is None:
        print(f"Prefect is not running here: start it with qaf up, then run qaf rapid-review resume {reference}"
              " to get the stage forms in the Prefect UI.")
    else:
        print(f"Prefect run {run} is waiting for the next stage's form in the Prefect UI.")


def cmd_rapid_review_start(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.persistence.cases import case_view, open_case
    from qaframework.reviews.chain import CaseDates

    framework = _framework(args, settings)
    dates = CaseDates(
        parse_date(args.incident, "--incident date") if args.incident else None,
        parse_date(args.aware, "--aware date"),
        parse_date(args.notified, "--notified date") if args.notified else None,
    )
    with _session(settings) as session:
        reference = open_case(session=session, framework=framework, dates=dates, opened_by_run=None, actor=settings.actor)
        view = case_view(session=session, framework=framework, reference=reference)
    print(f"Opened case {reference}. Use only this reference anywhere outside the case record.")
    _print_case(view)
    _start_case_run(settings, reference)
    return 0


def cmd_rapid_review_record(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.persistence.cases import record_stage

    framework = _framework(args, settings)
    done_on = parse_date(args.on, "--on date")
    rationale = args.rationale
    if args.rationale_file:
        rationale = read_rationale_file(args.rationale_file)
    with _session(settings) as session:
        view = record_stage(session=session, framework=framework, reference=args.reference, stage=args.stage, done_on=done_on,
                            actor=settings.actor, decision=args.decision, rationale=rationale, signed_by=args.signed_by)
    _print_case(view)
    return 0


def cmd_rapid_review_resume(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.persistence.cases import case_view

    framework = _framework(args, settings)
    with _session(settings) as session:
        view = case_view(session=session, framework=framework, reference=args.reference)
    _print_case(view)
    if view.next_stage is None:
        print(f"{view.reference} is complete: nothing to resume.")
        return 0
    _start_case_run(settings, view.reference)
    return 0


def cmd_cases(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.persistence.cases import case_view, open_case_references

    framework = _framework(args, settings)
    with _session(settings) as session:
        views = [case_view(session=session, framework=framework, reference=r) for r in open_case_references(session=session)]
    for view in views:
        _print_case(view)
    print(f"{len(views)} open case{'s' if len(views) != 1 else ''}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="qaf", description="Run a safeguarding partnership's quality-assurance calendar.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_OneLineParser)

    def add_framework(p: argparse.ArgumentParser) -> None:
        p.add_argument("--framework", metavar="FILE", help="framework file (default: QAF_FRAMEWORK_FILE or the shipped schedules/sscp.yaml)")

    def add_fy(p: argparse.ArgumentParser) -> None:
        p.add_argument("--fy", metavar="YEAR", help="financial year, by the year it starts: 2027 or 2027/28 (default: the current one)")

    p = sub.add_parser("calendar", help="print the planned calendar of a financial year", description="Print every planned occurrence of a financial year: windows, due dates, periods and assignees.")
    add_fy(p)
    add_framework(p)
    p.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    p.set_defaults(handler=cmd_calendar)

    p = sub.add_parser("deadline", help="print the due date of a deadline rule", description="Print the ISO due date of a deadline rule whose clock starts on DATE (day 0).")
    p.add_argument("rule", metavar="RULE", help="a deadline rule from the framework, e.g. rapid-review")
    p.add_argument("date", metavar="DATE", help="the day the clock starts, YYYY-MM-DD")
    add_framework(p)
    p.set_defaults(handler=cmd_deadline)

    p = sub.add_parser("plan", help="write a financial year's occurrences and tasks to the database", description="Write a year's occurrences and tasks to the database. Safe to run again: existing rows are kept, nothing is duplicated. Windows that closed before the --as-of day (default today) get no tasks.")
    add_fy(p)
    add_framework(p)
    p.add_argument("--as-of", metavar="DATE", help="the day to plan as of, YYYY-MM-DD (default today): windows closed before it get no tasks")
    p.set_defaults(handler=cmd_plan)

    p = sub.add_parser("validate", help="validate a framework file", description="Check a framework file and the roster it names; print what is wrong, or a summary.")
    p.add_argument("file", metavar="FILE", help="the framework file to check")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("up", help="bring the whole system up: Prefect server, deployments, worker", description="Start a Prefect server on SQLite under the data folder, apply migrations, create the work pool, deploy everything in prefect.yaml and start a worker. Ctrl-C stops it all.")
    p.set_defaults(handler=cmd_up)

    p = sub.add_parser("status", help="show what qaf up is running and the next scheduled runs", description="Show whether qaf up is running, its workers and deployments, and the next scheduled runs.")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("feeds", help="partners' private calendar feeds", description="Issue, list and revoke private iCal feed URLs, and serve the feeds.")
    feeds = p.add_subparsers(dest="feeds_command", required=True, metavar="ACTION", parser_class=_OneLineParser)
    f = feeds.add_parser("issue", help="issue a private feed URL for an agency, a body or the partnership", description="Issue a new private feed URL (https:// and webcal://) for an agency key, a body key or 'partnership'. The secret is shown once.")
    f.add_argument("key", metavar="AGENCY|BODY|partnership")
    f.add_argument("--label", help="a note of who the URL was given to (no personal data needed)")
    add_framework(f)
    f.set_defaults(handler=cmd_feeds_issue)
    f = feeds.add_parser("revoke", help="withdraw a feed URL", description="Withdraw a feed subscription by its id (or its whole URL): the URL answers 404 from then on.")
    f.add_argument("id", metavar="ID|URL")
    f.set_defaults(handler=cmd_feeds_revoke)
    f = feeds.add_parser("list", help="list feed subscriptions (never their secrets)", description="List feed subscriptions: id, scope, when issued, whether revoked.")
    f.set_defaults(handler=cmd_feeds_list)
    f = feeds.add_parser("serve", help="serve the feeds over HTTP", description="Serve the calendar feeds (plain HTTP on loopback by default; put HTTPS in front for partners).")
    f.add_argument("--host", help="address to listen on (default QAF_FEEDS_HOST, 127.0.0.1)")
    f.add_argument("--port", type=whole_number_argument(1, 65535), help="port (default QAF_FEEDS_PORT, 8765)")
    add_framework(f)
    f.set_defaults(handler=cmd_feeds_serve)

    p = sub.add_parser("rapid-review", help="serious incidents: open a case, record its stages, resume its run", description="Serious incidents and their statutory clock chain, known only by case reference.")
    rr = p.add_subparsers(dest="rr_command", required=True, metavar="ACTION", parser_class=_OneLineParser)
    r = rr.add_parser("start", help="open a case for a serious incident", description="Open a case (reference allocated, e.g. RR-2027-004), print its stage due dates, and start its run in Prefect if it is up.")
    r.add_argument("--aware", required=True, metavar="DATE", help="the day the local authority became aware, YYYY-MM-DD")
    r.add_argument("--notified", metavar="DATE", help="the day the National Panel was notified, if it has been")
    r.add_argument("--incident", metavar="DATE", help="the day of the incident, if known")
    add_framework(r)
    r.set_defaults(handler=cmd_rapid_review_start)
    r = rr.add_parser("record", help="record that a case's next stage was done", description="Record a stage without the Prefect UI (for example when Prefect is down).")
    r.add_argument("reference", metavar="REF")
    r.add_argument("stage", metavar="STAGE", help="the stage key, as the framework file's review_chain.stages names it")
    r.add_argument("--on", required=True, metavar="DATE", help="the day it was done, YYYY-MM-DD")
    r.add_argument("--decision", metavar="DECISION", help="for the decision stage: a key of the framework file's review_chain.decisions")
    r.add_argument("--rationale", help="for the decision stage: kept in the case record only; no names (use --rationale-file to keep it out of shell history)")
    r.add_argument("--rationale-file", metavar="FILE", help="read the rationale from a file")
    r.add_argument("--signed-by", metavar="ROLE", help="for sign-offs: the role that signed off, as the stage's signed_by in the framework file lists them (a role, never a name)")
    add_framework(r)
    r.set_defaults(handler=cmd_rapid_review_record)
    r = rr.add_parser("resume", help="start a new run for a case where it stood", description="Start a new Prefect run for a case whose run expired or was lost; it continues at the stage where the case stands.")
    r.add_argument("reference", metavar="REF")
    add_framework(r)
    r.set_defaults(handler=cmd_rapid_review_resume)

    p = sub.add_parser("cases", help="list open review cases with their stages", description="List open cases with each stage's due and done dates.")
    add_framework(p)
    p.set_defaults(handler=cmd_cases)

    from qaframework.cli_actions import add_actions_parser
    from qaframework.cli_findings import add_findings_parser
    from qaframework.cli_returns import add_returns_parser
    from qaframework.cli_tasks import add_tasks_parser

    add_returns_parser(sub, _OneLineParser, add_framework, _session)
    add_findings_parser(sub, _OneLineParser, add_framework, _session)
    add_actions_parser(sub, _OneLineParser, add_framework, _session)
    add_tasks_parser(sub, _OneLineParser, add_framework, _session)

    p = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db = p.add_subparsers(dest="db_command", required=True, metavar="ACTION", parser_class=_OneLineParser)
    u = db.add_parser("upgrade", help="create or upgrade the database schema", description="Apply migrations so the database (empty or older) has the newest schema.")
    u.set_defaults(handler=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_arguments(args, argument_names(parser, args))
        settings = Settings()
        return args.handler(args, settings)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        name = "QAF_" + str(first["loc"][0]).upper() if first["loc"] else "a QAF_ setting"
        print(one_line(f"qaf: error: {name}: {first['msg'].removeprefix('Value error, ')}"), file=sys.stderr)
        return EXIT_USAGE
    except QAFrameworkError as exc:
        print(one_line(f"qaf: error: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`qaf tasks | head`): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
