"""The speaker-label grammar: every convention qca reads, as one table.

Each :class:`Convention` names a way transcripts mark who speaks, with an example
line and how it is recognised. ``kind`` says where it sits on a line:

- ``prefix``: before any label (indentation, a pdftotext line number, a time stamp);
- ``label``: the speaker label itself (one of these at most per line);
- ``suffix``: at the end of a line (an f4 time stamp closing the turn's text);
- ``boundary``: a whole line that ends a turn and belongs to no segment (a heading).

``strength`` says when a label counts (see :mod:`qca.ingest.speakers`):

- ``strong``: always (a sigil, or a time stamp marks the line as a transcript line);
- ``weak``: when the label recurs, is a role word, or its family has other labels;
- ``consistent``: only when most blocks of the file start with that form.

The label conventions are compiled into one regular expression, tried at line
starts only (:data:`LABEL_PATTERN`); each alternative's groups are renamed with
its index, so ``match.lastgroup`` tells which convention matched.

Examples:
    >>> [c.name for c in CONVENTIONS if c.kind == "suffix"]
    ['time-after-text']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

#: A time stamp: m:ss, mm:ss or h:mm:ss, with optional fractions (.5, ,250 or f4's -8).
TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
TS_HMS = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?"
_F4 = rf"\#{TS_HMS}(?:-\d{{1,3}})?\#"
_WORD = r"[^\W_][\w'’.\-/]*"
#: A label name: up to four words, the first starting with a letter.
NAME = rf"[^\W\d_][\w'’.\-/]*(?: +{_WORD}){{0,3}}"
#: A role or short code in parentheses after a name: ``Interviewer (I):``.
_ROLE = r"[^\W\d_][^()\[\]\n:]{0,29}"


@dataclass(frozen=True)
class Convention:
    """One way of marking speakers (or times) in a transcript line."""

    name: str
    example: str
    how: str
    pattern: str
    kind: Literal["prefix", "label", "suffix", "boundary"] = "label"
    strength: Literal["strong", "weak", "consistent"] = "weak"
    #: Labels of one family back each other up (``Name:`` and ``Name (role):``).
    family: str = ""


CONVENTIONS: tuple[Convention, ...] = (
    Convention(
        "line-number",
        "12   Dan: So what do you use?",
        "indentation and a line number (pdftotext) before the label are skipped",
        r"[ \t\f\v]*(?:\d{1,5}[ \t]+(?=\S))?",
        kind="prefix",
    ),
    Convention(
        "time-before-label",
        "[00:01:23] Anna: Yes.",
        "a time stamp ([h:mm:ss], (mm:ss), h:mm:ss, f4/MAXQDA #hh:mm:ss-f#, or mm:ss "
        "followed by a label) before the label gives start_seconds; alone on a line it "
        "starts a new turn of the same speaker",
        rf"(?:\[{TS}\]|\({TS}\)|{_F4}|{TS_HMS}|\d{{1,2}}:\d{{2}}(?=[ \t]+{NAME}[ \t]*:))"
        r"[ \t\u00a0]*(?:[-–][ \t\u00a0]*)?",
        kind="prefix",
        strength="strong",
    ),
    Convention(
        "sigil",
        "@Anna: Yes.",
        "@Name: or #Name:",
        rf"[@\#](?P<speaker>{NAME})[ \t]*:(?=\s|$)",
        strength="strong",
        family="sigil",
    ),
    Convention(
        "markdown-bold",
        "**Interviewer (I):** How did it start?",
        "**Name:**, **Name**:, __Name:__ (optionally with a role, and a kramdown "
        "{: .class} after it); the text may follow on the next line",
        rf"(?P<mark>\*\*|__)(?P<speaker>{NAME})(?:[ \t]*\((?P<role>{_ROLE})\))?[ \t]*"
        r"(?::[ \t]*(?P=mark)|(?P=mark)[ \t]*:)(?:\{:[^}\n]*\})?(?=\s|$)",
        family="markdown",
    ),
    Convention(
        "zoom-header",
        "[Anna Berg] 11:02:09",
        "[Name] and a time of day alone on a line (Zoom); the text follows on the next lines",
        rf"\[(?P<speaker>[^\W\d_][^\]\n]{{0,39}})\][ \t]+(?P<time>{TS})[ \t]*$",
        strength="strong",
        family="zoom",
    ),
    Convention(
        "bracket",
        "[Anna] Yes.",
        "[Name] at the line start, optionally followed by a colon",
        r"\[(?P<speaker>[^\W\d_][^\]\n]{0,39})\][ \t]*:?(?=\s|$)",
        family="bracket",
    ),
    Convention(
        "otter-header",
        "Speaker 1  0:03",
        "Name and a time alone on a line (Otter); the text follows on the next lines",
        rf"(?P<speaker>{NAME})[ \t]+(?P<time>{TS})[ \t]*$",
        family="otter",
    ),
    Convention(
        "name-time",
        "Anna (00:01:23): Yes.",
        "Name (time): or Name [time]:",
        rf"(?P<speaker>{NAME})[ \t]*[(\[](?P<time>{TS})[)\]][ \t]*:(?=\s|$)",
        strength="strong",
        family="colon",
    ),
    Convention(
        "name-role",
        "Interviewer (I): How did it start?",
        "Name (role): the speaker is the name; the role is kept, and a later 'I:' "
        "label means the same speaker",
        rf"(?P<speaker>{NAME})[ \t]*\((?P<role>{_ROLE})\)[ \t]*:(?=\s|$)",
        family="colon",
    ),
    Convention(
        "name-colon",
        "Anna: Yes. / NURSE 2: Yes. / I: How? / B: Well.",
        "capitalised words (at most four) or a short code, then a colon",
        rf"(?P<speaker>{NAME})[ \t]*:(?=\s|$)",
        family="colon",
    ),
    Convention(
        "name-tab",
        "Anna\tYes.",
        "Name, a tab, then the text; only when most blocks of the file start so",
        rf"(?P<speaker>{NAME})\t+(?=\S)",
        strength="consistent",
        family="tab",
    ),
    Convention(
        "name-dash",
        "Anna - Yes.",
        "Name, a spaced dash, then the text; only when most blocks of the file start so",
        rf"(?P<speaker>{NAME})[ \t]+[-–—][ \t]+(?=\S)",
        strength="consistent",
        family="dash",
    ),
    Convention(
        "markdown-heading",
        "## Results",
        "a Markdown heading after the first label ends the turn and is in no segment; "
        "the text after it goes on with the same speaker",
        r"^[ \t]{0,3}\#{1,6}[ \t]+\S[^\n]*$",
        kind="boundary",
    ),
    Convention(
        "time-after-text",
        "B: Yes, that was it. #00:00:05-2#",
        "an f4/MAXQDA #hh:mm:ss-f# at a line end ends the turn's text and gives "
        "end_seconds (and the next turn's start_seconds)",
        rf"[ \t]*\#(?P<time>{TS_HMS})(?:-(?P<tenths>\d{{1,3}}))?\#[ \t]*$",
        kind="suffix",
    ),
)

#: Role words that make a lone weak label count (besides the interviewer labels), lower case.
ROLE_WORDS = frozenset(
    {
        "interviewee",
        "participant",
        "respondent",
        "resp",
        "speaker",
        "person",
        "p",
        "r",
        "ie",
        "iv",
        "b",
        "befragte",
        "befragter",
        "befragte/r",
        "teilnehmer",
        "teilnehmerin",
        "deltagare",
        "informant",
        "entrevistado",
        "entrevistada",
        "participante",
        "deelnemer",
        "respondent/in",
    }
)
#: Labels that are metadata keys or notes, never speakers (lower case).
NOT_SPEAKERS = frozenset(
    {
        "todo",
        "note",
        "notes",
        "nb",
        "comment",
        "comments",
        "duration",
        "date",
        "time",
        "length",
        "location",
        "place",
        "title",
        "subject",
        "topic",
        "summary",
        "source",
        "teaser",
        "transcript",
        "transcriber",
        "recording",
        "anmerkung",
        "notiz",
        "datum",
        "dauer",
        "ort",
        "zeit",
        "thema",
        "quelle",
        "anteckning",
        "tid",
        "plats",
        "ämne",
        "längd",
    }
)


def _renamed(pattern: str, index: int) -> str:
    pattern = re.sub(r"\(\?P<(\w+)>", rf"(?P<\1_{index}>", pattern)
    return re.sub(r"\(\?P=(\w+)\)", rf"(?P=\1_{index})", pattern)


LABELS: tuple[Convention, ...] = tuple(c for c in CONVENTIONS if c.kind == "label")
_PREFIX = {c.name: c.pattern for c in CONVENTIONS if c.kind == "prefix"}
_SUFFIX = next(c.pattern for c in CONVENTIONS if c.kind == "suffix")
_HEAD = f"(?P<speaker>{NAME})"
#: Labels that start with a name share one ``name`` group, so a line's words are read
#: as a name once, not once per convention (the tails are tried after it).
_TAILS = tuple(i for i, c in enumerate(LABELS) if c.pattern.startswith(_HEAD))

#: Per label convention: the group that shows it matched, its speaker group, itself.
LABEL_GROUPS: tuple[tuple[str, str, Convention], ...] = tuple(
    (f"c{i}", "name" if i in _TAILS else f"speaker_{i}", c) for i, c in enumerate(LABELS)
)

#: Every label convention at a line start: groups ``lead``, ``ts``, then one
#: ``c{i}`` group per label convention with its own groups renamed ``{group}_{i}``.
LABEL_PATTERN = re.compile(
    rf"^(?P<lead>{_PREFIX['line-number']})"
    rf"(?P<ts>{_PREFIX['time-before-label']})?"
    "(?:"
    + "|".join(
        f"(?P<c{i}>{_renamed(c.pattern, i)})" for i, c in enumerate(LABELS) if i not in _TAILS
    )
    + f"|(?P<name>{NAME})(?:"
    + "|".join(f"(?P<c{i}>{_renamed(LABELS[i].pattern[len(_HEAD) :], i)})" for i in _TAILS)
    + "))?",
    re.M,
)
_STAMP_PARTS = re.compile(r"(\d{1,2}(?::\d{2}){1,2})(?:[.,-](\d{1,3}))?")
#: A Markdown heading line.
HEADING = re.compile(next(c.pattern for c in CONVENTIONS if c.kind == "boundary"), re.M)
#: An f4 time stamp at a line end (after the text).
TRAILING_STAMP = re.compile(_SUFFIX, re.M)


#: Lower-case particles allowed inside a capitalised name (Mary van Dyke).
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "la", "le", "du", "af", "av"})
_NAME_RE = re.compile(NAME)


def is_label_name(name: str) -> bool:
    """Return whether *name* looks like a speaker label (capitalised words, at most four).

    Examples:
        >>> is_label_name("Interviewer 1"), is_label_name("The answer was")
        (True, False)
    """
    return len(name) <= 40 and bool(_NAME_RE.fullmatch(name)) and name_shape(name)


def name_shape(name: str) -> bool:
    """Return whether every word of *name* starts with a capital or a digit (particles aside)."""
    words = name.split()
    for index, word in enumerate(words):
        first = word[0]
        if first.isdigit() or first.isupper():
            continue
        if index > 0 and word in _PARTICLES:
            continue
        return False
    return True


def stamp_seconds(stamp: str) -> float:
    """Return the seconds of a time stamp; f4's ``-8`` after the seconds is a fraction.

    Examples:
        >>> stamp_seconds("[01:02:03]"), stamp_seconds("#00:00:07-8#"), stamp_seconds("0:03,5")
        (3723.0, 7.8, 3.5)
    """
    found = _STAMP_PARTS.search(stamp)
    if found is None:
        raise ValueError(f"not a time stamp: {stamp!r}")
    total = 0.0
    for part in found.group(1).split(":"):
        total = total * 60 + int(part)
    if found.group(2):
        total += float(f"0.{found.group(2)}")
    return round(total, 3)
