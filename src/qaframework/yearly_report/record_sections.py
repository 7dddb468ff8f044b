"""The first two sections of the yearly report: what the partnership did (activities and
meetings held against planned, returns on time, late and missing per agency, attendance
at meetings by agency) and the rapid reviews and CSPRs (by reference only).

Readings: an activity's occurrence is *completed* when it has tasks and every one is
finished; a meeting counts as *held* or *cancelled* as recorded, else *not recorded*.
Returns are counted by the returns dashboard's own rules
(:func:`qaframework.returns.dashboard.by_agency`) as of the day the record is read:
*expected* the tasks opened, *late* received after the due date, *on time* the rest of
those received, *missing* not received and past due. Attendance is
:func:`qaframework.persistence.meetings.attendance`: the held meetings of the bodies an
agency attends. A rapid review is *on time* when its stage (the one the statutory
15-working-day clock dates) was done by its due date; a CSPR *on time* when its
completion stage was done by its due date (6 months from the decision).
"""

from __future__ import annotations

from collections import Counter

from qaframework.framework import Framework
from qaframework.framework.yearly_report import YearlyReportSettings
from qaframework.returns.dashboard import by_agency
from qaframework.yearly_report.facts import CaseFacts, YearlyFacts
from qaframework.yearly_report.model import Chart, Figure, Section, Table


def _percent(part: int, whole: int) -> float | None:
    """
    >>> _percent(2, 3), _percent(0, 0)
    (66.7, None)
    """
    return round(100 * part / whole, 1) if whole else None


def returns_by_agency(framework: Framework, facts: YearlyFacts) -> list[tuple[str, int, int, int, int]]:
    """(agency name, expected, on time, late, missing) per agency with returns in the year."""
    names = {k: a.name for k, a in framework.agencies.items()}
    rows = []
    for row in by_agency(facts.returns, names, facts.as_of):
        expected, received, late, missing = (int(row[k]) for k in ("expected", "received", "received late", "overdue"))  # type: ignore[call-overload]
        rows.append((str(row["agency"]), expected, received - late, late, missing))
    return rows


def what_we_did(framework: Framework, facts: YearlyFacts) -> Section:
    order = {k: i for i, k in enumerate(framework.activities)}
    activities: dict[str, list[int]] = {}
    for o in facts.occurrences:
        if o.kind == "activity":
            counts = activities.setdefault(o.activity, [0, 0])
            counts[0] += 1
            counts[1] += int(o.tasks > 0 and o.finished == o.tasks)
    activity_rows = tuple((framework.activities[a].title, n, done) for a, (n, done) in sorted(activities.items(), key=lambda kv: order[kv[0]]))
    meetings: dict[str, Counter[str]] = {}
    for o in facts.occurrences:
        if o.kind == "meeting":
            meetings.setdefault(o.activity, Counter())[o.status] += 1
    body_order = {k: i for i, k in enumerate(framework.bodies)}
    meeting_rows = tuple((framework.bodies[b].name, sum(c.values()), c["held"], c["cancelled"], c["planned"])
                         for b, c in sorted(meetings.items(), key=lambda kv: body_order[kv[0]]))
    returns = returns_by_agency(framework, facts)
    attended = sorted(((framework.agencies[a].name, n, held, _percent(n, held)) for a, (n, held) in facts.attendance.items() if held),
                      key=lambda r: r[0])
    total_attended, total_held = sum(r[1] for r in attended), sum(r[2] for r in attended)
    labels = tuple(r[0] for r in returns)
    timeliness = Table("returns-timeliness", "Returns on time, late and missing, by agency",
                       ("Agency", "Expected", "On time", "Late", "Missing"), tuple(returns), "No returns were expected in the year.")
    chart = Chart("returns-timeliness", "Returns on time, late and missing, by agency", "hstacked", labels,
                  (("On time", tuple(r[2] for r in returns)), ("Late", tuple(r[3] for r in returns)), ("Missing", tuple(r[4] for r in returns))),
                  "Stacked bar chart of each agency's returns in the year: on time, late and missing. "
                  + "; ".join(f"{r[0]}: {r[2]} on time, {r[3]} late, {r[4]} missing" for r in returns) + ".", timeliness)
    return Section(
        "what-we-did", "What the partnership did",
        figures=(
            Figure("activities-planned", "Activities planned", sum(r[1] for r in activity_rows)),
            Figure("activities-completed", "Activities completed", sum(r[2] for r in activity_rows)),
            Figure("meetings-planned", "Meetings planned", sum(r[1] for r in meeting_rows)),
            Figure("meetings-held", "Meetings held", sum(r[2] for r in meeting_rows)),
            Figure("meetings-cancelled", "Meetings cancelled", sum(r[3] for r in meeting_rows)),
            Figure("returns-expected", "Returns expected from agencies", sum(r[1] for r in returns)),
            Figure("returns-on-time", "Returns received on time", sum(r[2] for r in returns)),
            Figure("returns-late", "Returns received late", sum(r[3] for r in returns)),
            Figure("returns-missing", "Returns missing (past due, not received)", sum(r[4] for r in returns)),
            Figure("attendance-percent", "Attendance at meetings (% of agencies' expected places)", _percent(total_attended, total_held)),
        ),
        tables=(
            Table("activities", "Activities held or completed against planned", ("Activity", "Planned", "Completed"), activity_rows,
                  "No activity was planned in the year."),
            Table("meetings", "Meetings held against planned, by body", ("Body", "Planned", "Held", "Cancelled", "Not recorded"),
                  meeting_rows, "No meeting was planned in the year."),
            Table("attendance", "Attendance at meetings by agency", ("Agency", "Meetings attended", "Meetings held", "Attended (%)"),
                  tuple(attended), "No meeting an agency attends was held in the year."),
        ),
        charts=(chart,),
    )


