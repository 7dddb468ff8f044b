"""The partners' inbox on each shipped partnership, over a real SMTP server on loopback:
a reminder of a return carries that task's pre-filled template and says where to send it
back; a reminder of work no return answers says what "done" means and who records it;
an escalation is wrapped for reading and never lists its own recipient as late.

The tests ask the framework for its bodies, activities and return types (roles, not keys).
"""

from __future__ import annotations

import io
import re
from email.message import Message
from email.utils import parseaddr
from pathlib import Path

import openpyxl
import pytest

from qaframework.deadlines import working_day_calendar
from qaframework.feeds.items import is_case_review
from qaframework.financial_year import FinancialYear
from qaframework.framework import Framework
from qaframework.persistence.cases import open_case
from qaframework.persistence.database import transaction
from qaframework.persistence.outbox import recipient_of
from qaframework.reminders.attachments import XLSX
from qaframework.reminders.emails import TEXT_WIDTH, EmailWriter, long_date
from qaframework.reminders.policy import escalation_date
from qaframework.returns.validation import dataset_rows_expected, task_reference
from qaframework.reviews.chain import CaseDates
from qaframework.yearly_plan import PlannedOccurrence, plan_financial_year
from tests.partnerships.conftest import Qaf, framework, partnership, partnership_qaf, qaf, stored_tasks  # noqa: F401 - fixtures
from tests.reminders.conftest import SmtpServer, run_day

UI = "http://127.0.0.1:4200"
RETURNS = "qa-returns@partnership.example.org"
OLD_WORDING = ("ask the business unit for the return template", "send each return named above")


def _part(message: Message, kind: str) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == kind and not p.get_filename())
    return part.get_payload(decode=True).decode()  # type: ignore[union-attr]


def _flowing(text: str) -> str:
    return " ".join(text.split())


def _to(messages: list[Message], address: str, escalation: bool = False) -> list[Message]:
    return [m for m in messages if parseaddr(m["To"])[1] == address and (" QA escalation:" in m["Subject"]) == escalation]


def _items(text: str) -> list[str]:
    """The items of a plain-text part: paragraphs starting with "* ", whitespace collapsed."""
    return [_flowing(p) for p in re.split(r"\n\s*\n", text) if p.startswith("* ")]


def _item(text: str, label: str) -> str:
    (found,) = [i for i in _items(text) if i.startswith(f"* {label}: ") or i.startswith(f"* {label} Due ")]
    return found


def _label(o: PlannedOccurrence) -> str:
    return f"{o.title} ({o.period})" if o.period else o.title


def _first_return(partnership: Framework) -> tuple[PlannedOccurrence, str]:
    """The year's first occurrence an agency answers with a return (owing rows), and that agency."""
    for o in sorted(plan_financial_year(partnership, FinancialYear(2027)), key=lambda o: (o.start, o.key)):
        found = partnership.return_type_for(o.activity)
        if found is None or o.due is None:
            continue
        for a in o.assignees:
            rt = found[1]
            if a.kind == "agency" and (rt.kind != "dataset" or dataset_rows_expected(rt, a.key, partnership.agencies[a.key].type, o.start)):
                return o, a.key
    raise AssertionError("no agency task takes a return in 2027/28")


def _first_without_return(partnership: Framework) -> PlannedOccurrence:
    """The year's first task no return answers (not a case's), held by someone with an address."""
    for o in sorted(plan_financial_year(partnership, FinancialYear(2027)), key=lambda o: (o.start, o.key)):
        if (o.kind == "activity" and o.due and partnership.return_type_for(o.activity) is None and not is_case_review(partnership, o.activity)
                and any(recipient_of(partnership, a.kind, a.key) for a in o.assignees)):
            return o
    raise AssertionError("every task of 2027/28 takes a return")


def _values(sheet) -> list[tuple]:  # type: ignore[no-untyped-def]
    return list(sheet.iter_rows(values_only=True))


