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
from datetime import date
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


def _open_database(settings: Settings, *, create: bool = False):  # -> Engine
    """The installation's database, upgraded; a new one only when ``create`` (see _session)."""
    from qaframework.installation import ensure_installation, require_database
    from qaframework.persistence.database import make_engine, migrate

    if not create:
        require_database(settings)
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    if create and not settings.database_url:  # a PostgreSQL installation's record is written by qaf up
        ensure_installation(settings.data_dir)
    return engine


@contextmanager
def _session(settings: Settings, *, create: bool = False) -> Iterator[Any]:
    """One transaction on the installation's database (upgraded first).

    Only commands that start an installation (``qaf plan``, ``qaf db upgrade``) pass
    ``create``: every other command refuses, in one line, when there is no database
    where it looked, rather than quietly making an empty one in the wrong folder.
    """
    from qaframework.installation import ensure_installation, require_database
    from qaframework.persistence.database import prepare, transaction

    if not create:
        require_database(settings)
    prepare(settings.effective_database_url)
    if create and not settings.database_url:  # a PostgreSQL installation's record is written by qaf up
        ensure_installation(settings.data_dir)
    with transaction(settings.effective_database_url) as session:
        yield session


def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.persistence.repository import sync_directory, write_plan

    framework = _framework(args, settings)
    fy = _financial_year(args, framework)
    as_of = parse_date(args.as_of, "--as-of date") if args.as_of is not None else today_in(framework.document.partnership.timezone)
    occurrences = plan_financial_year(framework, fy)  # computed before any write
    with _session(settings, create=True) as session:
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

    engine = _open_database(settings, create=True)
    try:
        print(f"Database at {engine.url.render_as_string(hide_password=True)} is at schema {schema_revision(engine)} (newest: {head_revision()}).")
    finally:
        engine.dispose()
    return 0


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.local_stack import up

    return up(settings, say=lambda line: print(line, flush=True))


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.local_stack import status

    return status(settings)


def cmd_prefect_connect(args: argparse.Namespace, settings: Settings) -> int:
    from qaframework.installation_prefect import connect

    installation = connect(settings, args.url)
    print(f"The Prefect server at {installation.prefect_api_url} is now this installation's ({installation.data_dir}):"
          " qaf starts runs there, and refuses any other.")
    return 0


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


#: The software's own names (not a partnership's keys): the command and its deployment.
RAPID_REVIEW_COMMAND = "rapid-review"
RAPID_REVIEW_DEPLOYMENT = "rapid-review/rapid-review"


def _start_case_run(settings: Settings, reference: str, aware: date) -> int:
    """Ask this installation's Prefect server for a rapid-review run of the case, if it is
    up (the flow requires the day the local authority became aware; for a case it
    continues, the case's own dates stand). The command's exit code: 1 when the server
    is up but would not start the run (the case stands either way)."""
    from qaframework.installation_prefect import RunNotStarted, start_deployment_run

    try:
        run = start_deployment_run(settings, RAPID_REVIEW_DEPLOYMENT, {"reference": reference, "aware": aware.isoformat()})
    except RunNotStarted as exc:
        print(f"qaf: {exc}; the case is recorded: run qaf rapid-review resume {reference} to start it again", file=sys.stderr)
        return 1
    if run is None:
        print(f"Prefect is not running for this installation ({settings.data_dir}): start it with qaf up, then run"
              f" qaf rapid-review resume {reference} to get the stage forms in the Prefect UI.")
    else:
        print(f"Prefect run {run} is waiting for the next stage's form in the Prefect UI.")
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

    p = sub.add_parser("up", help="bring the whole system up: Prefect server, deployments, worker", description="Start a Prefect server on SQLite under the data folder, apply migrations, plan the current and the next financial year if they are not planned, create the work pool, deploy everything in prefect.yaml and start a worker. Ctrl-C stops it all.")
    p.set_defaults(handler=cmd_up)

    p = sub.add_parser("status", help="show what qaf up is running and the next scheduled runs", description="Show whether qaf up is running, its workers and deployments, and the next scheduled runs.")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("prefect", help="the Prefect server this installation starts runs on", description="Choose the Prefect server this installation uses when Prefect is not started by qaf up.")
    pf = p.add_subparsers(dest="prefect_command", required=True, metavar="ACTION", parser_class=_OneLineParser)
    c = pf.add_parser("connect", help="use a Prefect server run by hand for this installation", description="Record a Prefect API address (http(s)://HOST:PORT/api) in the data folder and mark that server as this installation's; qaf then starts runs there and refuses other servers. qaf up does this for the server it starts.")
    c.add_argument("url", metavar="URL", help="the Prefect API address, ending in /api")
    c.set_defaults(handler=cmd_prefect_connect)

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

    from qaframework.cli_cases import add_cases_parser

    add_cases_parser(sub, _OneLineParser, add_framework, _session)

    from qaframework.cli_actions import add_actions_parser
    from qaframework.cli_findings import add_findings_parser
    from qaframework.cli_demo import add_demo_parser
    from qaframework.cli_papers import add_papers_parser
    from qaframework.cli_report import add_report_parser
    from qaframework.cli_today import add_today_parser
    from qaframework.cli_returns import add_returns_parser
    from qaframework.cli_tasks import add_tasks_parser

    add_returns_parser(sub, _OneLineParser, add_framework, _session)
    add_findings_parser(sub, _OneLineParser, add_framework, _session)
    add_actions_parser(sub, _OneLineParser, add_framework, _session)
    add_tasks_parser(sub, _OneLineParser, add_framework, _session)
    add_papers_parser(sub, _OneLineParser, add_framework, _session)
    add_today_parser(sub, _OneLineParser, add_framework, _session)
    add_report_parser(sub, _OneLineParser, add_framework, _session)
    add_demo_parser(sub, _OneLineParser, add_framework, _session)

    p = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db = p.add_subparsers(dest="db_command", required=True, metavar="ACTION", parser_class=_OneLineParser)
    u = db.add_parser("upgrade", help="create or upgrade the database schema", description="Apply migrations so the database (empty or older) has the newest schema; starts a new installation in the data folder if there is none.")
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
