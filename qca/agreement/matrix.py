"""Read a reliability-data matrix: one row per unit, one column per coder (``--matrix``)."""

from __future__ import annotations

from pathlib import Path

from qca.agreement.coding import Coding, assignments_frame
from qca.agreement.ids import MISSING_MARKS, id_like_column
from qca.agreement.readers import AgreementError, ReadOptions
from qca.errors import Problem
from qca.models import ID_COLUMN_NAMES


def _error(path: str, message: str) -> AgreementError:
    return AgreementError(problems=[Problem(path, message)])


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def read_matrix(path: str | Path, *, options: ReadOptions | None = None) -> list[Coding]:
    """Read a reliability-data matrix: one row per unit, one column per coder.

    Each cell is the category the coder gave the unit; blank (or ``NA``, ``.``) means
    the coder did not code it. The first row is a header of coder names unless every
    cell in it is a number (ReCal files have no header). With ``id_column`` the unit
    ids come from that column; a first column named ``unit``, ``id``, ``unit_id``,
    ``segment_id``, ``item`` or ``case`` is the id column too; otherwise units are
    numbered by row from 1. A coder column whose values all differ over 10 or more
    rows is refused as "looks like ids" (issue #17) unless ``no_id_column``.

    Raises:
        AgreementError: When the file is unreadable, has fewer than two coders, or a
            column looks like unit ids.
    """
    import csv

    options = options or ReadOptions()
    path = Path(path)
    shown = path.as_posix()
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(4096)
            handle.seek(0)
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
            rows = [[c.strip() for c in row] for row in csv.reader(handle, dialect) if any(row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _error(shown, "cannot read this matrix; save it as a UTF-8 CSV") from exc
    if not rows:
        raise _error(shown, "the matrix is empty; one row per unit, one column per coder")
    header: list[str]
    missing_marks = MISSING_MARKS
    if all(_is_number(c) or c.lower() in missing_marks for c in rows[0]):
        header = [f"coder{i + 1}" for i in range(len(rows[0]))]
    else:
        header, rows = rows[0], rows[1:]
    id_index: int | None = None
    if options.id_column is not None:
        if options.id_column not in header:
            raise _error(shown, f"no column {options.id_column!r} for --id-column")
        id_index = header.index(options.id_column)
    elif not options.no_id_column and header and header[0].strip().lower() in ID_COLUMN_NAMES:
        # Issue #17: `unit,Rater1,...` read the ids as one more coder.
        id_index = 0
    coder_columns = [i for i in range(len(header)) if i != id_index]
    if len(coder_columns) < 2:
        raise _error(shown, "a reliability matrix needs two or more coder columns (one per coder)")
    if id_index is None and not options.no_id_column:
        found = id_like_column(
            [
                (header[i] or f"coder{i + 1}", [r[i] if i < len(r) else "" for r in rows])
                for i in coder_columns
            ],
        )
        if found:
            raise _error(shown, found)
    units = [
        row[id_index] if id_index is not None and id_index < len(row) else str(n + 1)
        for n, row in enumerate(rows)
    ]
    values = sorted(
        {
            row[i]
            for row in rows
            for i in coder_columns
            if i < len(row) and row[i].lower() not in missing_marks
        },
        key=lambda v: (not _is_number(v), float(v) if _is_number(v) else 0.0, v),
    )
    codings = []
    for i in coder_columns:
        seen = [
            (units[n], row[i])
            for n, row in enumerate(rows)
            if i < len(row) and row[i].lower() not in missing_marks
        ]
        codings.append(
            Coding(
                name=header[i] or f"coder{i + 1}",
                path=shown,
                units=tuple(sorted({u for u, _ in seen})),
                assignments=assignments_frame(seen),
                codes=tuple(values),
                single_label=True,
            )
        )
    return codings
