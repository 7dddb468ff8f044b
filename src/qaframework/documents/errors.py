"""What can go wrong when a paper is rendered or written."""

from __future__ import annotations

from qaframework.errors import QAFrameworkError


class DocumentError(QAFrameworkError, ValueError):
    """A paper cannot be rendered or written: its template is missing, its HTML has no
    title, or the name it is to be filed under is not a plain file name. The message
    says what to change."""
