"""A document's speaker turns, and the warnings about its labels."""

from __future__ import annotations

import re
from dataclasses import replace

from qca.errors import Problem
from qca.ingest.base import IngestOptions
from qca.ingest.readers import Document
from qca.ingest.speaker_table import missing_labels_problem
from qca.ingest.speakers import Turn, detect_turns


def document_turns(
    document: Document, options: IngestOptions, pattern: re.Pattern[str] | None
) -> tuple[list[Turn], list[Problem]]:
    """Return *document*'s turns (its own, or detected in its text) and label warnings.

    Warns when text comes before the first label, and when a transcript has no label at
    all (with how to describe its labels by ``--speaker-pattern``).
    """
    text = document.text
    path = document.path
    problems: list[Problem] = []
    turns = document.turns
    if turns is None:
        turns = detect_turns(
            text,
            pattern=pattern,
            interviewer_labels=options.interviewer_labels,
            known_speakers=document.known_speakers,
        )
        if document.speaker is not None:
            speaker = document.speaker
            turns = [t if t.speaker else replace(t, speaker=speaker) for t in turns]
        elif (
            document.expect_speakers
            and turns
            and turns[0].speaker is None
            and any(t.speaker is not None for t in turns)
        ):
            problems.append(
                Problem(
                    path,
                    "text before the first speaker label is kept as an unattributed segment",
                    1,
                    severity="warning",
                )
            )
    if document.expect_speakers and document.speaker is None:
        missing = missing_labels_problem(
            path, document.format, turns, pattern_given=pattern is not None
        )
        if missing is not None:
            problems.append(missing)
    return turns, problems
