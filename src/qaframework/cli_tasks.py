"""``qaf tasks`` and ``qaf meetings``: the year's tasks with their references, marking a
task done, and recording meetings held (with who attended, the decisions and the actions
agreed: ``qaf meetings record``) or cancelled.

Bad input (an unknown task, body or agency, a date that is not a date or is in the
future, a task its return or another command finishes, a note that looks identifying)
is one line on stderr, exit 2, and nothing is written. Doing the same again (a task done
on the same day, a meeting held on the same day) changes nothing and says so (exit 0).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from qaframework.cli import _financial_year, _framework, parse_date
from qaframework.cli_arguments import LONG_ARGUMENTS
from qaframework.clock import today_in
from qaframework.config import Settings
from qaframework.errors import QAFrameworkError
from qaframework.persistence.completion import NOTE_LENGTH, ROLE_LENGTH

# A note and a list of agencies may be longer than a key (cli_arguments refuses longer
# text before a command runs); the persistence checks the note's own limit.
LONG_ARGUMENTS.setdefault("done_note", NOTE_LENGTH * 4)
LONG_ARGUMENTS.setdefault("attended", 4000)
# A decision and an agreed action (OWNER|DATE|WHAT): the persistence checks the text's own limit.
LONG_ARGUMENTS.setdefault("decisions", 4000)
LONG_ARGUMENTS.setdefault("agreed_action", 4000)

OPTIONS = {"task": "TASK", "on": "--on", "by": "--by", "note": "--note"}


def _today(framework: Any) -> Any:
    return today_in(framework.document.partnership.timezone)


def cmd_list(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.completion import task_lines

    framework = _framework(args, settings)
    fy = _financial_year(args, framework)
    with session_for(settings) as session:
        lines = task_lines(session=session, financial_year=fy.start_year)
    if args.json:
        json.dump([line.as_json() for line in lines], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for t in lines:
        done = f"  done {t.done_on.isoformat()}" if t.done_on else ""
        print(f"{t.due.isoformat() if t.due else '-':<10}  {t.status:<9}  {t.activity:<26}  {t.assignee:<40}  {t.reference}{done}")
    print(f"{len(lines)} tasks in financial year {fy}.")
    return 0


def cmd_done(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.completion import CompletionError, complete_task

    framework = _framework(args, settings)
    done_on = parse_date(args.on, "--on date")
    try:
        with session_for(settings) as session:
            done = complete_task(session=session, framework=framework, reference=args.task, done_on=done_on, today=_today(framework),
                                 actor=settings.actor, done_by=args.by, note=args.done_note)
    except CompletionError as exc:
        where = "" if exc.field == "task" else f"{OPTIONS.get(exc.field, exc.field)}: "
        raise QAFrameworkError(f"{where}{exc.reason}; nothing was written") from None
    if done.changed:
        print(f"Done: {done.reference} on {done.done_on:%d %B %Y}, by {done.done_by}. Its reminders have stopped.")
    else:
        print(f"{done.reference} was already done on {done.done_on:%d %B %Y} (by {done.done_by}): nothing changed.")
    return 0


def _agencies_count(count: int, more: str = "") -> str:
    return f"{count} {more}{'agency' if count == 1 else 'agencies'}"


def _agencies(values: list[str] | None) -> list[str]:
    return [part for value in values or [] for part in value.split(",") if part.strip()]


def cmd_held(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.meetings import record_held

    framework = _framework(args, settings)
    held_on = parse_date(args.on, "--on date")
    meeting_day = parse_date(args.meeting, "--meeting date") if args.meeting is not None else None
    with session_for(settings) as session:
        outcome = record_held(session=session, framework=framework, body=args.body, held_on=held_on, attended=_agencies(args.attended),
                              today=_today(framework), actor=settings.actor, meeting_day=meeting_day)
    what = f"{framework.bodies[outcome.body].name} meeting planned for {outcome.day:%d %B %Y} ({outcome.key})"
    if outcome.recorded:
        print(f"Held: the {what}, on {held_on:%d %B %Y}, with {_agencies_count(outcome.attendance)} attending.")
    elif outcome.added:
        print(f"The {what} was held on {held_on:%d %B %Y}: {_agencies_count(len(outcome.added), 'more ')} recorded as attending ({outcome.attendance} in all).")
    else:
        print(f"The {what} was already recorded as held on {held_on:%d %B %Y}, with {_agencies_count(outcome.attendance)} attending: nothing changed.")
    return 0


def cmd_cancelled(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.meetings import record_cancelled

    framework = _framework(args, settings)
    meeting_day = parse_date(args.meeting, "--meeting date")
    with session_for(settings) as session:
        outcome = record_cancelled(session=session, framework=framework, body=args.body, meeting_day=meeting_day, actor=settings.actor)
    what = f"{framework.bodies[outcome.body].name} meeting planned for {outcome.day:%d %B %Y} ({outcome.key})"
    print(f"Cancelled: the {what}." if outcome.recorded else f"The {what} was already recorded as cancelled: nothing changed.")
    return 0


#: ``qaf meetings record``'s option for each part of a meeting's record.
RECORD_OPTIONS = {"body": "BODY", "meeting": "--meeting", "held": "--held/--cancelled", "held_on": "--held-on",
                  "attended": "--attended", "decisions": "--decision", "actions": "--action"}
ACTION_SYNTAX = "OWNER|YYYY-MM-DD|WHAT, such as an agency or body key, the due date and what must change"


def _agreed(values: list[str] | None) -> list[Any]:
    """Each ``--action OWNER|YYYY-MM-DD|WHAT`` as an AgreedAction (what is checked later)."""
    from qaframework.errors import InvalidDateError
    from qaframework.persistence.meetings import AgreedAction

    agreed = []
    for item, value in enumerate(values or [], 1):
        parts = value.split("|", 2)
        if len(parts) != 3:
            raise QAFrameworkError(f"--action {item}: expected {ACTION_SYNTAX}; nothing was written")
        try:
            due = parse_date(parts[1].strip(), "due date")
        except InvalidDateError:
            raise QAFrameworkError(f"--action {item}: the due date (between the two |) is not a date: expected {ACTION_SYNTAX}; nothing was written") from None
        agreed.append(AgreedAction(what=parts[2], owner=parts[0].strip(), due=due))
    return agreed


def cmd_record(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.actions import owner_name
    from qaframework.persistence.meetings import MeetingRecordError, agreed_at, record_meeting

    framework = _framework(args, settings)
    meeting_day = parse_date(args.meeting, "--meeting date")
    held_on = parse_date(args.held_on, "--held-on date") if args.held_on is not None else None
    actions = _agreed(args.agreed_action)
    try:
        with session_for(settings) as session:
            done = record_meeting(session=session, framework=framework, body=args.body, meeting_day=meeting_day, held=args.held,
                                  held_on=held_on, attended=_agencies(args.attended), decisions=args.decisions or [], actions=actions,
                                  today=_today(framework), actor=settings.actor)
            agreed = [a for a in agreed_at(session=session, occurrence_id=done.occurrence_id) if a.reference in done.actions_added]
    except MeetingRecordError as exc:
        raise QAFrameworkError(f"{exc.named(RECORD_OPTIONS)}; nothing was written") from None
    what = f"{framework.bodies[done.body].name} meeting planned for {done.day:%d %B %Y} ({done.key})"
    if done.status == "cancelled":
        print(f"Cancelled: the {what}." if done.recorded else f"The {what} was already recorded as cancelled.")
    elif done.recorded:
        print(f"Held: the {what}, on {done.held_on:%d %B %Y}, with {_agencies_count(done.attendance)} attending.")
    elif done.added:
        print(f"The {what} was held on {done.held_on:%d %B %Y}: {_agencies_count(len(done.added), 'more ')} recorded as attending ({done.attendance} in all).")
    else:
        print(f"The {what} was held on {done.held_on:%d %B %Y}, with {_agencies_count(done.attendance)} attending.")
    if done.decisions_added:
        print(f"Decisions recorded: {len(done.decisions_added)} new ({done.decisions} in all).")
    for a in agreed:
        print(f"Action agreed: {a.reference} for {owner_name(framework, a.owner)}, due {a.due:%d %B %Y}.")
    if not done.changed:
        print("Nothing changed: it was recorded so already.")
    return 0


def cmd_meetings(args: argparse.Namespace, settings: Settings, session_for: Callable[[Settings], Any]) -> int:
    from qaframework.persistence.meetings import meeting_lines

    framework = _framework(args, settings)
    fy = _financial_year(args, framework)
    with session_for(settings) as session:
        lines = meeting_lines(session=session, financial_year=fy.start_year, zone=framework.document.partnership.timezone)
    if args.json:
        json.dump([line.as_json() for line in lines], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for m in lines:
        state = f"held {m.held_on.isoformat()}, {_agencies_count(len(m.attended))} attending" if m.status == "held" else m.status
        if m.decisions or m.actions:
            state += f", {m.decisions} decision{'' if m.decisions == 1 else 's'}, {m.actions} action{'' if m.actions == 1 else 's'} agreed"
        when = m.starts_at.strftime("%H:%M") if m.starts_at else "-"
        print(f"{m.day.isoformat()}  {when:<5}  {m.body:<40}  {state}")
    counts = {s: sum(1 for m in lines if m.status == s) for s in ("held", "cancelled", "planned")}
    print(f"{len(lines)} meetings in financial year {fy}: {counts['held']} held, {counts['cancelled']} cancelled, {counts['planned']} not recorded yet."
          + ("" if lines else f" (Plan the year first: qaf plan --fy {fy.start_year}.)"))
    return 0


def add_tasks_parser(sub: Any, parser_class: type, add_framework: Callable[[Any], None], session_for: Callable[[Settings], Any]) -> None:
    """Adds the `tasks` and `meetings` commands to `qaf`."""

    def bind(handler: Callable[..., int]) -> Callable[[argparse.Namespace, Settings], int]:
        return lambda args, settings: handler(args, settings, session_for)

    def add_fy(p: argparse.ArgumentParser) -> None:
        p.add_argument("--fy", metavar="YEAR", help="financial year, by the year it starts: 2027 or 2027/28 (default: the current one)")

    p = sub.add_parser("tasks", help="list the tasks of a financial year; mark a task done",
                       description="List the tasks written for a financial year, by due date, with each task's reference "
                                   "(OCCURRENCE/ASSIGNEE) and the day it was done; qaf tasks done marks one done.")
    add_fy(p)
    add_framework(p)
    p.add_argument("--json", action="store_true", help="print a JSON array instead of lines")
    p.set_defaults(handler=bind(cmd_list))
    ts = p.add_subparsers(dest="tasks_command", required=False, metavar="ACTION", parser_class=parser_class)
    t = ts.add_parser("done", help="mark a task done: the day, who (a role) and the evidence",
                      description="Mark a task done with the day, who did it (a role, never a name) and a short note of the evidence; "
                                  "its reminders stop. Tasks a return answers are closed by their return (qaf returns import), "
                                  "actions by qaf actions done, review stages by qaf rapid-review record. Doing it again on the "
                                  "same day changes nothing.")
    t.add_argument("task", metavar="TASK", help="the task reference, as qaf tasks lists it (OCCURRENCE/ASSIGNEE)")
    t.add_argument("--on", required=True, metavar="DATE", help="the day it was done, YYYY-MM-DD (not in the future)")
    t.add_argument("--by", metavar="ROLE", help=f"who did it: a role, never a name (at most {ROLE_LENGTH} characters; default: the chair "
                                                "of the body holding the task, or the agency's named contact)")
    t.add_argument("--note", dest="done_note", metavar="TEXT", help=f"a short note of the evidence, such as where the minutes or report are "
                                                                    f"(at most {NOTE_LENGTH} characters; no names, dates of birth or postcodes)")
    # Given before `done` (qaf tasks --framework F done X), --framework must survive: the
    # subcommand's own default would overwrite it.
    t.add_argument("--framework", metavar="FILE", default=argparse.SUPPRESS,
                   help="framework file (default: QAF_FRAMEWORK_FILE or the shipped schedules/sscp.yaml)")
    t.set_defaults(handler=bind(cmd_done))

    p = sub.add_parser("meetings", help="meetings: record them held (with attendance, decisions and actions) or cancelled; list them",
                       description="Record a body's meeting as held (with the agencies that attended: the dataset's attendance "
                                   "measure counts them; the decisions; the actions agreed) or cancelled, and list the year's meetings.")
    ms = p.add_subparsers(dest="meetings_command", required=True, metavar="ACTION", parser_class=parser_class)
    m = ms.add_parser("record", help="record a meeting held (attendance, decisions, actions agreed) or cancelled",
                      description="Record the whole of the body's meeting planned on DATE (or in its month): held, with the agencies "
                                  "present, its decisions and the actions agreed (each becomes an action with its owner, due date "
                                  "and reference, reminded like any other), or cancelled. Everything is checked first and written in "
                                  "one go, or nothing is. Again adds only what is new: a decision is known by its text, an action "
                                  "by its owner, due date and what.")
    m.add_argument("body", metavar="BODY", help="the body's key (see qaf meetings list)")
    m.add_argument("--meeting", required=True, metavar="DATE", help="the planned day of the meeting, YYYY-MM-DD")
    state = m.add_mutually_exclusive_group(required=True)
    state.add_argument("--held", action="store_true", help="the meeting was held")
    state.add_argument("--cancelled", action="store_true", help="the meeting was cancelled")
    m.add_argument("--held-on", metavar="DATE", help="the day it was held, if not its planned day (not in the future)")
    m.add_argument("--attended", action="append", metavar="AGENCY,AGENCY...", help="the agencies represented, by roster key, comma-separated (may be repeated)")
    m.add_argument("--decision", dest="decisions", action="append", metavar="TEXT", help="a decision, in a few words (may be repeated; no names, dates of birth or postcodes)")
    m.add_argument("--action", dest="agreed_action", action="append", metavar="OWNER|YYYY-MM-DD|WHAT",
                   help="an action agreed: its owner (an agency or body key), due date and what must change, separated by | (may be repeated)")
    add_framework(m)
    m.set_defaults(handler=bind(cmd_record))
    m = ms.add_parser("held", help="record a meeting as held, with the agencies that attended",
                      description="Record the body's meeting held on DATE (found by its planned day, or any day in that month; "
                                  "--meeting names the planned day when it was held in another month). Again on the same day "
                                  "adds only agencies not yet recorded.")
    m.add_argument("body", metavar="BODY", help="the body's key (see qaf meetings list)")
    m.add_argument("--on", required=True, metavar="DATE", help="the day it was held, YYYY-MM-DD")
    m.add_argument("--attended", action="append", metavar="AGENCY,AGENCY...", help="the agencies represented, by roster key, comma-separated (may be repeated)")
    m.add_argument("--meeting", metavar="DATE", help="the planned day of the meeting, when it was held in another month")
    add_framework(m)
    m.set_defaults(handler=bind(cmd_held))
    m = ms.add_parser("cancelled", help="record a meeting as cancelled", description="Record the body's meeting planned on DATE (or in its month) as cancelled.")
    m.add_argument("body", metavar="BODY", help="the body's key (see qaf meetings list)")
    m.add_argument("--meeting", required=True, metavar="DATE", help="the planned day of the meeting, YYYY-MM-DD")
    add_framework(m)
    m.set_defaults(handler=bind(cmd_cancelled))
    m = ms.add_parser("list", help="list the year's meetings: held, cancelled or not recorded yet", description="List the year's meetings by day: held (with how many agencies attended), cancelled, or planned (not recorded yet).")
    add_fy(m)
    add_framework(m)
    m.add_argument("--json", action="store_true", help="print a JSON array")
    m.set_defaults(handler=bind(cmd_meetings))
