"""Text that looks as if it identifies a child or family, refused before it is stored.

A finding says what an activity learned about the partnership's work, never about one
person: its title and summary are refused if they hold

- an **NHS number**: ten digits (alone, or spaced or hyphenated 3-3-4) whose last digit
  is the mod-11 check digit of the first nine (ten digits that fail the check are not
  an NHS number and pass);
- a **date of birth**: any day-month-year date, written with numbers (``12/03/2015``,
  ``3.4.15``, ``12-03-2015``) or a month's name (``12 March 2015``, ``12th Mar 15``,
  ``March 12, 2015``), or the words DOB, D.O.B., date of birth or born on. A month and
  year (``March 2027``), a period (``Q3 2027/28``) and an ISO date (``2027-06-30``, how
  the software writes the days of its own work) pass;
- a **UK postcode** (``BA1 1AA``, ``ta6 3bx``). Lower-case ordinals that happen to fit
  the pattern (``KS2 3rd``) pass.

Case references (``RR-2027-004``), audit case numbers (``MAA-2027-017``) and "15 working
days" pass. A refusal gives the reason and never quotes the text: a reason is printed,
logged and shown in the Prefect UI.

>>> identifying_reasons("Strategy discussions held within 15 working days in Q3 2027/28 (RR-2027-004)")
[]
>>> identifying_reasons("Child born on 12 March 2015 at BA1 1AA, NHS 943 476 5919") == [NHS_NUMBER, DATE, BIRTH_WORDS, POSTCODE]
True
"""

from __future__ import annotations

import re

from qaframework.errors import QAFrameworkError

NHS_NUMBER = "looks like an NHS number (ten digits with a valid check digit): remove it, findings are about the partnership's work, never one person"
DATE = "holds a day, month and year, which could be a date of birth: give the month and year or the period instead (such as March 2027 or Q3 2027/28)"
BIRTH_WORDS = "mentions a date of birth: remove it, findings are about the partnership's work, never one person"
POSTCODE = "looks like a UK postcode: remove it, or name the area instead"


class IdentifyingTextError(QAFrameworkError, ValueError):
    """Text that looks identifying (an NHS number, a date of birth, a postcode).

    ``field`` names where it was and ``reason`` why; neither quotes the text."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


# Ten digits, alone or 3-3-4 with one kind of separator, not inside a longer number.
_NHS = re.compile(r"(?<![0-9])(?:[0-9]{10}|[0-9]{3}( |-)[0-9]{3}\1[0-9]{4})(?![0-9])")

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_YEAR = r"(?:[0-9]{4}|[0-9]{2})"
# Numbers: day, month, year with one kind of separator, not part of a longer sequence.
_NUMERIC_DATE = re.compile(
    rf"(?<![0-9A-Za-z])(?<![0-9][/.-]){_DAY}([/.-])(?:0?[1-9]|1[0-2])\1{_YEAR}(?![0-9])(?![/.-][0-9])"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_NAMED_DATE = re.compile(
    rf"(?<![0-9A-Za-z]){_DAY}{_ORDINAL}(?:\s+of)?[\s.-]+(?:{_MONTHS})\.?,?[\s.-]+{_YEAR}(?![0-9A-Za-z])"
    rf"|(?<![0-9A-Za-z])(?:{_MONTHS})\.?\s+{_DAY}{_ORDINAL},?\s+{_YEAR}(?![0-9A-Za-z])",
    re.IGNORECASE,
)
_BIRTH = re.compile(r"(?<![A-Za-z])(?:d\.?o\.?b\b\.?|date\s+of\s+birth|born\s+on)(?![A-Za-z])", re.IGNORECASE)

# The shapes of a UK postcode (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA)
# with the letters each position may hold; the inward code never uses C, I, K, M, O or V.
_OUTWARD = r"(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(rf"(?<![A-Za-z0-9])(?:GIR ?0AA|{_OUTWARD}( ?){_INWARD})(?![A-Za-z0-9])", re.IGNORECASE)
_LOWER_ORDINAL = re.compile(r"[0-9](?:st|nd|rd|th)$")


def nhs_check_digit_valid(digits: str) -> bool:
    """Whether ten digits end in the mod-11 check digit of the first nine.

    >>> nhs_check_digit_valid("9434765919"), nhs_check_digit_valid("9434765918")
    (True, False)
    """
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _has_nhs_number(text: str) -> bool:
    return any(nhs_check_digit_valid(re.sub(r"[ -]", "", m.group(0))) for m in _NHS.finditer(text))


def _has_postcode(text: str) -> bool:
    for match in _POSTCODE.finditer(text):
        found = match.group(0)
        if found.upper() == found:
            return True
        # Typed in lower or mixed case: a postcode only with its space, and not "KS2 3rd".
        if " " in found and not _LOWER_ORDINAL.search(found):
            return True
    return False


def identifying_reasons(text: str) -> list[str]:
    """Why ``text`` looks identifying, one reason for each kind found (none: it passes).

    >>> identifying_reasons("Case MAA-2027-017: the plan was reviewed on 2027-06-30, in March 2027")
    []
    >>> identifying_reasons("seen 3/4/15") == [DATE]
    True
    """
    reasons = []
    if _has_nhs_number(text):
        reasons.append(NHS_NUMBER)
    if _NUMERIC_DATE.search(text) or _NAMED_DATE.search(text):
        reasons.append(DATE)
    if _BIRTH.search(text):
        reasons.append(BIRTH_WORDS)
    if _has_postcode(text):
        reasons.append(POSTCODE)
    return reasons


def check_not_identifying(text: str, *, field: str) -> str:
    """``text`` if nothing in it looks identifying; else an IdentifyingTextError naming
    ``field`` and the first reason (never the text).

    >>> check_not_identifying("Re-referrals rose in Q2", field="--summary")
    'Re-referrals rose in Q2'
    >>> check_not_identifying("DOB 01/02/2016", field="--title")
    Traceback (most recent call last):
    qaframework.learning.identifying.IdentifyingTextError: --title: holds a day, month and year, which could be a date of birth: give the month and year or the period instead (such as March 2027 or Q3 2027/28)
    """
    reasons = identifying_reasons(text)
    if reasons:
        raise IdentifyingTextError(field, reasons[0])
    return text
