"""Why a return was refused: each problem says where (sheet, row and column, or the
field) and what was expected there, in words a named contact can act on.

A problem never quotes what was typed in a cell: a cell meant for a case number may
hold a child's name, and reasons are stored, printed and emailed.
"""

from __future__ import annotations

from dataclasses import dataclass

from qaframework.errors import QAFrameworkError

#: At most this many problems are listed; a file with more is summarised ("and 212 more").
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    where: str
    expected: str

    def __str__(self) -> str:
        return f"{self.where}: {self.expected}" if self.where else self.expected

    def as_dict(self) -> dict[str, str]:
        return {"where": self.where, "expected": self.expected}


class Problems:
    """Collects problems up to :data:`MAX_PROBLEMS`, counting the rest."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.more = 0

    def add(self, where: str, expected: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(where, expected))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def as_list(self) -> list[dict[str, str]]:
        listed = [p.as_dict() for p in self.items]
        if self.more:
            listed.append({"where": "", "expected": f"and {self.more} more problems of the same kinds"})
        return listed


class ReturnFileUnreadable(QAFrameworkError):
    """The file cannot be read as a return at all (not a spreadsheet, too large, no
    About sheet...): one problem, no rows looked at."""

    def __init__(self, where: str, expected: str) -> None:
        self.problem = Problem(where, expected)
        super().__init__(str(self.problem))


class ReturnRejected(QAFrameworkError):
    """A return was refused. It is stored with its reasons all the same (nothing a
    partner sent is dropped); this error tells the person who imported it."""

    def __init__(self, filename: str, submission_id: int, problems: list[dict[str, str]]) -> None:
        self.submission_id = submission_id
        self.problems = problems
        listed = "; ".join(f"{p['where']}: {p['expected']}" if p["where"] else p["expected"] for p in problems)
        count = len(problems)
        super().__init__(
            f"{filename}: rejected, {count} problem{'s' if count != 1 else ''} (kept as submission {submission_id}): {listed}"
        )
