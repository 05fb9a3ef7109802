"""What a coding run counts as batches come: files read, problems, segments, words."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import Problem
from qca.models import FORMAT, WORDS

if TYPE_CHECKING:
    import pandas as pd

    from qca.ingest.base import Batch
    from qca.ingest.groups import Group


class Totals:
    """The run's inputs (one entry per file), problems and counts, in input order."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.problems: list[Problem] = []
        self.inputs: dict[str, dict[str, Any]] = {}
        self.counts = {"documents": 0, "segments": 0, "words": 0, "skipped_files": 0}
        self.languages: set[str] = set()

    def file(
        self,
        source: Path,
        format: str | None,
        documents: int,
        problems: Iterable[Problem],
        skipped: bool,
        coded: bool,
    ) -> None:
        """Count one file's batch: *coded* when it gave segments (its documents count then)."""
        from qca.ingest.store import file_sha256

        self.problems.extend(problems)
        if skipped:
            self.counts["skipped_files"] += 1
        name = str(source)
        entry = self.inputs.get(name)
        if entry is None:  # one entry per file, however many batches it gives
            entry = self.inputs[name] = {
                "path": name,
                "sha256": file_sha256(source),
                "format": None,
                "documents": 0,
            }
        if entry["format"] is None:
            entry["format"] = format
        entry["documents"] += documents
        if coded:
            self.counts["documents"] += documents

    def batch(self, batch: Batch, segments: int) -> None:
        """Count a file's batch that gave *segments* segments."""
        if not batch.input:  # the participants sheet's warnings: no input file
            self.problems.extend(batch.problems)
            return
        documents = batch.documents
        found = None
        if FORMAT in documents.columns:
            found = next(iter(documents[FORMAT].tolist()), None)
        self.file(batch.source, found, len(documents), batch.problems, batch.skipped, segments > 0)

    def group(self, group: Group) -> None:
        """Count each file of *group*."""
        for file in group.files:
            self.file(
                file.source,
                file.format,
                file.documents,
                file.problems,
                file.skipped,
                file.segments > 0,
            )

    def segments(self, segments: pd.DataFrame) -> None:
        """Count *segments* and their languages."""
        from qca.engine.selection import segment_languages

        self.counts["segments"] += len(segments)
        self.counts["words"] += int(segments[WORDS].sum()) if WORDS in segments else 0
        self.languages.update(segment_languages(segments, self.language))

    def written(self, segments: int, words: int, languages: Iterable[str]) -> None:
        """Count segments a worker wrote."""
        self.counts["segments"] += segments
        self.counts["words"] += words
        self.languages.update(languages)
