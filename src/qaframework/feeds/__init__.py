"""Private iCal feeds of the QA calendar for partner agencies, bodies and the partnership."""
