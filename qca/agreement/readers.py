"""Read codings to compare: qca output folders, long and one-hot CSVs, reliability matrices.

A :class:`Coding` is one coder's decisions: which units the coder saw (coded or
not) and which codes the coder gave each unit. Readers are chosen by what the
path is (see :data:`READERS`): a folder is a qca output folder, a ``.csv`` is a
long (``unit_id,code``) or one-hot file; ``qca.agreement.matrix.read_matrix`` reads a
reliability-data matrix (one column per coder). A new format (e.g. one coder of a REFI-QDA
project) is a new entry in :data:`READERS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qca.agreement.coding import Coding, assignments_frame
from qca.agreement.ids import id_like_column
from qca.errors import Problem, QcaError
from qca.models import (
    CODE,
    DOC_ID,
    ID_COLUMN_NAMES,
    IS_INTERVIEWER,
    NEGATED,
    SEGMENT_ID,
    TEXT,
    UNIT_ID,
)

if TYPE_CHECKING:
    import pandas as pd

#: A folder path ending in this selects the automatic coding (rule hits before overrides).
AUTO_SUFFIX = "@auto"
#: Unit ids that are qca segment ids (``{doc_id}:{letter}{index}``) name their document.
_SEGMENT_ID = re.compile(r"^(?P<doc>.+):[tspd]\d+$")
#: One-hot problems reported per file before the rest are summarised.
_MAX_CELL_PROBLEMS = 10


class AgreementError(QcaError):
    """Codings cannot be read or compared."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read CSV codings (every field is a ``qca agree`` option).

    Attributes:
        id_column: The unit id column of one-hot and matrix files.
        code_columns: One-hot code columns (``FIRST..LAST`` names a range).
        mapping: A file mapping one-hot column names to codes (YAML or two-column CSV).
        text_column: The column holding each unit's text (for ``--disagreements``).
        no_id_column: The file has no id column: read every column as a coder or
            code, even one whose values look like ids (``--no-id-column``).
    """

    id_column: str | None = None
    no_id_column: bool = False
    code_columns: tuple[str, ...] = ()
    mapping: Path | None = None
    text_column: str | None = None


def document_of(unit_id: str) -> str:
    """Return the document id of a unit id (a segment id names its document).

    Examples:
        >>> document_of("fg-coaches:t0042"), document_of("R17")
        ('fg-coaches', 'R17')
    """
    found = _SEGMENT_ID.match(unit_id)
    return found.group("doc") if found else unit_id


def _error(path: str, message: str, *, line: int | None = None, where: str = "") -> AgreementError:
    return AgreementError(problems=[Problem(path, message, line=line, where=where)])


def split_name(argument: str) -> tuple[str, str]:
    """Split ``NAME=PATH`` into (name, path); a plain path names itself.

    Examples:
        >>> split_name("human=labels.csv"), split_name("qca-out/")
        (('human', 'labels.csv'), ('qca-out', 'qca-out/'))
    """
    name, sep, rest = argument.partition("=")
    if sep and name and "/" not in name and rest:
        return name, rest
    return argument.rstrip("/") or argument, argument


def read_output_coding(path: Path, *, name: str, auto: bool = False) -> Coding:
    """Read a qca output folder: its codable segments and codings (or rule hits when *auto*)."""
    from qca.outputs import read_output

    output = read_output(path, check_project=False)
    segments = output.segments
    if not output.include_interviewer and IS_INTERVIEWER in segments.columns:
        segments = segments[~segments[IS_INTERVIEWER].astype(bool)]
    units = segments[SEGMENT_ID].astype(str)
    if auto or output.codings is None:
        hits = output.hits
        if NEGATED in hits.columns:
            hits = hits[~hits[NEGATED].astype(bool)]
        source = hits
    else:
        source = output.codings
    known = set(units)
    pairs = [
        (str(s), str(c))
        for s, c in zip(source[SEGMENT_ID], source[CODE], strict=True)
        if str(s) in known
    ]
    labels = {str(c[CODE]): str(c.get("label") or "") for c in output.codes}
    codes = tuple(output.code_ids) or tuple(sorted({c for _, c in pairs}))
    return Coding(
        name=name,
        path=path.as_posix(),
        units=tuple(sorted(known)),
        assignments=assignments_frame(pairs),
        codes=codes,
        labels={k: v for k, v in labels.items() if v},
        texts=dict(zip(units, segments[TEXT].astype(str), strict=True)),
        documents=dict(zip(units, segments[DOC_ID].astype(str), strict=True)),
    )


def _read_csv(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise _error(
            path.as_posix(), f"cannot read this CSV ({type(exc).__name__}); save it as UTF-8 CSV"
        ) from exc


def _id_column(frame: pd.DataFrame, path: str, options: ReadOptions) -> str:
    if options.id_column is not None:
        if options.id_column not in frame.columns:
            raise _error(
                path,
                f"no column {options.id_column!r} for --id-column; "
                f"the columns are: {', '.join(map(str, frame.columns))}",
            )
        return options.id_column
    for candidate in (UNIT_ID, SEGMENT_ID):
        if candidate in frame.columns:
            return candidate
    first = str(frame.columns[0]) if len(frame.columns) else ""
    if first.strip().lower() in ID_COLUMN_NAMES:
        return first
    raise _error(
        path,
        f"no unit id column; name it {UNIT_ID} or pass --id-column COLUMN",
    )


def _texts(frame: pd.DataFrame, ids: pd.Series, options: ReadOptions) -> dict[str, str]:
    column = options.text_column or (TEXT if TEXT in frame.columns else None)
    if column is None or column not in frame.columns:
        return {}
    return dict(zip(ids, frame[column].astype(str), strict=True))


def _mapping(options: ReadOptions) -> dict[str, str]:
    path = options.mapping
    if path is None:
        return {}
    shown = path.as_posix()
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        from qca.yamlbounds import check_yaml

        try:
            text = path.read_text(encoding="utf-8")
            limit = check_yaml(text)
            if limit is not None:
                raise _error(shown, limit.message, line=limit.line)
            data = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise _error(shown, "cannot read this mapping; write it as YAML column: code") from exc
        if not isinstance(data, dict):
            raise _error(shown, "expected a mapping of one-hot column: code")
        return {str(k): str(v) for k, v in data.items()}
    frame = _read_csv(path)
    if frame.shape[1] < 2:
        raise _error(shown, "expected two columns (column,code): one-hot column, then code")
    return dict(zip(frame.iloc[:, 0].astype(str), frame.iloc[:, 1].astype(str), strict=True))


def _code_columns(
    frame: pd.DataFrame, path: str, id_column: str, options: ReadOptions
) -> list[str]:
    columns = [str(c) for c in frame.columns]
    if not options.code_columns:
        skip = {id_column, options.text_column, TEXT}
        return [c for c in columns if c not in skip]
    chosen: list[str] = []
    for item in options.code_columns:
        first, sep, last = item.partition("..")
        names = [first, last] if sep else [item]
        for name in names:
            if name not in columns:
                raise _error(
                    path,
                    f"no column {name!r} for --code-columns; check the spelling against the header",
                )
        if sep:
            i, j = columns.index(first), columns.index(last)
            chosen.extend(columns[min(i, j) : max(i, j) + 1])
        else:
            chosen.append(item)
    return list(dict.fromkeys(chosen))


def read_onehot(frame: pd.DataFrame, path: Path, *, name: str, options: ReadOptions) -> Coding:
    """Read a one-hot coding: one row per unit, one 0/1 column per code (blank = 0)."""
    shown = path.as_posix()
    id_column = _id_column(frame, shown, options)
    mapping = _mapping(options)
    if mapping:
        missing = [c for c in mapping if c not in frame.columns]
        if missing:
            raise _error(
                options.mapping.as_posix() if options.mapping else shown,
                f"column {missing[0]!r} is not in {shown}; fix the mapping or the header",
            )
        columns = list(mapping)
    else:
        columns = _code_columns(frame, shown, id_column, options)
        if not options.no_id_column:
            found = id_like_column([(c, list(frame[c].astype(str))) for c in columns], onehot=True)
            if found:
                raise _error(shown, found)
    ids = frame[id_column].astype(str)
    duplicated = ids[ids.duplicated()]
    if not duplicated.empty:
        row = int(duplicated.index[0]) + 2
        raise _error(
            shown,
            f"unit id {duplicated.iloc[0]!r} appears twice; ids in {id_column!r} must be unique",
            line=row,
        )
    problems: list[Problem] = []
    pairs: list[tuple[str, str]] = []
    for column in columns:
        cells = frame[column].astype(str).str.strip()
        ones = cells.isin(("1", "1.0"))
        bad = ~(ones | cells.isin(("0", "0.0", "")))
        for index in cells.index[bad]:
            problems.append(
                Problem(
                    shown,
                    f"cell {cells[index][:20]!r} is not 0 or 1; one-hot cells hold 1 (coded), "
                    "0 or blank; choose the code columns with --code-columns or --mapping",
                    line=int(index) + 2,
                    where=f"column {column!r}",
                )
            )
        code = mapping.get(column, column)
        pairs.extend((unit, code) for unit in ids[ones])
    if problems:
        extra = len(problems) - _MAX_CELL_PROBLEMS
        shown_problems = problems[:_MAX_CELL_PROBLEMS]
        if extra > 0:
            shown_problems.append(Problem(shown, f"and {extra} more cells that are not 0 or 1"))
        raise AgreementError(problems=shown_problems)
    return Coding(
        name=name,
        path=shown,
        units=tuple(sorted(set(ids))),
        assignments=assignments_frame(pairs),
        codes=tuple(dict.fromkeys(mapping.get(c, c) for c in columns)),
        texts=_texts(frame, ids, options),
    )


def read_long(frame: pd.DataFrame, path: Path, *, name: str, options: ReadOptions) -> Coding:
    """Read a long coding: ``unit_id,code`` rows; a blank code marks a unit seen but not coded."""
    shown = path.as_posix()
    if options.id_column not in (None, *frame.columns) and UNIT_ID in frame.columns:
        # --id-column names a one-hot file's ids; a long unit_id,code file (e.g. a model's
        # coding from qca suggest --segments beside a one-hot gold file) keeps its own (#22).
        options = replace(options, id_column=None)
    id_column = _id_column(frame, shown, options)
    ids = frame[id_column].astype(str).str.strip()
    codes = frame[CODE].astype(str).str.strip()
    blank = ids == ""
    if blank.any():
        raise _error(
            shown,
            "empty unit id; every row needs one",
            line=int(blank.to_numpy().argmax()) + 2,
            where=UNIT_ID,
        )
    pairs = [(u, c) for u, c in zip(ids, codes, strict=True) if c]
    texts = _texts(frame, ids, options)
    return Coding(
        name=name,
        path=shown,
        units=tuple(sorted(set(ids))),
        assignments=assignments_frame(pairs),
        codes=tuple(sorted({c for _, c in pairs})),
        texts=texts,
    )


def read_csv_coding(path: Path, *, name: str, options: ReadOptions) -> Coding:
    """Read a long or one-hot CSV coding (long when it has a ``code`` column).

    ``options`` (id, code and text columns, mapping) apply to one-hot files; a long
    file takes only ``id_column`` and ``text_column``.
    """
    frame = _read_csv(path)
    if CODE in frame.columns:
        return read_long(frame, path, name=name, options=options)
    return read_onehot(frame, path, name=name, options=options)


def _read_refi(path: Path | str, *, name: str, options: ReadOptions | None = None) -> Coding:
    """Read one coder of a REFI-QDA project or imported folder (``PATH#CODER``; issue #8)."""
    from qca.refi import read_refi_coding

    return read_refi_coding(path, name=name)


#: Readers by file suffix; a folder is always a qca output folder.
READERS: dict[str, Callable[..., Coding]] = {
    ".csv": read_csv_coding,
    ".qdpx": _read_refi,
    ".qde": _read_refi,
}


def read_coding(argument: str | Path, *, options: ReadOptions | None = None) -> Coding:
    """Read one coding from ``[NAME=]PATH``: a qca output folder (``PATH@auto`` for the
    rule hits before overrides), a long or one-hot CSV.

    Raises:
        AgreementError: When the path is missing, of an unknown kind, or malformed.

    Examples:
        >>> coding = read_coding("human=labels.csv")  # doctest: +SKIP
        >>> coding.assignments.head()  # doctest: +SKIP
    """
    options = options or ReadOptions()
    name, raw = split_name(str(argument))
    auto = raw.rstrip("/").endswith(AUTO_SUFFIX)
    if auto:
        raw = raw.rstrip("/")[: -len(AUTO_SUFFIX)]
    path = Path(raw)
    base, sep, _coder = raw.rpartition("#")
    if sep and not path.exists() and Path(base).exists():
        # PATH#CODER: one coder of a REFI-QDA project or of an imported folder.
        return _read_refi(raw, name=name)
    if path.is_dir():
        return read_output_coding(path, name=name, auto=auto)
    if not path.exists():
        raise _error(raw, "no such file or folder; check the path")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise _error(
            raw,
            "cannot read a coding from this kind of file; pass a qca output folder, "
            "a unit_id,code CSV, a one-hot CSV, or --matrix FILE",
        )
    return reader(path, name=name, options=options)
