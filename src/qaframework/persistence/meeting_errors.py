"""Why a meeting could not be found or recorded as asked (nothing was written)."""

from __future__ import annotations

from collections.abc import Mapping

from qaframework.errors import QAFrameworkError


class MeetingError(QAFrameworkError):
    """A meeting cannot be found or recorded as asked; nothing was written."""


class MeetingRecordError(MeetingError):
    """What was wrong with one part of a meeting's record, so each edge names it its own
    way (``--held-on`` on the command line, ``held_on`` in the form).

    ``field`` is one of ``body``, ``meeting``, ``held``, ``held_on``, ``attended``,
    ``decisions`` or ``actions``; ``item`` which decision or action (counting from 1);
    ``reason`` never quotes typed text.
    """

    def __init__(self, field: str, reason: str, *, item: int | None = None) -> None:
        self.field = field
        self.reason = reason
        self.item = item
        super().__init__(self.named({}))

    def named(self, names: Mapping[str, str]) -> str:
        """The error as one line, the field called by ``names`` (its own key if absent).

        >>> MeetingRecordError("decisions", "is empty", item=2).named({"decisions": "--decision"})
        '--decision 2: is empty'
        """
        name = names.get(self.field, self.field)
        return f"{name}{f' {self.item}' if self.item is not None else ''}: {self.reason}"
