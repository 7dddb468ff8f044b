"""When a meeting's papers are built: on the working day its papers deadline arrives
(``papers_due_working_days`` before the meeting, counted in working days; a meeting moved
by a bank holiday keeps its deadline relative to the day it moved to), or on the first
run after it when that day was missed, as long as the meeting is still to come.

>>> from datetime import date
>>> from qaframework.papers.facts import MeetingFacts
>>> m = MeetingFacts("board/2027-07", "board", date(2027, 7, 13), date(2027, 7, 6), "planned")
>>> [papers_due_by([m], d) != [] for d in (date(2027, 7, 5), date(2027, 7, 6), date(2027, 7, 13), date(2027, 7, 14))]
[False, True, True, False]
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from qaframework.papers.facts import MeetingFacts


def papers_due_by(meetings: Iterable[MeetingFacts], today: date) -> list[MeetingFacts]:
    """The meetings whose papers are due by ``today``: deadline reached, meeting day not
    passed, and neither held nor cancelled."""
    return [m for m in meetings if m.papers_due <= today <= m.day and m.status == "planned"]
