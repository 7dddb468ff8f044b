"""``qaf papers``: build a meeting's papers now (a new version; earlier ones are kept),
and list the versions built for a meeting.

``qaf papers BODY --meeting DATE`` builds the exception reports of the bodies reporting
to BODY by exception and BODY's pack, from the record as it stands today (or
``--as-of``), writes each as HTML, PDF and Word under the data folder
(``papers/BODY/MEETING-DATE/``), and queues the email telling the chair and the business
unit (sent by the next check-deadlines or prepare-meeting-papers run). A body without
meetings or a day that is not one of its meetings is one line, exit 2, nothing written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from qaframework.cli import _framework, parse_date
from qaframework.clock import today_in
from qaframework.config import Settings

Handler = Callable[[argparse.Namespace, Settings, Callable[[Settings], Any]], int]


def cmd_papers(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.papers.building import build_papers

    framework = _framework(args, settings)
    day = parse_date(args.meeting, "--meeting date")
    as_of = parse_date(args.as_of, "--as-of date") if args.as_of else today_in(framework.document.partnership.timezone)
    with session_for(settings) as session:
        built = build_papers(session=session, framework=framework, data_dir=settings.data_dir, body=args.body, day=day, as_of=as_of,
                             actor=settings.actor, once=False)
    if args.json:
        json.dump({"pack": built.pack.as_dict(), "files": [
            {"kind": p.kind, "body": p.body, "version": p.stored.version, "paper_number": p.stored.paper_number,
             **{suffix: str(p.stored.file(settings.data_dir, suffix)) for suffix in ("html", "pdf", "docx")}} for p in built.papers]},
            sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    pack = built.pack
    print(f"{pack.title} (prepared from the record on {as_of.isoformat()}; papers due {pack.papers_due.isoformat()}).")
    print("Agenda:")
    for item in pack.agenda:
        print(f"  {item.number}. {item.title}")
    for p in built.papers:
        what = f"exception report {p.stored.paper_number} of {p.body}" if p.kind == "exception-report" else "pack"
        print(f"Built {what}, version {p.stored.version}: {p.stored.file(settings.data_dir, 'pdf')} (and .docx, .html)")
    return 0


def add_papers_parser(sub: Any, parser_class: type, add_framework: Callable[[Any], None], session_for: Callable[[Settings], Any]) -> None:
    """Adds ``papers`` to ``qaf``."""

    def bind(handler: Handler) -> Callable[[argparse.Namespace, Settings], int]:
        return lambda args, settings: handler(args, settings, session_for)

    p = sub.add_parser("papers", help="build a meeting's papers pack and exception reports now (a new version)",
                       description="Build the papers of a body's meeting from the record: the exception reports of the bodies "
                                   "reporting to it by exception, then its pack; each as HTML, PDF and Word under the data folder "
                                   "(papers/BODY/MEETING-DATE/), as a new version (earlier ones are kept). The chair and the "
                                   "business unit are emailed the PDFs by the next run that sends the outbox.")
    p.add_argument("body", metavar="BODY", help="the body's key (see qaf meetings list)")
    p.add_argument("--meeting", required=True, metavar="DATE", help="the meeting's day, YYYY-MM-DD (as qaf meetings list shows it)")
    p.add_argument("--as-of", metavar="DATE", help="the day the record is read as of (default today)")
    p.add_argument("--json", action="store_true", help="print the pack's content and the files as JSON (the artifact's keys)")
    add_framework(p)
    p.set_defaults(handler=bind(cmd_papers))
