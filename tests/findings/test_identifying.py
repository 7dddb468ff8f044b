"""Identifying text: exact examples that must be refused, and ones that must pass."""

from __future__ import annotations

import pytest

from qaframework.learning.identifying import (
    BIRTH_WORDS, DATE, NHS_NUMBER, POSTCODE, IdentifyingTextError, check_not_identifying, identifying_reasons, nhs_check_digit_valid,
)

REFUSED = [
    # NHS numbers with a valid mod-11 check digit, alone, spaced 3-3-4 or hyphenated.
    ("9434765919", [NHS_NUMBER]),
    ("NHS no. 943 476 5919 seen twice", [NHS_NUMBER]),
    ("ref 943-476-5919", [NHS_NUMBER]),
    ("4010232137 in the notes", [NHS_NUMBER]),
    # Dates with numbers, day first, any separator, two- or four-digit years.
    ("seen on 12/03/2015", [DATE]),
    ("3/4/15", [DATE]),
    ("12-03-2015", [DATE]),
    ("12.3.2015", [DATE]),
    ("on 31/12/09 at home", [DATE]),
    # Dates with month names, either way round, with or without ordinals and commas.
    ("12 March 2015", [DATE]),
    ("12th Mar 15", [DATE]),
    ("1st of September 2016", [DATE]),
    ("12-Mar-2015", [DATE]),
    ("March 12, 2015", [DATE]),
    ("sept 3rd 2016", [DATE]),
    # The words.
    ("DOB withheld", [BIRTH_WORDS]),
    ("d.o.b. not recorded", [BIRTH_WORDS]),
    ("her date of birth was wrong", [BIRTH_WORDS]),
    ("Born on a Tuesday", [BIRTH_WORDS]),
    # Postcodes, every shape, upper or lower case.
    ("lives at BA1 1AA", [POSTCODE]),
    ("ta6 3bx", [POSTCODE]),
    ("M1 1AE", [POSTCODE]),
    ("B33 8TH", [POSTCODE]),
    ("CR2 6XH", [POSTCODE]),
    ("DN55 1PT", [POSTCODE]),
    ("W1A 0AX", [POSTCODE]),
    ("EC1A 1BB", [POSTCODE]),
    ("SW1A1AA", [POSTCODE]),
    ("GIR 0AA", [POSTCODE]),
    # Several at once: one reason of each kind, in a fixed order.
    ("born on 12 March 2015, BA1 1AA, 943 476 5919", [NHS_NUMBER, DATE, BIRTH_WORDS, POSTCODE]),
]

PASSED = [
    "Q3 2027/28",
    "in 2027/28 Q1 and 2026/27",
    "within 15 working days of notification",
    "RR-2027-004",
    "MAA-2027-017 and CFA-2027-04",
    "F-2027-0001 and A-2028-0012",
    "the plan was reviewed on 2027-06-30",
    "March 2027",
    "since May 2026",
    "S11 standards 3 and 4",
    "KS2 3rd year pupils",
    "9434765918",  # ten digits whose check digit is wrong: not an NHS number
    "01234 567890",  # a phone number
    "12345678901",  # eleven digits
    "1/2/3 of cases",
    "version 1.2.3",
    "a ratio of 3/4",
    "scored 13 (medium) on the matrix",
    "Adobe forms were used",
    "the newborn screening pathway",
    "M5 corridor",
    "22% re-referrals against 85% training",
]


@pytest.mark.parametrize(("text", "reasons"), REFUSED)
def test_identifying_text_is_found(text: str, reasons: list[str]) -> None:
    assert identifying_reasons(text) == reasons


@pytest.mark.parametrize("text", PASSED)
def test_ordinary_text_passes(text: str) -> None:
    assert identifying_reasons(text) == []
    assert check_not_identifying(text, field="--summary") == text


def test_a_refusal_names_the_field_and_the_reason_but_never_the_text() -> None:
    with pytest.raises(IdentifyingTextError) as raised:
        check_not_identifying("Jo, 943 476 5919", field="--title")
    assert str(raised.value) == f"--title: {NHS_NUMBER}"
    assert "943" not in str(raised.value) and "Jo" not in str(raised.value)


@pytest.mark.parametrize(("digits", "valid"), [("9434765919", True), ("4010232137", True), ("9434765910", False), ("123456789X", False), ("0000000000", True), ("12345", False)])
def test_the_nhs_check_digit(digits: str, valid: bool) -> None:
    assert nhs_check_digit_valid(digits) is valid