def _on_time(case: CaseFacts, stage: str | None) -> tuple[bool, bool]:
    """(done, done by its due date) of a case's stage."""
    found = case.stage(stage)
    if found is None or found.done_on is None:
        return False, False
    return True, found.due is None or found.done_on <= found.due


def reviews(framework: Framework, settings: YearlyReportSettings, facts: YearlyFacts) -> Section:
    chain = framework.review_chain
    notification = chain.notification_stage
    rapid = next((k for k, s in chain.stages.items() if s.due is not None and s.due.rule == chain.clocks.rapid_review), None)
    local = settings.reviews
    decided = Counter(c.decision for c in facts.cases if c.decision)
    rows = []
    for c in facts.cases:
        rr = c.stage(rapid)
        note = c.stage(notification)
        completed = c.stage(local.completed) if local and c.decision == local.decision else None
        published = c.stage(local.published) if local and c.decision == local.decision else None
        rows.append((c.reference, c.notified or (note.done_on if note else None), rr.due if rr else None, rr.done_on if rr else None,
                     chain.decisions[c.decision].title if c.decision in chain.decisions else "Not decided yet",
                     completed.done_on if completed else None, published.done_on if published else None))
    local_cases = [c for c in facts.cases if local and c.decision == local.decision]
    figures = [
        Figure("cases-notified", "Serious incidents notified to the National Panel", sum(1 for r in rows if r[1] is not None)),
        Figure("rapid-reviews-completed", "Rapid reviews completed", sum(_on_time(c, rapid)[0] for c in facts.cases)),
        Figure("rapid-reviews-on-time", "Rapid reviews completed within 15 working days", sum(_on_time(c, rapid)[1] for c in facts.cases)),
    ]
    figures += [Figure(f"decided-{key}", f"Decided: {d.title}", decided[key]) for key, d in chain.decisions.items()]
    if local is not None:
        title = chain.decisions[local.decision].title
        figures += [
            Figure("local-reviews-completed", f"{title}: completed", sum(_on_time(c, local.completed)[0] for c in local_cases)),
            Figure("local-reviews-on-time", f"{title}: completed within 6 months of the decision",
                   sum(_on_time(c, local.completed)[1] for c in local_cases)),
            Figure("local-reviews-published", f"{title}: published", sum(_on_time(c, local.published)[0] for c in local_cases)),
        ]
    return Section(
        "reviews", "Rapid reviews and child safeguarding practice reviews", figures=tuple(figures),
        tables=(Table("cases", "Cases opened in the year, by reference", ("Case", "Notified", "Rapid review due", "Rapid review done",
                                                                       "Decision", "Review completed", "Published"),
                      tuple(rows), "No serious incident was notified in the year."),
                Table("decisions", "Decisions of the rapid reviews", ("Decision", "Cases"),
                      tuple((d.title, decided[k]) for k, d in chain.decisions.items()), "No decision was made in the year.")),
    )
