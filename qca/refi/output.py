"""Write a read REFI-QDA project as a qca output folder (``import_qdpx``)."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.models import (
    SEGMENT_ID,
    WORDS,
)
from qca.refi.model import CODEBOOK_FILE, SOURCES_FOLDER, RefiError, RefiProject
from qca.refi.read import read_qdpx

if TYPE_CHECKING:
    import pandas as pd


# --- writing an output folder -----------------------------------------------------------------


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def import_qdpx(path: str | Path, outdir: str | Path, *, strict: bool = False) -> RefiProject:
    """Read a REFI-QDA project and write it as a qca output folder in *outdir*.

    Writes ``segments.parquet``, ``hits.parquet``, ``codings.parquet`` (with a
    ``coder`` column), ``hits.csv``, ``codings.csv``, ``codebook.yaml``,
    ``sources/`` (each document's text) and ``run.json`` into a staging folder,
    then swaps it in atomically: *outdir* is this import or what it held before.
    With *strict*, any warning (codings qca cannot represent, missing sources,
    codes without codings, schema deviations) is an error and nothing is written.

    Raises:
        RefiError: When the project cannot be read (or, with *strict*, has warnings).
        OutputError: When *outdir* cannot be written.

    Examples:
        >>> project = import_qdpx("study.qdpx", "study-out")  # doctest: +SKIP
        >>> project.offsets  # doctest: +SKIP
        {'interview-01': 'utf16-crlf'}
    """
    import shutil

    from qca.folders import stage_folder

    project = read_qdpx(path)
    if strict and project.problems:
        raise RefiError(problems=[replace(p, severity="error") for p in project.problems])
    out = Path(outdir)
    stage = stage_folder(out)  # written whole, then swapped in: one import or the last
    try:
        _write_import(project, path, out, stage)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return project


def _write_import(project: RefiProject, path: str | Path, out: Path, stage: Path) -> None:
    """Write the import into the staging folder *stage*, then switch it in as *out*."""
    from qca import __version__
    from qca.codebook.writers import codebook_to_yaml
    from qca.folders import stamp_files, switch_folder
    from qca.io import atomic_write_bytes
    from qca.models import (
        CODINGS_CSV,
        CODINGS_FILE,
        HITS_CSV,
        HITS_FILE,
        RUN_FILE,
        RUN_FORMAT,
        SEGMENTS_FILE,
    )

    (stage / SOURCES_FOLDER).mkdir()
    index: dict[str, str] = {}
    for number, doc_id in enumerate(sorted(project.texts), start=1):
        file_name = f"{number:04d}.txt"
        index[doc_id] = file_name
        atomic_write_bytes(
            stage / SOURCES_FOLDER / file_name, project.texts[doc_id].encode("utf-8")
        )
    atomic_write_bytes(
        stage / SOURCES_FOLDER / "index.json",
        (json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"),
    )
    codebook_text = codebook_to_yaml(project.codebook)
    atomic_write_bytes(stage / CODEBOOK_FILE, codebook_text.encode("utf-8"))
    atomic_write_bytes(stage / SEGMENTS_FILE, _parquet(project.segments))
    atomic_write_bytes(stage / HITS_FILE, _parquet(project.hits))
    atomic_write_bytes(stage / CODINGS_FILE, _parquet(project.codings))
    atomic_write_bytes(
        stage / HITS_CSV, project.hits.to_csv(index=False, lineterminator="\n").encode("utf-8")
    )
    atomic_write_bytes(
        stage / CODINGS_CSV,
        project.codings.to_csv(index=False, lineterminator="\n").encode("utf-8"),
    )
    source = Path(path)
    codebook = project.codebook
    manifest: dict[str, Any] = {
        "format": RUN_FORMAT,
        "qca_version": __version__,
        "spacy_version": None,
        "pipeline": {},
        "codebook": {
            "path": (out / CODEBOOK_FILE).as_posix(),
            "sha256": hashlib.sha256(codebook_text.encode("utf-8")).hexdigest(),
            "name": codebook.name,
            "version": codebook.version,
            "language": codebook.language,
        },
        "themes": [{"theme": t.id, "label": t.label} for t in codebook.themes],
        "codes": [
            {"theme": c.theme, "code": c.id, "label": c.label, "parent": c.parent}
            for c in codebook.codes()
        ],
        "inputs": [
            {
                "path": source.as_posix(),
                "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
                "format": "qdpx",
                "documents": len(project.texts),
            }
        ],
        "options": {
            "unit": "selection",
            "include_interviewer": True,
            "coders": list(project.coders),
            "offsets": dict(sorted(project.offsets.items())),
        },
        "counts": {
            "documents": len(project.texts),
            "segments": len(project.segments),
            "coded_segments": int(project.codings[SEGMENT_ID].nunique()),
            "hits": len(project.hits),
            "skipped_files": 0,
            "words": int(project.segments[WORDS].sum()),
        },
        "problems": [str(p) for p in project.problems],
        "started": project.modified,
        "finished": project.modified,
    }
    written = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file())
    manifest["outputs"] = stamp_files(stage, written)
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    atomic_write_bytes(stage / RUN_FILE, text.encode("utf-8"))
    switch_folder(stage, out, RUN_FILE)
