"""The run.json of an output folder: read and checked, held to the codebook, shown as a table.

:func:`read_manifest` is the first check of every command that reads an output folder
(:func:`qca.outputs.read_output`, and the streamed theme table, which reads nothing else
whole); :func:`check_manifest_codebook` refuses a folder coded with another codebook than
``qca.yaml`` names, as it is now.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem
from qca.models import HITS_FILE, PROJECT_FILE, RUN_FILE, RUN_FORMAT, SEGMENTS_FILE

if TYPE_CHECKING:
    import pandas as pd


def rerun_hint(folder: Path) -> str:
    """Return how to re-create the output *folder* (the end of most messages here)."""
    return f"run: qca code TRANSCRIPTS -c CODEBOOK -d {folder.as_posix()}"


def read_manifest(folder: Path) -> dict[str, Any]:
    """Return the run.json of the output *folder*, checked as :func:`qca.outputs.read_output`
    checks it.

    Every recorded output is checked against its size (and sha256 when its modification
    time differs), and ``segments.parquet`` must be there.

    Raises:
        OutputError: As :func:`qca.outputs.read_output` does.
    """
    shown = folder.as_posix().rstrip("/") + "/"
    run_path = folder / RUN_FILE
    if not folder.is_dir() or not run_path.is_file() or not (folder / HITS_FILE).is_file():
        raise OutputError(f"no coded output in {shown}; {rerun_hint(folder)}")
    try:
        manifest = json.loads(run_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OutputError(
            problems=[
                Problem(
                    run_path.as_posix(),
                    f"cannot read the run manifest; re-create it, {rerun_hint(folder)}",
                )
            ]
        ) from exc
    if not isinstance(manifest, dict):
        raise OutputError(
            problems=[Problem(run_path.as_posix(), f"not a run manifest; {rerun_hint(folder)}")]
        )
    found = manifest.get("format")
    if found != RUN_FORMAT:
        written = "an older qca (no format key)" if found is None else f"format {found!r}"
        raise OutputError(
            problems=[
                Problem(
                    run_path.as_posix(),
                    f"output folder written by {written}; this qca reads format {RUN_FORMAT}; "
                    f"re-run: qca code TRANSCRIPTS -c CODEBOOK -d {folder.as_posix()}",
                    where="format",
                )
            ]
        )
    from qca.folders import verify_outputs

    verify_outputs(folder, manifest, RUN_FILE, rerun_hint(folder))
    _check_manifest_types(manifest, run_path, folder)
    if not (folder / SEGMENTS_FILE).is_file():
        raise OutputError(
            problems=[
                Problem(
                    (folder / SEGMENTS_FILE).as_posix(),
                    f"file is missing; {rerun_hint(folder)}",
                )
            ]
        )
    return manifest


#: run.json keys readers use, and the JSON type each must have when present.
_MANIFEST_TYPES: dict[str, tuple[type, str]] = {
    "codes": (list, "a list"),
    "themes": (list, "a list"),
    "inputs": (list, "a list"),
    "problems": (list, "a list"),
    "options": (dict, "a mapping"),
    "counts": (dict, "a mapping"),
    "codebook": (dict, "a mapping"),
}


def _check_manifest_types(manifest: Mapping[str, Any], run_path: Path, folder: Path) -> None:
    """Refuse a run.json whose keys have the wrong JSON types (a damaged file)."""
    for key, (kind, said) in _MANIFEST_TYPES.items():
        value = manifest.get(key)
        bad = value is not None and not isinstance(value, kind)
        if not bad and key in ("codes", "themes") and value is not None:
            bad = not all(isinstance(item, dict) for item in value)
            said = "a list of mappings"
        if bad:
            raise OutputError(
                problems=[
                    Problem(
                        run_path.as_posix(),
                        f"should be {said}; the file was damaged; {rerun_hint(folder)}",
                        where=key,
                    )
                ]
            )


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of the bytes of *path*."""
    from qca.folders import file_sha256 as in_chunks

    return in_chunks(path)  # in chunks: a segments file need not fit in memory


def check_manifest_codebook(
    folder: Path, manifest: Mapping[str, Any], directory: Path | None = None
) -> None:
    """:func:`qca.outputs.check_codebook` on the run.json *manifest* of the output *folder*."""
    from qca.project import find_project

    project = find_project(directory)
    if project is None or project.codebook is None or not project.codebook.is_file():
        return
    named = project.codebook.as_posix()
    recorded = manifest.get("codebook", {}) or {}
    used = str(recorded.get("path", "") or "?")
    sha = str(recorded.get("sha256", "") or "")
    now = file_sha256(project.codebook)
    if sha == now:
        return
    run_path = (folder / RUN_FILE).as_posix()
    rerun = f"re-run: qca code TRANSCRIPTS -c {named} -d {folder.as_posix()}"
    if Path(used).name == project.codebook.name:
        message = (
            f"{named} changed since this output was coded (sha256 {sha[:12] or '?'} -> "
            f"{now[:12]}); {rerun}"
        )
    else:
        message = f"coded with codebook {used}, but {PROJECT_FILE} names {named}; {rerun}"
    raise OutputError(problems=[Problem(run_path, message, where="codebook")])


def manifest_frame(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """Return the run manifest as a two-column table (``key``, ``value``), e.g. an xlsx sheet.

    Nested mappings become dotted keys; lists and other values are written as JSON.

    Examples:
        >>> manifest_frame({"format": 1, "codebook": {"path": "cb.yaml"}}).values.tolist()
        [['format', '1'], ['codebook.path', 'cb.yaml']]
    """
    import pandas as pd

    from qca.models import KEY, VALUE

    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping) and value:
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, str):
            rows.append((prefix, value))
        else:
            rows.append((prefix, json.dumps(value, ensure_ascii=False, sort_keys=True)))

    walk("", manifest)
    return pd.DataFrame(rows, columns=[KEY, VALUE])
