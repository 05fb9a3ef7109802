"""Speaker labels as segmentation sees them: the ``qca ingest --speakers`` table.

:func:`speaker_table` lists every label found per document with its turns, words
and interviewer flag, and flags near-duplicates (``Particpant`` beside
``Participant``) in the same document or elsewhere in the corpus, so that a
researcher sees what segmentation will do before coding.
:func:`missing_labels_problem` is the warning for a transcript with no labels at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qca.errors import IngestError, Problem
from qca.ingest.files import SURVEY_SUFFIXES
from qca.models import (
    DOC_ID,
    FORMAT,
    IS_INTERVIEWER,
    SIMILAR_TO,
    SPEAKER,
    SPEAKER_TABLE_COLUMNS,
    START,
    TURNS,
    UNIT,
    WORDS,
)

if TYPE_CHECKING:
    import pandas as pd

    from qca.ingest.base import Corpus
    from qca.ingest.speakers import Turn

_SURVEY_FORMATS = frozenset(suffix.lstrip(".") for suffix in SURVEY_SUFFIXES)
_CAPTION_FORMATS = frozenset({"vtt", "srt"})
#: The --speaker-pattern example the warnings give (a label form the built-in rules miss).
PATTERN_EXAMPLE = r"'^(?P<speaker>[A-Z]\w+) -'"
_DIGITS = re.compile(r"\d+")
#: Documents named after a similar label found only elsewhere in the corpus.
_MAX_NAMED = 3


def missing_labels_problem(
    path: str, fmt: str, turns: Sequence[Turn], *, pattern_given: bool
) -> Problem | None:
    """Return the warning for a transcript whose turns have no speaker at all, else None.

    Args:
        path: The file, for the message.
        fmt: Its format (``txt``, ``vtt``, ...): captions get a word about voice tags.
        turns: Its turns, labelled or not.
        pattern_given: Whether ``--speaker-pattern`` was used (and found nothing).

    Examples:
        >>> from qca.ingest.speakers import Turn
        >>> turns = [Turn(None, 0, 0, 9)]
        >>> missing_labels_problem("a.txt", "txt", turns, pattern_given=False).severity
        'warning'
    """
    if not turns or any(turn.speaker is not None for turn in turns):
        return None
    if pattern_given:
        where = "a cue's start" if fmt in _CAPTION_FORMATS else "a line start"
        message = (
            f"--speaker-pattern matched no label at {where}, so no segment has a speaker; "
            "check the pattern against a labelled line of this file"
        )
    elif fmt in _CAPTION_FORMATS:
        message = (
            "no speaker labels in the cues (no <v Name> voice tag or 'Name:' prefix), "
            "so no segment has a speaker; if speakers are marked, pass a regex matching "
            f"the label at a cue's start, e.g. --speaker-pattern {PATTERN_EXAMPLE}"
        )
    else:
        message = (
            "no speaker labels found, so no segment has a speaker; if speakers are marked, pass "
            f"a regex matching the label at a line start, e.g. --speaker-pattern {PATTERN_EXAMPLE}"
        )
    return Problem(path, message, severity="warning")


def edit_distance(a: str, b: str) -> int:
    """Return the Levenshtein distance: the fewest insertions, deletions and substitutions.

    Examples:
        >>> edit_distance("Particpant", "Participant"), edit_distance("Dan", "Dan")
        (1, 0)
    """
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = previous[j - 1] + (char_a != char_b)
            current.append(min(previous[j] + 1, current[j - 1] + 1, cost))
        previous = current
    return previous[-1]


def _key(label: str) -> str:
    return " ".join(label.casefold().split())


def similar_labels(a: str, b: str, *, max_distance: int = 2) -> bool:
    """Return whether two different labels look like one speaker written two ways.

    Labels that differ only in case or spacing are similar. Labels that differ only in
    their numbers (``Speaker 1``, ``Speaker 2``) are not. Otherwise the edit distance
    (case ignored) may be 1 when the shorter label has 4 to 7 characters, and up to
    *max_distance* from 8 characters on; shorter labels (``I``, ``R``, ``P1``, ``Dan``)
    are never similar by spelling.

    Examples:
        >>> similar_labels("Particpant", "Participant"), similar_labels("P1", "P2")
        (True, False)
        >>> similar_labels("Interviewer", "interviewer"), similar_labels("Anna", "Hans")
        (True, False)
    """
    if a == b:
        return False
    key_a, key_b = _key(a), _key(b)
    if key_a == key_b:
        return True
    if _DIGITS.sub("#", key_a) == _DIGITS.sub("#", key_b):
        return False  # numbered speakers: Speaker 1, Speaker 2
    shortest = min(len(key_a), len(key_b))
    limit = 0 if shortest < 4 else 1 if shortest < 8 else max_distance
    if limit == 0 or abs(len(key_a) - len(key_b)) > limit:
        return False
    return edit_distance(key_a, key_b) <= limit


def _similar_to(
    label: str, doc_id: str, similar: list[str], documents: dict[str, list[str]]
) -> str:
    parts = []
    for other in similar:
        where = documents[other]
        if doc_id in where:
            parts.append(other)
            continue
        named = ", ".join(where[:_MAX_NAMED]) + (", ..." if len(where) > _MAX_NAMED else "")
        parts.append(f"{other} (in {named})")
    return "; ".join(parts)


def speaker_table(corpus: Corpus, *, max_distance: int = 2) -> pd.DataFrame:
    """Return every speaker label per document, with near-duplicates flagged.

    One row per (document, label) in the order the labels first speak; text with no
    label is a row with no speaker. Survey rows (.csv, .xlsx, .jsonl) are left out:
    they have no labels to check.

    Args:
        corpus: Read at ``unit="turn"`` (:func:`qca.ingest.read_corpus`).
        max_distance: The largest edit distance between two labels of 8 characters
            or more that :func:`similar_labels` calls similar.

    Returns:
        ``qca.models.SPEAKER_TABLE_COLUMNS``: ``doc_id, speaker, turns, words,
        is_interviewer, similar_to``. ``similar_to`` names the similar labels,
        ``Label (in DOC, ...)`` for one found only in other documents; empty when none.

    Raises:
        IngestError: When the corpus was not read at unit ``turn``.

    Examples:
        >>> corpus = read_corpus(["transcripts/"])  # doctest: +SKIP
        >>> speaker_table(corpus)[["doc_id", "speaker", "turns", "similar_to"]]  # doctest: +SKIP
    """
    import pandas as pd

    segments = corpus.segments
    if len(segments) and (segments[UNIT] != "turn").any():
        raise IngestError(
            "speaker_table counts speaker turns; read the corpus with IngestOptions(unit='turn')"
        )
    surveys = set(corpus.documents.loc[corpus.documents[FORMAT].isin(_SURVEY_FORMATS), DOC_ID])
    transcripts = segments[~segments[DOC_ID].isin(surveys)]
    frame = pd.DataFrame(
        {
            DOC_ID: transcripts[DOC_ID].astype(str).to_numpy(),
            SPEAKER: transcripts[SPEAKER].astype(object).where(transcripts[SPEAKER].notna(), ""),
            IS_INTERVIEWER: transcripts[IS_INTERVIEWER].astype(bool).to_numpy(),
            WORDS: transcripts[WORDS].astype("int64").to_numpy(),
            START: transcripts[START].astype("int64").to_numpy(),
        }
    )
    grouped = frame.groupby([DOC_ID, SPEAKER], sort=False)
    table = grouped.agg(
        **{
            TURNS: (START, "size"),
            WORDS: (WORDS, "sum"),
            IS_INTERVIEWER: (IS_INTERVIEWER, "any"),
            START: (START, "min"),
        }
    ).reset_index()
    table = table.sort_values([DOC_ID, START], kind="stable").reset_index(drop=True)
    documents: dict[str, list[str]] = {}
    for doc_id, label in zip(table[DOC_ID], table[SPEAKER], strict=True):
        if label:
            documents.setdefault(label, []).append(doc_id)
    labels = sorted(documents)
    similar: dict[str, list[str]] = {label: [] for label in labels}
    for index, a in enumerate(labels):
        for b in labels[index + 1 :]:
            if similar_labels(a, b, max_distance=max_distance):
                similar[a].append(b)
                similar[b].append(a)
    table[SIMILAR_TO] = [
        _similar_to(label, doc_id, similar[label], documents) if label else ""
        for doc_id, label in zip(table[DOC_ID], table[SPEAKER], strict=True)
    ]
    table[SPEAKER] = table[SPEAKER].where(table[SPEAKER] != "", None)
    table = table.astype({TURNS: "int64", WORDS: "int64", IS_INTERVIEWER: bool})
    return table[list(SPEAKER_TABLE_COLUMNS)]
