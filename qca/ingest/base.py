"""The ingest contract: options in, batches of documents and segments out.

Readers (one per suffix) turn one file into one :class:`Batch`; ``iter_corpus``
streams batches so that memory does not grow with the corpus. A file that cannot
be read gives a batch with empty frames and its problems; it never stops the rest
unless ``strict`` is set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qca.errors import Problem

if TYPE_CHECKING:
    import pandas as pd

#: Speaker labels treated as the interviewer (case-insensitive, trailing digits ignored):
#: English, then Swedish, German, French, Spanish, Dutch and Norwegian/Danish forms.
DEFAULT_INTERVIEWER_LABELS: tuple[str, ...] = (
    "interviewer",
    "moderator",
    "facilitator",
    "i",
    "int",
    "q",
    "intervjuare",
    "samtalsledare",
    "interviewer/in",
    "interviewerin",
    "moderatorin",
    "enquêteur",
    "enquêtrice",
    "intervieweur",
    "intervieweuse",
    "modérateur",
    "modératrice",
    "entrevistador",
    "entrevistadora",
    "moderador",
    "moderadora",
    "interviewster",
    "intervjuer",
)


@dataclass(frozen=True)
class IngestOptions:
    """How to read transcripts. Every field is also a ``qca ingest`` / ``qca code`` option."""

    unit: str = "turn"
    speaker_pattern: str | None = None
    #: The survey column(s) with the response text: several give one segment each (#18).
    text_column: str | tuple[str, ...] | None = None
    id_column: str | None = None
    participants: Path | None = None
    interviewer_labels: tuple[str, ...] = DEFAULT_INTERVIEWER_LABELS
    encoding: str | None = None
    strict: bool = False
    #: At ``unit="document"``: the speakers whose turns are left out of the coded text
    #: (the codebook's ``exclude_speakers``; :meth:`excluding` sets it for a coding run).
    exclude_speakers: tuple[str, ...] = ()
    #: At ``unit="document"``: keep interviewer turns in the coded text (``--include-interviewer``).
    include_interviewer: bool = False
    #: Largest one-document file read, in MB (``--max-file-mb``; None: 100).
    max_file_mb: int | None = None

    def __post_init__(self) -> None:
        # Scripts often pass a plain string; the readers need a Path.
        if self.participants is not None and not isinstance(self.participants, Path):
            object.__setattr__(self, "participants", Path(self.participants))
        object.__setattr__(self, "interviewer_labels", tuple(self.interviewer_labels))
        if self.text_column is not None and not isinstance(self.text_column, str):
            # One column stays a string, so its run.json and cache keys stay as they were.
            columns = tuple(self.text_column)
            object.__setattr__(
                self,
                "text_column",
                None if not columns else columns[0] if len(columns) == 1 else columns,
            )
        object.__setattr__(self, "exclude_speakers", tuple(self.exclude_speakers))

    @property
    def text_columns(self) -> tuple[str, ...]:
        """The survey text columns given, in order (empty: detect one by its name).

        Examples:
            >>> IngestOptions(text_column=["q1", "q2"]).text_columns
            ('q1', 'q2')
        """
        if self.text_column is None:
            return ()
        if isinstance(self.text_column, str):
            return (self.text_column,)
        return self.text_column

    def excluding(
        self, exclude_speakers: Iterable[str], *, include_interviewer: bool
    ) -> IngestOptions:
        """Return these options with a coding run's speaker exclusions.

        Only the document unit uses them (a document's units are cut before the
        excluded turns could be dropped as segments); other units keep the defaults,
        so their source cache entries do not depend on the codebook.

        Examples:
            >>> options = IngestOptions(unit="document")
            >>> options.excluding(["Chair"], include_interviewer=False).exclude_speakers
            ('Chair',)
        """
        if self.unit != "document":
            return self
        if include_interviewer:  # --include-interviewer codes exclude_speakers too
            return replace(self, exclude_speakers=(), include_interviewer=True)
        return replace(self, exclude_speakers=tuple(exclude_speakers), include_interviewer=False)


@dataclass(frozen=True)
class Batch:
    """What one source file gave: its documents, its segments, and any problems.

    ``documents`` has ``qca.models.DOCUMENT_COLUMNS`` then attribute columns;
    ``segments`` has ``qca.models.SEGMENT_COLUMNS`` then attribute columns. Both
    are empty (with those columns) when the file could not be read.
    """

    source: Path
    documents: pd.DataFrame
    segments: pd.DataFrame
    problems: tuple[Problem, ...] = ()
    #: Speaker turns per doc_id (whatever the unit), for summaries.
    turn_counts: Mapping[str, int] = field(default_factory=dict)
    #: A file found in a folder and not read (its problem is a warning).
    unread: bool = False
    #: False for the batch that carries the ``--participants`` sheet's warnings.
    input: bool = True

    @property
    def skipped(self) -> bool:
        """Whether the file was not read (an error, or a file qca cannot read)."""
        return self.unread or any(p.is_error for p in self.problems)


@dataclass(frozen=True)
class SourceBatch(Batch):
    """A :class:`Batch` from :func:`qca.ingest.read_source`, before :func:`qca.ingest.claim_doc_ids`.

    Besides the frames it records where each problem belongs, so that dropping a
    document whose ``doc_id`` an earlier file used gives exactly the problems that
    reading the files one after another would. Documents are counted in the order
    read (duplicates within the file included); reader problems have key -1.
    """

    #: For each problem, the count of the document it concerns (-1: the file).
    problem_keys: tuple[int, ...] = ()
    #: For each row of ``documents``: its count, its locator and its attribute names.
    document_keys: tuple[int, ...] = ()
    wheres: tuple[str, ...] = ()
    attribute_names: tuple[frozenset[str], ...] = ()
    #: Documents left out because an earlier chunk of this file used their doc_id:
    #: (count, doc_id, locator).
    duplicates: tuple[tuple[int, str, str], ...] = ()
    #: Participants attribute columns joined onto documents and onto segments.
    joined: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())


@dataclass(frozen=True)
class Corpus:
    """A whole corpus in memory: documents, segments and every problem found."""

    documents: pd.DataFrame
    segments: pd.DataFrame
    problems: tuple[Problem, ...] = ()


#: A data column named like a column of qca's own tables (hits, codings, theme tables)
#: is kept as ``attr_<name>`` (#18: a survey's ``code`` column gave ``qca themes --by code``
#: the header ``theme,code,code,documents``).
ATTRIBUTE_PREFIX = "attr_"


def attribute_names(
    names: Iterable[str], path: str, reserved: Iterable[str] = ()
) -> tuple[dict[str, str], list[Problem]]:
    """Map each attribute column to the name it gets, and warn once per renamed column.

    A column named like a column of qca's tables, or one of *reserved* (``question``
    when a survey has several text columns), gets the prefix :data:`ATTRIBUTE_PREFIX`.
    """
    from qca.models import (
        CODING_COLUMNS,
        DOCUMENT_COLUMNS,
        END_SECONDS,
        HIT_COLUMNS,
        MEASURES,
        SEGMENT_COLUMNS,
        START_SECONDS,
    )

    own = {*HIT_COLUMNS, *CODING_COLUMNS, *MEASURES} - {
        *DOCUMENT_COLUMNS,
        *SEGMENT_COLUMNS,
        START_SECONDS,
        END_SECONDS,
    }
    own |= set(reserved)
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    for name in names:
        mapping[name] = ATTRIBUTE_PREFIX + name if name in own else name
        if name in own:
            problems.append(
                Problem(
                    path,
                    f"column {name!r} has the name of a qca column; it is kept as "
                    f"{mapping[name]!r} (rename it in the file to choose another name)",
                    severity="warning",
                )
            )
    return mapping, problems
