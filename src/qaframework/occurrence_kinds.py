"""The kinds of occurrence: what each row of the calendar is.

- ``activity``: a window of planned work (or a review stage's deadline);
- ``meeting``: a body's meeting;
- ``action``: an improvement action, a task for its owner with a due date.
"""

ACTIVITY = "activity"
MEETING = "meeting"
ACTION = "action"
