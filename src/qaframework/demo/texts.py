"""The words of the demonstration year: plainly fictional, about the partnership's work,
never about one person.

Every text here passes the identifying-text checks (no NHS number, no day-month-year
date, no postcode, no date-of-birth words) and names no body or activity of any
partnership: where a text needs a name, it is the framework's. Texts are picked by
position (``pick``), so the same framework file always gives the same year.

>>> pick(DECISIONS, 0) == DECISIONS[0], pick(DECISIONS, len(DECISIONS)) == DECISIONS[0]
(True, True)
>>> from qaframework.learning.identifying import identifying_reasons
>>> [t for t in ALL_TEXTS if identifying_reasons(t)]
[]
"""

from __future__ import annotations

from collections.abc import Sequence

#: What marks every text as the demonstration's, wherever it is read.
MARK = "(demonstration data)"

#: What a finding of each kind says.
FINDING_TITLES: dict[str, tuple[str, ...]] = {
    "area-for-improvement": (
        "Strategy discussions in the sample rarely included health colleagues",
        "Fathers and male carers seldom seen during assessments",
        "Information shared late ahead of child protection conferences",
        "Agency attendance at core groups fell over the summer",
    ),
    "risk": (
        "Escalation policy not known to half of the practitioners asked",
        "Waiting times for early help assessments lengthened in the winter",
        "Audit tools returned too late to be read before the subgroup met",
        "Few agencies can evidence safer recruitment checks for volunteers",
    ),
    "good-practice": (
        "Plans were reviewed on time in most of the cases sampled",
        "Referrals from schools rose after the autumn training sessions",
        "Multi-agency chronologies kept up to date in most cases",
        "Young people's views recorded in most plans sampled",
    ),
}

FINDING_SUMMARIES: tuple[str, ...] = (
    "Seen in most of the cases sampled this quarter; the audit tool and the sample are kept by the business unit. " + MARK,
    "A pattern across several agencies rather than a single service; the subgroup will look at it again next quarter. " + MARK,
    "Good practice to share across the partnership through the learning bulletin. " + MARK,
    "The figures come from the quarterly dataset and the case audits of the period. " + MARK,
)

#: What an improvement action asks for.
ACTION_TEXTS: tuple[str, ...] = (
    "Invite health colleagues to every strategy discussion and check attendance monthly",
    "Relaunch the escalation policy with a short briefing for every team",
    "Add a prompt for fathers and male carers to the assessment template",
    "Share chronologies with partners ahead of every conference",
    "Run two practitioner workshops on recording the child's voice",
    "Report core group attendance by agency to each subgroup meeting",
)

EVIDENCE: tuple[str, ...] = (
    "Minutes of the subgroup and the revised procedure, filed with the business unit " + MARK,
    "Briefing slides and attendance list, filed with the business unit " + MARK,
    "Audit re-run on a fresh sample; report filed with the business unit " + MARK,
)

EVALUATION_NOTES: tuple[str, ...] = (
    "The re-audit shows the change in practice " + MARK,
    "Some change seen; the next audit will check again " + MARK,
    "No evidence yet that practice changed " + MARK,
)

DECISIONS: tuple[str, ...] = (
    "Noted the data dashboard and agreed the priorities for the next quarter " + MARK,
    "Agreed the findings to go to the learning bulletin " + MARK,
    "Approved the audit programme for the next two quarters " + MARK,
    "Asked the business unit to report progress on overdue actions at the next meeting " + MARK,
)

#: Why a rapid review led to its decision (kept in the case record only).
RATIONALE = "The rapid review found learning for several agencies; the decision is proportionate to it. " + MARK

DROPPED_REASON = "Superseded by a national change to the procedure " + MARK
TASK_NOTE = "Report and minutes filed with the business unit " + MARK

#: Return contents: evidence, survey findings, case-audit learning, roles owning actions.
RETURN_EVIDENCE = "Board minutes, the safeguarding policy and the training record " + MARK
SURVEY_FINDINGS = "Most practitioners know how to escalate a concern; fewer know the threshold document " + MARK
LEARNING_THEMES: tuple[str, ...] = (
    "Health colleagues were not always invited to strategy discussions " + MARK,
    "Plans did not always record what the child had said " + MARK,
    "Chronologies were not shared ahead of conferences " + MARK,
)
OWNER_ROLES: tuple[str, ...] = ("Head of Safeguarding", "Designated Safeguarding Lead", "Service Manager")
SCHOOLS: tuple[tuple[str, str], ...] = (("100001", "Demonstration Primary School"), ("100002", "Demonstration Academy"))
VALUE_NOTE = "Fictional figure " + MARK

ALL_TEXTS: tuple[str, ...] = (
    *(t for titles in FINDING_TITLES.values() for t in titles), *FINDING_SUMMARIES, *ACTION_TEXTS, *EVIDENCE, *EVALUATION_NOTES, *DECISIONS, RATIONALE, DROPPED_REASON,
    TASK_NOTE, RETURN_EVIDENCE, SURVEY_FINDINGS, *LEARNING_THEMES, *OWNER_ROLES, *(name for _, name in SCHOOLS), VALUE_NOTE,
)


def pick(texts: Sequence[str], index: int) -> str:
    """The ``index``-th text, going round."""
    return texts[index % len(texts)]
