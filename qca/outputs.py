"""Read the output folder that ``qca code`` writes: segments, hits, codings and run.json.

Every later command (``qca themes``, ``qca show``, ``qca explain``) starts here, so
the errors are the ones a user meets most: no coded output yet, an output folder
from an older qca, or one coded with another codebook than ``qca.yaml`` names.
run.json itself is read and checked in :mod:`qca.outputs_manifest`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem
from qca.models import (
    CODE,
    CODING_COLUMNS,
    CODINGS_FILE,
    DEFAULT_OUTDIR,
    HIT_COLUMNS,
    HITS_FILE,
    NEGATION_CUE,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SEGMENTS_FILE,
    THEME,
)
from qca.outputs_manifest import check_manifest_codebook, read_manifest, rerun_hint

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Columns:
    """Which columns :func:`read_output` reads of each file; ``None`` reads every column.

    A named column the file lacks is left out (the attribute columns differ between
    runs); the columns every reader needs are checked against the file either way.
    ``qca themes`` reads only what it counts: on a million segments, the ``text``
    column alone is most of the bytes.
    """

    segments: Sequence[str] | None = None
    hits: Sequence[str] | None = None
    codings: Sequence[str] | None = None
    #: Columns read as pandas categoricals (few distinct values: code, theme, source).
    categorical: Sequence[str] = ()


@dataclass(frozen=True)
class CodedOutput:
    """What one ``qca code`` run wrote.

    Attributes:
        folder: The output folder.
        segments: ``SEGMENT_COLUMNS`` then attribute columns; every segment, interviewer
            turns included (``is_interviewer`` tells them apart).
        hits: ``HIT_COLUMNS``, one row per rule match.
        codings: ``CODING_COLUMNS``, one row per (segment, code) after overrides, or
            ``None`` when the folder has no codings file.
        manifest: The parsed ``run.json``.
        segment_columns: Every column of ``segments.parquet``, read or not (see
            :class:`Columns`); empty means those of ``segments``.
    """

    folder: Path
    segments: pd.DataFrame
    hits: pd.DataFrame
    codings: pd.DataFrame | None
    manifest: Mapping[str, Any] = field(default_factory=dict)
    segment_columns: tuple[str, ...] = ()

    @property
    def codes(self) -> list[dict[str, Any]]:
        """Every code of the codebook in codebook order (``theme, code, label, parent``)."""
        return [dict(c) for c in self.manifest.get("codes", []) or []]

    @property
    def themes(self) -> list[dict[str, Any]]:
        """Every theme in codebook order (``theme, label``), codes' themes included."""
        themes = [dict(t) for t in self.manifest.get("themes", []) or []]
        known = {t.get(THEME) for t in themes}
        for code in self.codes:
            if code.get(THEME) not in known:
                known.add(code.get(THEME))
                themes.append({THEME: code.get(THEME), "label": ""})
        return themes

    @property
    def include_interviewer(self) -> bool:
        """Whether the run coded interviewer segments too (they are then codable)."""
        options = self.manifest.get("options", {}) or {}
        return bool(options.get("include_interviewer", False))

    @property
    def attributes(self) -> list[str]:
        """The segments' attribute columns (after ``SEGMENT_COLUMNS``), in table order."""
        names = self.segment_columns or tuple(str(c) for c in self.segments.columns)
        return [c for c in names if c not in SEGMENT_COLUMNS]

    @property
    def code_ids(self) -> list[str]:
        """Code ids in codebook order."""
        return [str(c[CODE]) for c in self.codes]


def default_output_location(directory: Path | None = None) -> Path | str:
    """Return the output folder ``$QCA_OUTPUT`` or ``qca.yaml`` names, else ``qca-out``;
    an fsspec URL there (``s3://bucket/out``) as given, for the commands that read one.

    Raises:
        OutputError: When ``qca.yaml`` is invalid.
    """
    from qca.settings import resolve

    settings = resolve(directory=directory)
    if settings.output != Path(DEFAULT_OUTDIR):
        return settings.output
    return (directory or Path(".")) / DEFAULT_OUTDIR


def default_output_folder(directory: Path | None = None) -> Path:
    """Return the output folder ``$QCA_OUTPUT`` or ``qca.yaml`` names, else ``qca-out``.

    Raises:
        OutputError: When ``qca.yaml`` is invalid, or names a URL (this command reads a
            local folder).
    """
    found = default_output_location(directory)
    if isinstance(found, str):
        raise OutputError(
            f"output {found} ($QCA_OUTPUT or qca.yaml) is a URL, which only qca code, themes, "
            "show, cooccur, explain and report take; give a local folder with -d DIR"
        )
    return found


