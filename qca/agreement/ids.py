"""Tell unit ids from codings in a matrix or one-hot file (issue #17).

``qca agree --matrix`` on ``unit,Rater1,...`` read the ids as one more coder, so
Krippendorff's published example gave alpha 0.4485 instead of 0.7434, with exit 0.
A coder (or a one-hot code) repeats a few categories; unit ids never repeat.
"""

from __future__ import annotations

#: A column whose values are all distinct over this many rows or more looks like unit ids.
ID_LIKE_ROWS = 10
#: Cells that mean "not coded" in a reliability matrix.
MISSING_MARKS = frozenset({"", "na", "nan", ".", "*"})


def looks_like_ids(values: list[str]) -> bool:
    """Whether *values* (blanks left out) are all distinct over :data:`ID_LIKE_ROWS` or more rows.

    Examples:
        >>> looks_like_ids([str(n) for n in range(12)]), looks_like_ids(["1", "2"] * 6)
        (True, False)
    """
    seen = [v.strip() for v in values if v.strip().lower() not in MISSING_MARKS]
    return len(seen) >= ID_LIKE_ROWS and len(set(seen)) == len(seen)


def id_like_column(columns: list[tuple[str, list[str]]], *, onehot: bool = False) -> str | None:
    """Return the message for the first (name, values) column that looks like ids, else None.

    *onehot*: the columns are one-hot code columns (the file already has an id column).

    Examples:
        >>> id_like_column([("rater", ["1", "2"] * 6), ("row", [str(n) for n in range(12)])])
        "column 'row' looks like ids (all 12 values differ); use --id-column 'row' or --no-id-column"
    """
    for name, values in columns:
        if looks_like_ids(values) and onehot:
            return (
                f"column {name!r} looks like ids or text (all {len(values)} values differ), "
                f"not 0/1 codes; use --id-column {name!r} if it holds the unit ids, or choose "
                "the code columns with --code-columns"
            )
        if looks_like_ids(values):
            return (
                f"column {name!r} looks like ids (all {len(values)} values differ); "
                f"use --id-column {name!r} or --no-id-column"
            )
    return None
