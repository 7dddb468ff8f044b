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


def describe(problem: dict[str, str]) -> str:
    """One stored problem as a line: where, then what was expected.

    >>> describe({"where": 'sheet "Values", row 3', "expected": "expected a number"}), describe({"where": "", "expected": "is empty"})
    ('sheet "Values", row 3: expected a number', 'is empty')
    """
    return str(Problem(problem.get("where", ""), problem.get("expected", "")))


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
