"""``qaf meetings record``: what it prints, recording again, every error one line naming
its option (exit 2, nothing written), and ``qaf meetings list`` counting decisions and
actions; and the migration that added the decisions table, from 0007 and back."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from qaframework.framework import Framework
from qaframework.persistence.database import transaction
from qaframework.persistence.meetings import agreed_at, decisions_of
from tests.completion.test_tasks_done import _refused
from tests.meetings.conftest import YEAR, Qaf, attended_body, audit_actions, counts, meeting_of, occurrence_id, owners


def test_a_meeting_recorded_held_with_decisions_and_actions_then_again(cli: Qaf, planned: str, partnership: Framework) -> None:
    body, attendees = attended_body(partnership)
    meeting = meeting_of(partnership, body)
    agency, unit = owners(partnership)
    due = meeting.start + timedelta(days=45)
    held_on = meeting.start + timedelta(days=1)
    fy = meeting.financial_year
    name = partnership.bodies[body].name
    args = ("meetings", "record", body, "--meeting", meeting.start.isoformat(), "--held", "--held-on", held_on.isoformat(),
            "--attended", f"{attendees[0]},{attendees[1]}", "--decision", "Adopt the audit plan", "--decision", "Ask for a report",
            "--action", f"{agency}|{due.isoformat()}|Audit the referral pathway again", "--action", f" {unit} | {due.isoformat()} |Circulate the plan")
    code, out, err = cli(*args)
    assert code == 0, err
    assert out.splitlines() == [
        f"Held: the {name} meeting planned for {meeting.start:%d %B %Y} ({meeting.key}), on {held_on:%d %B %Y}, with 2 agencies attending.",
        "Decisions recorded: 2 new (2 in all).",
        f"Action agreed: A-{fy}-0001 for {partnership.agencies[agency].name}, due {due:%d %B %Y}.",
        f"Action agreed: A-{fy}-0002 for {partnership.bodies[unit].name}, due {due:%d %B %Y}.",
    ]
    oid = occurrence_id(planned, meeting.key)
    with transaction(planned) as session:
        assert decisions_of(session=session, occurrence_id=oid) == ["Adopt the audit plan", "Ask for a report"]
        assert [(a.reference, a.owner, a.due, a.what) for a in agreed_at(session=session, occurrence_id=oid)] == [
            (f"A-{fy}-0001", agency, due, "Audit the referral pathway again"), (f"A-{fy}-0002", unit, due, "Circulate the plan")]

    before = counts(planned)
    code, out, err = cli(*args)
    assert code == 0, err
    assert out.splitlines() == [
        f"The {name} meeting planned for {meeting.start:%d %B %Y} ({meeting.key}) was held on {held_on:%d %B %Y}, with 2 agencies attending.",
        "Nothing changed: it was recorded so already."]
    assert counts(planned) == before

    code, out, err = cli("meetings", "record", body, "--meeting", meeting.start.isoformat(), "--held", "--held-on", held_on.isoformat(),
                         "--attended", attendees[2] if len(attendees) > 2 else attendees[0], "--decision", "Review it in March")
    assert code == 0, err
    assert "Decisions recorded: 1 new (3 in all)." in out and "Action agreed" not in out

    code, out, err = cli("meetings", "list", "--fy", str(YEAR), "--json")
    rows = {r["meeting"]: r for r in json.loads(out)}
    assert (rows[meeting.key]["decisions"], rows[meeting.key]["actions"]) == (3, 2)
    assert {(r["decisions"], r["actions"]) for k, r in rows.items() if k != meeting.key} == {(0, 0)}
    code, out, _ = cli("meetings", "list", "--fy", str(YEAR))
    assert f"held {held_on.isoformat()}, {len(set(attendees[:3]))} agencies attending, 3 decisions, 2 actions agreed" in out
    code, out, _ = cli("actions", "list", "--owner", agency)
    assert f"A-{fy}-0001" in out and "Audit the referral pathway again" in out


def test_a_meeting_recorded_cancelled(cli: Qaf, planned: str, partnership: Framework) -> None:
    body, _ = attended_body(partnership)
    meeting = meeting_of(partnership, body, 1)
    code, out, err = cli("meetings", "record", body, "--meeting", meeting.start.isoformat(), "--cancelled")
    assert (code, out) == (0, f"Cancelled: the {partnership.bodies[body].name} meeting planned for {meeting.start:%d %B %Y} ({meeting.key}).\n"), err
    code, out, _ = cli("meetings", "record", body, "--meeting", meeting.start.isoformat(), "--cancelled")
    assert out.splitlines()[-1] == "Nothing changed: it was recorded so already."
    assert audit_actions(planned, meeting.key) == ["meeting-cancelled"]


def test_bad_input_is_one_line_naming_the_option_and_writes_nothing(cli: Qaf, planned: str, partnership: Framework) -> None:
    body, attendees = attended_body(partnership)
    meeting = meeting_of(partnership, body)
    agency, _ = owners(partnership)
    day = meeting.start.isoformat()
    due = (meeting.start + timedelta(days=30)).isoformat()
    good = ("--attended", attendees[0], "--decision", "Adopt the plan", "--action", f"{agency}|{due}|Audit it")
    before = counts(planned)
    record = ("meetings", "record", body, "--meeting", day)
    _refused(cli(*record, "--held", *good, "--decision", "Seen at BA1 1AA"), "--decision 2: looks like a UK postcode", "nothing was written")
    _refused(cli(*record, "--held", *good, "--action", f"{agency}|{due}|Born 12/03/2015"), "--action 2: holds a day, month and year")
    _refused(cli(*record, "--held", *good, "--action", f"{agency}|{(meeting.start - timedelta(days=1)).isoformat()}|Audit it"),
             f"--action 2: is due on {meeting.start - timedelta(days=1)}, before the meeting ({day})")
    _refused(cli(*record, "--held", "--action", f"{agency} {due} Audit it"), "--action 1: expected OWNER|YYYY-MM-DD|WHAT")
    _refused(cli(*record, "--held", "--action", f"{agency}|2027-02-30|Audit it"), "--action 1: the due date (between the two |) is not a date")
    _refused(cli(*record, "--held", "--action", f"no-such-owner|{due}|Audit it"), "--action 1: the owner 'no-such-owner' is not an agency or body")
    _refused(cli(*record, "--held", "--attended", f"{attendees[0]},no-such-agency"), "--attended: 'no-such-agency' is not an agency of the roster")
    _refused(cli(*record, "--held", "--decision", "x" * 2001), "--decision 1: is 2001 characters long: at most 2000")
    _refused(cli(*record, "--cancelled", *good), "--attended: a cancelled meeting has no attendance, decisions or actions")
    _refused(cli(*record, "--cancelled", "--held-on", day), "--held-on: a cancelled meeting was not held")
    for usage, fragment in (((*record, "--held", "--cancelled"), "argument --cancelled: not allowed with argument --held"),
                            (("meetings", "record", body, "--meeting", day), "one of the arguments --held --cancelled is required")):
        code, out, err = cli(*usage)
        assert (code, out, err.count("\n")) == (2, "", 1) and err.startswith("qaf meetings record: error: ") and fragment in err, err
    _refused(cli(*record, "--held", "--held-on", "2099-01-01"), "--held-on: 2099-01-01 is in the future")
    _refused(cli("meetings", "record", "no-such-body", "--meeting", day, "--held"), "BODY: 'no-such-body' is not a body")
    _refused(cli("meetings", "record", body, "--meeting", (meeting.start - timedelta(days=400)).isoformat(), "--held"), "--meeting: ")
    _refused(cli("meetings", "record", body, "--meeting", "2027-02-30", "--held"), "--meeting date")
    assert counts(planned) == before
    assert cli(*record, "--cancelled")[0] == 0
    before = counts(planned)
    _refused(cli(*record, "--held", "--decision", "Adopt the plan"), "--held/--cancelled: ", "was recorded as cancelled: it cannot be recorded as held")
    assert counts(planned) == before


@pytest.mark.fresh_installation
def test_the_migration_adds_the_decisions_and_the_meeting_of_an_action_and_goes_back(engine: Engine) -> None:
    from alembic import command

    from qaframework.persistence.database import _alembic_config, migrate, schema_revision

    config = _alembic_config(engine)
    command.upgrade(config, "0007")
    assert "meeting_decision" not in inspect(engine).get_table_names()
    with engine.begin() as connection:  # an action from before: it was agreed at no meeting
        connection.execute(text("INSERT INTO improvement_action (reference, financial_year, number, what, owner_kind, owner_key, due, status, "
                                "evidence, dropped_reason, actor, created_at, updated_at) VALUES ('A-2027-0001', 2027, 1, 'Audit it', "
                                "'agency', 'an-agency', '2027-06-30', 'open', '', '', 'test', '2027-05-01 10:00:00+00', '2027-05-01 10:00:00+00')"))
    command.upgrade(config, "0008")
    assert schema_revision(engine) == "0008"
    tables = inspect(engine)
    assert {c["name"] for c in tables.get_columns("meeting_decision")} == {"id", "occurrence_id", "number", "text", "actor", "created_at"}
    assert [u["column_names"] for u in tables.get_unique_constraints("meeting_decision")] == [["occurrence_id", "number"]]
    assert any(fk["referred_table"] == "occurrence" and fk["constrained_columns"] == ["agreed_at_occurrence_id"]
               for fk in tables.get_foreign_keys("improvement_action"))
    assert "ix_improvement_action_agreed_at_occurrence_id" in {i["name"] for i in tables.get_indexes("improvement_action")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT reference, agreed_at_occurrence_id FROM improvement_action")).all() == [("A-2027-0001", None)]
    command.downgrade(config, "0007")
    assert "meeting_decision" not in inspect(engine).get_table_names()
    assert "agreed_at_occurrence_id" not in {c["name"] for c in inspect(engine).get_columns("improvement_action")}
    migrate(engine)
    assert "meeting_decision" in inspect(engine).get_table_names()
