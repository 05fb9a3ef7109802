"""Identifiers found by pattern: e-mail addresses, phone numbers, NHS numbers, dates of birth, postcodes.

Each pattern names its kind; :func:`find_identifiers` returns the spans of one text.
NHS numbers count only when their check digit is right (the modulus 11 rule), so a
ten-digit reference or an order number is left alone. UK postcodes must have the
official shape (``SW1A 1AA``, ``M1 1AE``, ``B33 8TH``) in capital letters.

Examples:
    >>> [(f.kind, f.value) for f in find_identifiers("Mail anna@example.org or ring 07700 900123.")]
    [('email', 'anna@example.org'), ('phone', '07700 900123')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The kinds found by pattern, in the order they win over one another.
IDENTIFIER_KINDS: tuple[str, ...] = ("email", "nhs_number", "phone", "date_of_birth", "postcode")

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)+")
#: Ten digits as 3-3-4 (spaces or hyphens) or run together.
NHS_NUMBER = re.compile(r"(?<![\w+-])(?:\d{3}([ -]?)\d{3}\1\d{4})(?![\w-])")
#: UK and international phone numbers: +44 or a leading 0, 10 to 13 digits in groups.
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(0\)[ .-]?)?|\(0\d{2,5}\)[ .-]?|0)"
    r"\d{2,5}(?:[ .-]?\d{2,4}){1,3}(?![\w])"
)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[ ]+(?:of[ ]+)?{_MONTH}[ ]+\d{{4}}"
    rf"|{_MONTH}[ ]+\d{{1,2}}(?:st|nd|rd|th)?,?[ ]+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})"
)
#: A date after a cue (date of birth, DOB, born on); only the date is replaced.
DATE_OF_BIRTH = re.compile(
    rf"(?:\b[Dd]ate[ ]+of[ ]+[Bb]irth|\bD\.?O\.?B\.?|\b[Bb]orn(?:[ ]+on)?)[ \t]*:?[ \t]*"
    rf"(?P<value>{_DATE})(?!\w)"
)
#: A UK postcode: outward code (A9, A99, A9A, AA9, AA99, AA9A), a space, inward code (9AA).
POSTCODE = re.compile(
    r"(?<![\w])(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2}(?![\w])"
)


@dataclass(frozen=True)
class Finding:
    """One identifier or name in a text: its kind, span and the text found."""

    kind: str
    start: int
    end: int
    value: str


def nhs_number_valid(digits: str) -> bool:
    """Return whether ten digits form a valid NHS number (modulus 11 check digit).

    Examples:
        >>> nhs_number_valid("9434765919"), nhs_number_valid("9434765918")
        (True, False)
    """
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _phone_digits(value: str) -> int:
    return sum(c.isdigit() for c in value)


def find_identifiers(text: str) -> list[Finding]:
    """Return the identifiers in *text* by pattern, sorted, none overlapping another.

    When two overlap, the kind earlier in :data:`IDENTIFIER_KINDS` wins (an NHS
    number is not also a phone number).
    """
    found: list[Finding] = []
    for match in EMAIL.finditer(text):
        found.append(Finding("email", match.start(), match.end(), match.group()))
    for match in NHS_NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if nhs_number_valid(digits):
            found.append(Finding("nhs_number", match.start(), match.end(), match.group()))
    for match in PHONE.finditer(text):
        if 10 <= _phone_digits(match.group()) <= 13:
            found.append(Finding("phone", match.start(), match.end(), match.group()))
    for match in DATE_OF_BIRTH.finditer(text):
        start, end = match.span("value")
        found.append(Finding("date_of_birth", start, end, match.group("value")))
    for match in POSTCODE.finditer(text):
        found.append(Finding("postcode", match.start(), match.end(), match.group()))
    return without_overlaps(found)


def without_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep the findings that overlap no earlier one (the list's order is the priority)."""
    kept: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for finding in findings:
        if any(finding.start < end and start < finding.end for start, end in taken):
            continue
        kept.append(finding)
        taken.append((finding.start, finding.end))
    return sorted(kept, key=lambda f: (f.start, f.end))


def normal_value(kind: str, value: str) -> str:
    """Return the form of *value* that identifies it: digits of numbers, lower-case e-mail.

    Examples:
        >>> normal_value("phone", "+44 7700 900123"), normal_value("email", "Anna@X.org")
        ('447700900123', 'anna@x.org')
    """
    if kind in ("phone", "nhs_number"):
        return re.sub(r"\D", "", value)
    if kind == "postcode":
        return value.replace(" ", "").upper()
    return value.casefold() if kind != "date_of_birth" else value
