"""How to code a corpus: :class:`CodeOptions`, read by the coding run and the re-run check."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qca.ingest.base import IngestOptions
from qca.io import json_plain


@dataclass(frozen=True)
class CodeOptions:
    """How to code a corpus. Every field is also a ``qca code`` option.

    Args:
        ingest: How to read the transcripts (``--participants``, ``--speaker-pattern``, ...).
        unit: The coding unit (``turn``, ``sentence``, ``paragraph``, ``document``); it
            replaces ``ingest.unit``. None: the codebook's ``unit``.
        include_interviewer: Code interviewer turns and the codebook's ``exclude_speakers`` too.
        model: An installed or saved spaCy pipeline (name or folder) instead of the blank one.
        jobs: Worker processes (1: code in this process).
        cache: Keep token arrays in the cache folder, so re-coding skips tokenisation.
        cache_dir: The cache folder; default ``.qca-cache`` next to the output folder
            (in the working folder when nothing is written).
        overrides: The overrides file whose manual decisions to apply (``qca override``);
            None applies none.
        scheduler: Code on a Dask cluster: ``local:N`` (N worker processes here) or
            ``tcp://HOST:PORT`` (a running ``dask scheduler``); None: ``jobs`` decides.
        count_nested: Count every overlapping match of one code in a segment (``ICE`` inside
            ``ICE plots``); by default they count once, the longest (docs/codebook.md).
    """

    ingest: IngestOptions = field(default_factory=IngestOptions)
    unit: str | None = None
    include_interviewer: bool = False
    model: str | None = None
    jobs: int = 1
    cache: bool = True
    cache_dir: Path | None = None
    overrides: Path | None = None
    scheduler: str | None = None
    count_nested: bool = False


def options_manifest(options: CodeOptions) -> dict[str, Any]:
    """Return run.json's ``options``: the ingest options and the others, in one flat mapping."""
    ingest = {k: json_plain(v) for k, v in dataclasses.asdict(options.ingest).items()}
    top = {k: json_plain(v) for k, v in dataclasses.asdict(options).items() if k != "ingest"}
    return {**ingest, **top}