def test_a_return_reminder_carries_the_tasks_pre_filled_template_and_says_where_to_send_it(
        planned_2027: str, partnership: Framework, smtp: SmtpServer, partnership_qaf: Qaf, tmp_path: Path) -> None:
    occurrence, agency = _first_return(partnership)
    opening = working_day_calendar(partnership).on_or_after(occurrence.start)
    folder = tmp_path / "shared-returns"
    writer = EmailWriter(partnership, None, UI, returns_address=RETURNS, returns_folder=folder)
    run_day(planned_2027, partnership, opening, None, smtp.port, writer)

    (message,) = _to(smtp.mailbox.messages, partnership.agencies[agency].contact.email)
    reference = task_reference(occurrence.key, agency)
    filename = re.sub(r"[^A-Za-z0-9-]+", "_", reference) + ".xlsx"
    attached = {p.get_filename(): p for p in message.walk() if p.get_filename()}
    owed = {task_reference(o.key, t.assignee_key) for t, o in stored_tasks(planned_2027)
            if t.assignee_key == agency and t.status == "open" and partnership.return_type_for(o.activity) and not o.key.startswith("action/")}
    assert set(attached) == {re.sub(r"[^A-Za-z0-9-]+", "_", r) + ".xlsx" for r in owed}, "one template for each return reminded of"
    part = attached[filename]
    assert part.get_content_type() == XLSX and part.get("Content-Disposition", "").startswith("attachment")
    sent = openpyxl.load_workbook(io.BytesIO(part.get_payload(decode=True)))  # type: ignore[arg-type]
    about = {row[0]: row[1] for row in sent["About"].iter_rows(min_row=2, values_only=True)}
    assert (about["task"], about["agency"], about["return_type"]) == (reference, agency, partnership.return_type_for(occurrence.activity)[0])  # type: ignore[index]

    # The very workbook `qaf returns template` writes for the task.
    code, _, err = partnership_qaf("returns", "template", reference, "--output", "from-cli.xlsx")
    assert code == 0, err
    made = openpyxl.load_workbook(tmp_path / "from-cli.xlsx")
    assert sent.sheetnames == made.sheetnames
    for name in made.sheetnames:
        assert _values(sent[name]) == _values(made[name]), name

    text = _part(message, "text/plain")
    item = _item(text, _label(occurrence))
    rt_title = partnership.return_type_for(occurrence.activity)[1].title  # type: ignore[index]
    assert f"Fill in the attached {filename} (the {rt_title} template, already filled in with your agency, the period and what to answer) " \
           f"and send it back: email it to {RETURNS}, or save it in the shared returns folder {folder / agency}." in item
    assert f"{filename}" in _part(message, "text/html")
    assert not [w for w in OLD_WORDING if w in _flowing(text).lower()]
    assert [line for line in text.splitlines() if len(line) > TEXT_WIDTH and len(line.split()) > 1] == [], "only a long path stands alone"


def test_work_no_return_answers_says_what_done_means_and_who_records_it(planned_2027: str, partnership: Framework, smtp: SmtpServer) -> None:
    occurrence = _first_without_return(partnership)
    opening = working_day_calendar(partnership).on_or_after(occurrence.start)
    run_day(planned_2027, partnership, opening, None, smtp.port)
    unit = partnership.bodies[partnership.role("business_unit")]
    description = partnership.activities[occurrence.activity].description.rstrip(".")
    done = f" ({description})" if description else ""
    holders = [a for a in occurrence.assignees if recipient_of(partnership, a.kind, a.key)]
    for holder in holders:
        address = recipient_of(partnership, holder.kind, holder.key)
        (message,) = _to(smtp.mailbox.messages, address)  # type: ignore[arg-type]
        reference = task_reference(occurrence.key, holder.key)
        item = _item(_part(message, "text/plain"), _label(occurrence))
        if address == unit.email:
            expected = (f"No return answers this. It is done when it has been carried out{done}. Record it then: "
                        f"qaf tasks done {reference} --on DATE, or the complete-task form in the Prefect UI.")
        else:
            expected = (f"No return is sent for this. It is done when it has been carried out{done}. Tell the {unit.name} the day it "
                        f"was done and what shows it (the evidence, never a name): the {unit.name} records it as done, and the reminders stop.")
        assert item.endswith(expected), item
        assert "attached" not in item and "send it back" not in item
        assert re.sub(r"[^A-Za-z0-9-]+", "_", reference) + ".xlsx" not in {p.get_filename() for p in message.walk()}
        assert not [w for w in OLD_WORDING if w in _flowing(_part(message, "text/plain")).lower()]

    # The reference the email gives is the one `qaf tasks done` (and the form) record it by.
    from qaframework.persistence.completion import complete_task

    reference = task_reference(occurrence.key, holders[0].key)
    with transaction(planned_2027) as session:
        completion = complete_task(session=session, framework=partnership, reference=reference, done_on=opening, today=opening, actor="test")
    assert (completion.reference, completion.changed) == (reference, True)