def _read_parquet(
    path: Path,
    columns: Sequence[str],
    folder: Path,
    selected: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Read *path* (only the *selected* columns it has, or all); return it and all its names."""
    import pandas as pd
    import pyarrow.parquet as pq

    try:
        names = tuple(pq.read_schema(path).names)
        if not [c for c in columns if c not in names]:
            wanted = None if selected is None else [c for c in names if c in set(selected)]
            kept = [c for c in categorical if c in names and (wanted is None or c in wanted)]
            frame = (
                pd.read_parquet(path, columns=wanted, read_dictionary=kept)
                if kept
                else pd.read_parquet(path, columns=wanted)
            )
    except Exception as exc:  # pyarrow raises many types for a damaged file
        raise OutputError(
            problems=[
                Problem(
                    path.as_posix(),
                    f"cannot read this parquet file ({type(exc).__name__}); "
                    f"re-create it, {rerun_hint(folder)}",
                )
            ]
        ) from exc
    check_columns(path, names, columns, folder)
    return frame, names


def check_columns(path: Path, names: Sequence[str], required: Sequence[str], folder: Path) -> None:
    """Refuse the parquet file *path* (its columns: *names*) when it lacks a *required* one.

    Raises:
        OutputError: Naming the missing columns and how to re-create the folder.
    """
    missing = [c for c in required if c not in names]
    if missing:
        raise OutputError(
            problems=[
                Problem(
                    path.as_posix(),
                    f"missing column(s) {', '.join(missing)}; the folder was written by "
                    f"another qca version; {rerun_hint(folder)}",
                )
            ]
        )


def read_output(
    folder: str | Path, *, check_project: bool = True, columns: Columns | None = None
) -> CodedOutput:
    """Read the coded output in *folder* (segments, hits, codings, run.json).

    Args:
        folder: The output folder of ``qca code``.
        check_project: When a ``qca.yaml`` in the working folder names a codebook,
            check that the output was coded with that codebook as it is now.
        columns: Read only these columns of each file (see :class:`Columns`); default all.

    Returns:
        The coded output; ``codings`` is ``None`` when the folder has none.

    Raises:
        OutputError: When the folder holds no coded output, was written by an
            older qca, or was coded with a codebook other than ``qca.yaml`` names.

    Examples:
        >>> out = read_output("qca-out")  # doctest: +SKIP
        >>> out.hits.groupby("code").size()  # doctest: +SKIP
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    chosen = columns or Columns()
    kinds = chosen.categorical
    segments, names = _read_parquet(
        folder / SEGMENTS_FILE, SEGMENT_COLUMNS, folder, chosen.segments, kinds
    )
    # negation_cue is optional: folders coded before it existed are read as they are
    needed = [c for c in HIT_COLUMNS if c != NEGATION_CUE]
    hits, _ = _read_parquet(folder / HITS_FILE, needed, folder, chosen.hits, kinds)
    codings_path = folder / CODINGS_FILE
    codings = (
        _read_parquet(codings_path, CODING_COLUMNS, folder, chosen.codings, kinds)[0]
        if codings_path.is_file()
        else None
    )
    if columns is not None:
        import pyarrow as pa

        # Reading keeps decoding buffers in pyarrow's allocator; hand them back.
        pa.default_memory_pool().release_unused()
    output = CodedOutput(folder, segments, hits, codings, manifest, names)
    check_references(output)
    if check_project:
        check_codebook(output)
    return output


def check_references(output: CodedOutput) -> None:
    """Refuse hits or codings naming a segment or code the folder does not have."""
    codes = set(output.code_ids)
    segments = output.segments
    checked = [
        (name, frame)
        for name, frame in ((HITS_FILE, output.hits), (CODINGS_FILE, output.codings))
        if frame is not None and not frame.empty
    ]
    for name, frame in checked:
        if codes and CODE in frame.columns:
            unknown = sorted(set(frame[CODE].astype(str).unique()) - codes)
            if unknown:
                _damaged(output, name, f"names code(s) not in run.json: {', '.join(unknown[:5])}")
    checked = [(n, f) for n, f in checked if SEGMENT_ID in f.columns]
    if checked and SEGMENT_ID in segments.columns:
        # One lookup for both files: building the set of a million segment ids is the cost.
        from qca.outputs_arrow import first_missing

        found = first_missing([f[SEGMENT_ID] for _, f in checked], segments[SEGMENT_ID])
        if found is not None:
            number, first = found
            problem = f"names segment(s) not in {SEGMENTS_FILE}, e.g. {first}"
            _damaged(output, checked[number][0], problem)


def _damaged(output: CodedOutput, name: str, problem: str) -> None:
    raise OutputError(
        problems=[
            Problem(
                (output.folder / name).as_posix(),
                f"{problem}; the folder was damaged; {rerun_hint(output.folder)}",
            )
        ]
    )


def check_codebook(output: CodedOutput, directory: Path | None = None) -> None:
    """Check that *output* was coded with the codebook ``qca.yaml`` names, as it is now.

    Does nothing when there is no ``qca.yaml``, it names no codebook, or the
    codebook file is gone (``qca code`` reports that).

    Raises:
        OutputError: When the codebook differs (another file, or the file changed).
    """
    check_manifest_codebook(output.folder, output.manifest, directory)
