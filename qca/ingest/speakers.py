"""Find speaker labels at line starts and cut a document's text into speaker turns.

The conventions read are the table in :mod:`qca.ingest.labels` (``Name:``,
``**Name:**``, ``[Name]``, ``Name (role):``, time stamps before or after, ...).
A label is recognised only at the start of a line. Strong forms (``@Name:``, a
leading time stamp, ``Name (00:01:02):``, Zoom headers, ``--speaker-pattern``)
always count. Weak forms count when the document shows it is a transcript: the
label is a role word (Interviewer, Participant, I, R, P3, ...), or it recurs, or
another label of the same family (``Name:`` and ``Name (role):``, ``**Name:**``,
``[Name]``, ...) counts too. ``Name<TAB>text`` and ``Name - text`` count only when
most blocks of the file start so. Every word of a name must start with a capital
letter (or be a number), so ordinary sentences with a colon ("The answer was
simple: ...") never count, and metadata keys (``Note:``, ``ToDo:``,
``Duration:``) are never speakers.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from qca.errors import IngestError, Problem
from qca.ingest.base import DEFAULT_INTERVIEWER_LABELS
from qca.ingest.labels import (
    HEADING,
    LABEL_GROUPS,
    LABEL_PATTERN,
    NOT_SPEAKERS,
    ROLE_WORDS,
    TRAILING_STAMP,
    name_shape,
    stamp_seconds,
)
from qca.ingest.labels import is_label_name as is_label_name

_LABEL = LABEL_PATTERN

_TRAILING_DIGITS = re.compile(r"[\s\d]+$")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_CODE = re.compile(r"[^\W\d_]{1,3}\d{0,3}")


@dataclass(frozen=True)
class Turn:
    """One speaker turn: the label's span and the content after it.

    ``label_start``..``start`` is the label (with indentation and time stamp);
    ``start``..``end`` is the content, not yet stripped of whitespace. ``role`` is
    the role of a ``Name (role):`` label.
    """

    speaker: str | None
    label_start: int
    start: int
    end: int
    start_seconds: float | None = None
    end_seconds: float | None = None
    role: str | None = None


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
    example = "e.g. --speaker-pattern '^(?P<speaker>[A-Z]\\w+):'"
    try:
        compiled = re.compile(pattern, re.M)
    except re.error as exc:
        message = f"invalid regular expression ({exc.msg} at position {exc.pos}); fix the pattern"
        raise IngestError(
            problems=[Problem("", f"{message}, {example}", where="--speaker-pattern")]
        ) from None
    if compiled.groups == 0:
        message = "has no group for the speaker name; add one"
        raise IngestError(
            problems=[Problem("", f"{message}, {example}", where="--speaker-pattern")]
        )
    return compiled


@dataclass(frozen=True)
class _Candidate:
    label_start: int
    start: int
    speaker: str | None
    strength: str
    family: str
    shaped: bool
    seconds: float | None
    role: str | None = None
    #: Where the content starts when only the leading time stamp counts.
    stamp_end: int = -1


#: Per label convention: its group name, then its speaker, role and time groups.
_BY_GROUP = {
    group: (speaker, f"role_{i}", f"time_{i}", convention)
    for i, (group, speaker, convention) in enumerate(LABEL_GROUPS)
}


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
    groups = _LABEL.groupindex
    for match in _line_matches(text):
        stamp = match.group("ts")
        seconds = stamp_seconds(stamp) if stamp else None
        stamp_end = match.end("ts")
        names = _BY_GROUP.get(match.lastgroup or "")
        if names is None:
            if stamp:  # a time stamp alone: the same speaker goes on
                yield _Candidate(match.start(), match.end(), None, "strong", "", True, seconds)
            continue
        speaker_group, role_group, time_group, convention = names
        speaker = match.group(speaker_group)
        role = match.group(role_group) if role_group in groups else None
        if time_group in groups and match.group(time_group):
            seconds = stamp_seconds(match.group(time_group))
        strength = convention.strength
        if stamp and strength == "weak":
            strength = "strong"
        shaped = name_shape(speaker)
        if convention.family == "bracket" and len(speaker.split()) > 4:
            shaped = False
        yield _Candidate(
            match.start(),
            match.end(),
            speaker,
            strength,
            convention.family,
            shaped,
            seconds,
            role.strip() if role else None,
            stamp_end if stamp else -1,
        )


def _blocks(text: str, labelled: set[int]) -> int:
    """Count the blocks of *text*: paragraphs, and lines starting with a label candidate.

    Without blank lines, every non-empty line is a block.
    """
    count = position = 0
    after_blank = True
    for line in text.split("\n"):
        filled = bool(line.strip())
        if filled and (after_blank or position in labelled):
            count += 1
        after_blank = not filled
        position += len(line) + 1
    if _BLANK_LINE.search(text.strip()):
        return count
    return sum(1 for line in text.split("\n") if line.strip())


def _accepted(candidates: list[_Candidate], roles: frozenset[str], text: str) -> list[_Candidate]:
    counts = Counter(c.speaker for c in candidates if c.speaker is not None)
    keys = {speaker: role_key(speaker) for speaker in counts}
    labels = {speaker for speaker, key in keys.items() if key not in NOT_SPEAKERS}

    def solid(c: _Candidate) -> bool:
        if c.speaker not in labels:
            return False
        if c.strength == "strong":
            return c.shaped or c.family == "sigil"
        if keys[c.speaker] in roles:
            return True
        # A lower-case label must be one word ("id1", "dan"), not a phrase ("so yes").
        return counts[c.speaker] >= 2 and (c.shaped or len(c.speaker.split()) == 1)

    flags = [solid(c) for c in candidates]
    shaped = Counter(c.family for c in candidates if c.shaped and c.speaker in labels)
    families = {c.family for c, flag in zip(candidates, flags, strict=True) if flag}
    families |= {family for family, count in shaped.items() if count >= 2}
    if any(c.speaker is None for c in candidates):  # a time stamp alone marks a transcript
        families |= {c.family for c in candidates if c.strength != "consistent"}
    for family in {c.family for c in candidates if c.strength == "consistent"}:
        members = [c.speaker for c in candidates if c.family == family and c.speaker in labels]
        # Most blocks start so and a name recurs, or every block starts so.
        recurs = any(counts[speaker] >= 2 for speaker in members if speaker)
        blocks = _blocks(text, {c.label_start for c in candidates})
        if len(members) < 3 or len(members) * (2 if recurs else 1) < blocks:
            families.discard(family)
    accepted = []
    for candidate, flag in zip(candidates, flags, strict=True):
        one_word = " " not in (candidate.speaker or " ")  # [id2] once among [id1] labels
        if candidate.speaker is None:
            accepted.append(candidate)
        elif (
            candidate.family in families
            and candidate.speaker in labels
            and (flag or candidate.shaped or (candidate.family == "bracket" and one_word))
        ):
            accepted.append(candidate)
        elif candidate.stamp_end >= 0:  # not a label, but its leading time stamp counts
            accepted.append(replace(candidate, speaker=None, start=candidate.stamp_end))
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
        found.append(_Candidate(begin, match.end(), speaker, "strong", "user", True, None))
    return found


def clean_speaker(name: str | None) -> str | None:
    """Return a speaker label with surrounding and repeated whitespace removed."""
    if name is None:
        return None
    # Whitespace runs become one space (str.split uses the same whitespace as re's \s).
    return " ".join(name.split()) or None


def _aliases(found: list[_Candidate]) -> dict[str, str]:
    """Map short role codes to names where ``Name (code):`` pairs them one to one."""
    codes: defaultdict[str, set[str]] = defaultdict(set)
    names: defaultdict[str, set[str]] = defaultdict(set)
    for c in found:
        if c.role and c.speaker and _CODE.fullmatch(c.role):
            codes[c.role].add(c.speaker)
            names[c.speaker].add(c.role)
    return {
        code: next(iter(speakers))
        for code, speakers in codes.items()
        if len(speakers) == 1 and len(names[next(iter(speakers))]) == 1
    }


def _with_headings(text: str, found: list[_Candidate]) -> list[_Candidate]:
    """Add the Markdown headings after the first speaker label as turn boundaries."""
    first = next((c.label_start for c in found if c.speaker is not None), -1)
    if first < 0 or "#" not in text:
        return found
    starts = {c.label_start for c in found}
    headings = [
        _Candidate(m.start(), m.end(), None, "strong", "", True, None)
        for m in HEADING.finditer(text, first)
        if m.start() not in starts
    ]
    return sorted([*found, *headings], key=lambda c: c.label_start) if headings else found


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
    found = _accepted(list(_candidates(text)), roles, text)
    found = _with_headings(text, found)
    aliases = _aliases(found)
    if not aliases:
        return found
    return [
        replace(c, speaker=aliases[c.speaker], role=c.speaker)
        if c.speaker in aliases and c.role is None
        else c
        for c in found
    ]


def _pieces(text: str, found: list[_Candidate]) -> list[Turn]:
    """Cut *text* at the labels, then at f4 time stamps ending a line (empty pieces kept)."""
    turns: list[Turn] = []
    first = found[0].label_start if found else len(text)
    if text[:first].strip():
        found = [_Candidate(0, 0, None, "strong", "", True, None), *found]
    stamped = "#" in text  # the f4 stamps ending a line
    previous: str | None = None
    carry: float | None = None  # an f4 stamp ending the previous turn starts this one
    for index, candidate in enumerate(found):
        end = found[index + 1].label_start if index + 1 < len(found) else len(text)
        speaker = clean_speaker(candidate.speaker)
        role = candidate.role
        if speaker is None:
            speaker, role = previous, (turns[-1].role if turns else None)
        previous = speaker
        start, label_start = candidate.start, candidate.label_start
        seconds = candidate.seconds if candidate.seconds is not None else carry
        carry = None
        for stamp in TRAILING_STAMP.finditer(text, start, end) if stamped else ():
            stamp_time = stamp_seconds(stamp.group())
            turns.append(
                Turn(speaker, label_start, start, stamp.start(), seconds, stamp_time, role)
            )
            label_start, start, seconds = stamp.start(), stamp.end(), stamp_time
            carry = stamp_time
        if text[start:end].strip():
            carry = None
        turns.append(Turn(speaker, label_start, start, end, seconds, None, role))
    return turns


def label_spans(
    text: str,
    *,
    pattern: re.Pattern[str] | None = None,
    interviewer_labels: Iterable[str] = DEFAULT_INTERVIEWER_LABELS,
    known_speakers: Iterable[str] = (),
) -> list[tuple[int, int]]:
    """Return the ``(start, end)`` span of every speaker label and time stamp in *text*."""
    found = _labels(text, pattern, interviewer_labels, known_speakers)
    return [(t.label_start, t.start) for t in _pieces(text, found) if t.start > t.label_start]


def detect_turns(
    text: str,
    *,
    pattern: re.Pattern[str] | None = None,
    interviewer_labels: Iterable[str] = DEFAULT_INTERVIEWER_LABELS,
    known_speakers: Iterable[str] = (),
) -> list[Turn]:
    """Cut normalised *text* into speaker turns.

    Text before the first label becomes a turn with ``speaker=None``. A label with
    only a time stamp continues the previous speaker, and so does the text after an
    f4 time stamp ending a line (the stamp ends one turn and starts the next).
    Turns whose content is only whitespace are dropped.

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
    found = _labels(text, pattern, interviewer_labels, known_speakers)
    return [t for t in _pieces(text, found) if text[t.start : t.end].strip()]