@pytest.mark.parametrize("returns_address", [None, RETURNS])
def test_where_a_return_goes_back_follows_the_settings(partnership: Framework, returns_address: str | None) -> None:
    from qaframework.persistence.outbox import DigestLine
    from qaframework.reminders.what_to_do import Audience, what_to_do

    occurrence, agency = _first_return(partnership)
    line = DigestLine("opened", occurrence.activity, occurrence.title, occurrence.period, occurrence.key, "agency", agency, occurrence.due, "open")  # type: ignore[arg-type]
    filename = re.sub(r"[^A-Za-z0-9-]+", "_", task_reference(occurrence.key, agency)) + ".xlsx"
    unit = partnership.bodies[partnership.role("business_unit")].name
    said = what_to_do(partnership, line, Audience(unit, False, returns_address, None), {filename})
    where = f"email it to {returns_address}." if returns_address else "reply to this email with it attached."
    assert f"Fill in the attached {filename} " in said and f"send it back: {where}" in said and "shared returns folder" not in said
    missing = what_to_do(partnership, line, Audience(unit, False, returns_address, None), set())
    assert missing.endswith(f"Its template could not be attached to this email: reply and the {unit} will send it to you.")


def test_the_escalation_is_wrapped_and_never_lists_its_recipient_as_late(planned_2027: str, partnership: Framework, smtp: SmtpServer) -> None:
    wd = working_day_calendar(partnership)
    unit = partnership.bodies[partnership.role("business_unit")]
    target, _ = _first_return(partnership)
    opening = wd.on_or_after(target.start)
    with transaction(planned_2027) as session:
        case = open_case(session=session, framework=partnership, dates=CaseDates(None, opening, None), opened_by_run=None, actor="test")
    run_day(planned_2027, partnership, opening, None, smtp.port)
    (stage, stage_activity), = [(t, o.activity) for t, o in stored_tasks(planned_2027) if f"/{case}/" in o.key]
    assert recipient_of(partnership, stage.assignee_kind, stage.assignee_key) == unit.email, "the business unit holds the case's first stage"
    escalated_on = max(escalation_date(partnership.reminder_policy(target.activity), target.due, wd),  # type: ignore[arg-type]
                       escalation_date(partnership.reminder_policy(stage_activity), stage.due, wd))  # type: ignore[arg-type]
    before = len(smtp.mailbox.messages)
    run_day(planned_2027, partnership, escalated_on, opening, smtp.port)
    escalations = [m for m in smtp.mailbox.messages[before:] if " QA escalation:" in m["Subject"]]
    (to_unit,) = _to(escalations, unit.email, escalation=True)
    chairs = {partnership.bodies[b].email for b in partnership.reminder_policy(stage_activity).escalate_to} - {unit.email, None}
    others = [m for m in escalations if parseaddr(m["To"])[1] in chairs]
    assert others, "the case is escalated to another body as well"

    for message in escalations:
        text = _part(message, "text/plain")
        lines = text.splitlines()
        assert max(len(line) for line in lines) <= TEXT_WIDTH, max(lines, key=len)
        starts = [i for i, line in enumerate(lines) if line.startswith("* ")]
        assert starts and all(lines[i - 1] == "" for i in starts), "a blank line before every item"
        assert len(starts) >= 2 or message is not to_unit, "the business unit hears of the case and the return"
    case_label = f"{case}/"  # the stage's item: "RR-2027-001/stage: title"
    unit_items = _items(_part(to_unit, "text/plain"))
    for item in unit_items:
        late = item.split("Not yet received from: ", 1)[1].split(". Your own task", 1)[0] if "Not yet received from: " in item else ""
        assert unit.name not in late, item
    (own,) = [i for i in unit_items if i.startswith(f"* {case_label}")]
    assert own.endswith("Your own task: it is overdue with you.") and "Not yet received from" not in own
    html_cells = re.findall(r"<tr><td>(.*?)</td><td>.*?</td><td>.*?</td><td>(.*?)</td></tr>", _part(to_unit, "text/html"))
    assert html_cells and all(unit.name not in late for _, late in html_cells)
    assert [late for label, late in html_cells if label.startswith(case_label)] == ["your own task"]
    # To another body, the business unit is who the case's stage waits for.
    for message in others:  # the case's stage escalates to them too
        (item,) = [i for i in _items(_part(message, "text/plain")) if i.startswith(f"* {case_label}")]
        assert f"Not yet received from: {unit.name}." in item
    assert long_date(escalated_on) in _flowing(_part(to_unit, "text/plain"))
