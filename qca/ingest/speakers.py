"""Find speaker labels at line starts and cut a document's text into speaker turns.

A label is recognised only at the start of a line. Strong forms (``@Name:``,
``#Name:``, ``Name (00:01:02):``, a leading timestamp, ``--speaker-pattern``)
always count. Weak forms (``Name:`` and ``[Name]``) count only when the document
shows it is a transcript: the label is a role word (Interviewer, Participant, I,
R, P3, ...), or it recurs, or another label already counts. Every word of a
``Name:`` label must start with a capital letter (or be a number), so ordinary
sentences with a colon ("The answer was simple: ...") never count.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from qca.errors import IngestError, Problem
from qca.ingest.base import DEFAULT_INTERVIEWER_LABELS

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_TS_HMS = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?"
_WORD = r"[^\W_][\w'’.\-]*"
_NAME = rf"[^\W\d_][\w'’.\-]*(?:[ \t]+{_WORD}){{0,3}}"

_LABEL = re.compile(
    rf"""
    ^(?P<lead>[ \t\f\v]*(?:\d{{1,5}}[ \t]+(?=\S))?)        # indentation, line number
    (?:(?P<ts>\[{_TS}\]|\({_TS}\)|\#{_TS_HMS}(?:-\d+)?\#|{_TS_HMS})
       [ \t]*(?:[-–][ \t]*)?)?                            # leading timestamp
    (?:
        [@\#](?P<sigil>{_NAME})[ \t]*:(?=\s|$)             # @Name:  #Name:
      | \[(?P<bracket>[^\W\d_][^\]\n]{{0,39}})\][ \t]*:?(?=\s|$)   # [Name]
      | (?P<otter>{_NAME})[ \t]+(?P<ts3>{_TS})[ \t]*$      # Name  00:01 (own line)
      | (?P<name>{_NAME})[ \t]*(?:[(\[](?P<ts2>{_TS})[)\]][ \t]*)?:(?=\s|$)   # Name:
    )?
    """,
    re.M | re.X,
)

#: Lower-case particles allowed inside a capitalised name (Mary van Dyke).
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "la", "le", "du", "af", "av"})
#: Role words that make a lone weak label count (besides the interviewer labels).
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
    }
)
_CODE_LIKE = re.compile(r"[A-Z]{1,3}\d{0,3}")
_TRAILING_DIGITS = re.compile(r"[\s\d]+$")


@dataclass(frozen=True)
class Turn:
    """One speaker turn: the label's span and the content after it.

    ``label_start``..``start`` is the label (with indentation and timestamp);
    ``start``..``end`` is the content, not yet stripped of whitespace.
    """

    speaker: str | None
    label_start: int
    start: int
    end: int
    start_seconds: float | None = None
    end_seconds: float | None = None


def role_key(label: str) -> str:
    """Normalise a label for role comparisons: lower case, no trailing digits.

    Examples:
        >>> role_key("Interviewer 1 ")
        'interviewer'
    """
    return _TRAILING_DIGITS.sub("", label.strip().lower()) or label.strip().lower()


def compile_speaker_pattern(pattern: str) -> re.Pattern[str]:
    """Compile ``--speaker-pattern``; the label is the match at a line start.

    Raises:
        IngestError: When the pattern is not a valid regular expression.
    """
    try:
        compiled = re.compile(pattern, re.M)
    except re.error as exc:
        raise IngestError(
            problems=[
                Problem(
                    "",
                    f"invalid regular expression ({exc.msg} at position {exc.pos}); "
                    "fix the pattern, e.g. --speaker-pattern '^(?P<speaker>[A-Z]\\w+):'",
                    where="--speaker-pattern",
                )
            ]
        ) from None
    if compiled.groups == 0:
        raise IngestError(
            problems=[
                Problem(
                    "",
                    "has no group for the speaker name; "
                    "add one, e.g. --speaker-pattern '^(?P<speaker>[A-Z]\\w+):'",
                    where="--speaker-pattern",
                )
            ]
        )
    return compiled


_NAME_RE = re.compile(_NAME)


def is_label_name(name: str) -> bool:
    """Return whether *name* looks like a speaker label (capitalised words, at most four).

    Examples:
        >>> is_label_name("Interviewer 1"), is_label_name("The answer was")
        (True, False)
    """
    return len(name) <= 40 and bool(_NAME_RE.fullmatch(name)) and _name_shape(name)


def _name_shape(name: str) -> bool:
    words = name.split()
    for index, word in enumerate(words):
        first = word[0]
        if first.isdigit() or first.isupper():
            continue
        if index > 0 and word in _PARTICLES:
            continue
        return False
    return True


def _seconds(stamp: str | None) -> float | None:
    if not stamp:
        return None
    core = stamp.strip("[]()#")
    core = core.split("-")[0].replace(",", ".")
    total = 0.0
    for part in core.split(":"):
        total = total * 60 + float(part)
    return total


@dataclass(frozen=True)
class _Candidate:
    label_start: int
    start: int
    speaker: str | None
    strong: bool
    shaped: bool
    seconds: float | None


_GROUPS = tuple(
    _LABEL.groupindex[name] - 1
    for name in ("ts", "sigil", "bracket", "otter", "name", "ts2", "ts3")
)


def _line_matches(text: str) -> Iterator[re.Match[str]]:
    """Yield the non-empty matches of ``_LABEL`` (as ``finditer`` would), trying line starts only.

    A match never spans a line end, so only line starts can begin one; scanning
    every position for ``^`` was most of the cost.
    """
    match = _LABEL.match
    find = text.find
    position = 0
    while True:
        found = match(text, position)
        if found is not None and found.end() != position:
            yield found
        newline = find("\n", position)
        if newline < 0:
            return
        position = newline + 1


def _candidates(text: str) -> Iterable[_Candidate]:
    i_ts, i_sigil, i_bracket, i_otter, i_name, i_ts2, i_ts3 = _GROUPS
    for match in _line_matches(text):
        groups = match.groups()
        ts = groups[i_ts]
        sigil, bracket = groups[i_sigil], groups[i_bracket]
        otter, name = groups[i_otter], groups[i_name]
        ts2 = groups[i_ts2]
        stamp = ts or ts2 or groups[i_ts3]
        seconds = _seconds(stamp) if stamp else None
        if sigil is not None:
            yield _Candidate(match.start(), match.end(), sigil, True, True, seconds)
        elif otter is not None and _name_shape(otter):
            yield _Candidate(match.start(), match.end(), otter, False, True, seconds)
        elif name is not None:
            strong = ts is not None or ts2 is not None
            shaped = _name_shape(name)
            if strong and not shaped:
                continue
            yield _Candidate(match.start(), match.end(), name, strong, shaped, seconds)
        elif bracket is not None:
            if len(bracket.split()) > 4:
                continue
            yield _Candidate(
                match.start(), match.end(), bracket, ts is not None, _name_shape(bracket), seconds
            )
        elif ts is not None:
            yield _Candidate(match.start(), match.end(), None, True, True, seconds)


def _accepted(candidates: list[_Candidate], roles: frozenset[str]) -> list[_Candidate]:
    counts = Counter(c.speaker for c in candidates if c.speaker is not None)

    def solid(c: _Candidate) -> bool:
        if c.strong:
            return True
        assert c.speaker is not None
        key = role_key(c.speaker)
        return key in roles or counts[c.speaker] >= 2

    solid_flags = [solid(c) for c in candidates]
    # Two or more capitalised labels, or one that is solid, show the text is a transcript.
    transcript = any(solid_flags) or sum(c.shaped for c in candidates) >= 2
    accepted = []
    for candidate, is_solid in zip(candidates, solid_flags, strict=True):
        if is_solid or (transcript and candidate.shaped):
            accepted.append(candidate)
        elif transcript and candidate.speaker and _CODE_LIKE.fullmatch(candidate.speaker):
            accepted.append(candidate)
    return accepted


def _user_candidates(text: str, pattern: re.Pattern[str]) -> list[_Candidate]:
    found: list[_Candidate] = []
    for match in pattern.finditer(text):
        begin = text.rfind("\n", 0, match.start()) + 1
        if text[begin : match.start()].strip() or match.end() == match.start():
            continue  # only labels at a line start count
        if found and begin < found[-1].start:
            continue  # overlaps the previous label
        try:
            speaker = match.group("speaker")
        except IndexError:
            speaker = match.group(1)
        found.append(_Candidate(begin, match.end(), speaker, True, True, None))
    return found


def clean_speaker(name: str | None) -> str | None:
    """Return a speaker label with surrounding and repeated whitespace removed."""
    if name is None:
        return None
    # Whitespace runs become one space (str.split uses the same whitespace as re's \s).
    return " ".join(name.split()) or None


def _labels(
    text: str,
    pattern: re.Pattern[str] | None,
    interviewer_labels: Iterable[str],
    known_speakers: Iterable[str],
) -> list[_Candidate]:
    if pattern is not None:
        return _user_candidates(text, pattern)
    roles = ROLE_WORDS | {role_key(label) for label in interviewer_labels}
    roles |= {role_key(name) for name in known_speakers}
    return _accepted(list(_candidates(text)), roles)


def label_spans(
    text: str,
    *,
    pattern: re.Pattern[str] | None = None,
    interviewer_labels: Iterable[str] = DEFAULT_INTERVIEWER_LABELS,
    known_speakers: Iterable[str] = (),
) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` span of every speaker label (and timestamp) in *text*."""
    found = _labels(text, pattern, interviewer_labels, known_speakers)
    return [(c.label_start, c.start) for c in found]


def detect_turns(
    text: str,
    *,
    pattern: re.Pattern[str] | None = None,
    interviewer_labels: Iterable[str] = DEFAULT_INTERVIEWER_LABELS,
    known_speakers: Iterable[str] = (),
) -> list[Turn]:
    """Cut normalised *text* into speaker turns.

    Text before the first label becomes a turn with ``speaker=None``. A label with
    only a timestamp continues the previous speaker. Turns whose content is only
    whitespace are dropped.

    Args:
        text: The document's normalised text.
        pattern: A compiled ``--speaker-pattern``; replaces the built-in conventions.
        interviewer_labels: Extra role words that make a lone label count.
        known_speakers: Names known to be speakers (e.g. bold runs in a .docx).

    Returns:
        The turns in text order; their spans are disjoint.

    Examples:
        >>> [t.speaker for t in detect_turns("I: Hi.\\nR: Hello.\\n")]
        ['I', 'R']
    """
    accepted = _labels(text, pattern, interviewer_labels, known_speakers)
    turns: list[Turn] = []
    first = accepted[0].label_start if accepted else len(text)
    if text[:first].strip():
        turns.append(Turn(None, 0, 0, first))
    previous: str | None = None
    for index, candidate in enumerate(accepted):
        end = accepted[index + 1].label_start if index + 1 < len(accepted) else len(text)
        speaker = clean_speaker(candidate.speaker)
        if speaker is None:
            speaker = previous
        previous = speaker
        if text[candidate.start : end].strip():
            turns.append(
                Turn(speaker, candidate.label_start, candidate.start, end, candidate.seconds)
            )
    return turns
