"""The CSVs of an edited re-run, byte for byte as the full run's ``to_csv`` writes them.

:func:`qca.outputs_arrow.rewrite_hits` replaces the hits of the edited codes; here the
kept rows' lines of the old ``hits.csv`` and ``codings.csv`` are taken as they are and
only the new rows are formatted, by ``csv.writer`` with pandas' settings (``,``, minimal
quoting, ``\\n``, booleans as ``True``/``False``). Neither pandas nor spaCy is imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


def rewrite_csv(
    outdir: Path, temp: Path, name: str, names: Sequence[str], parts: tuple[Any, ...]
) -> None:
    """Write CSV *name* into *temp*: the kept rows' lines of *outdir*'s as they are, the
    new rows formatted. *parts*: the old file's rows, the numbers of the kept ones, the
    new rows, the order of the kept then new rows in the file (row numbers, numpy), and the
    table written."""
    rows, kept, added, order, table = parts
    lines = _csv_lines(outdir / name, rows, names)
    if lines is None:  # a field holds a line break: format every row
        _write_csv(temp / name, names, [table.column(n).to_pylist() for n in names])
    else:
        _write_lines(temp / name, lines, kept, _csv_rows(added, names), order)


def _write_lines(path: Path, lines: list[bytes], kept: Any, new: list[bytes], order: Any) -> None:
    """Write the header (last of *lines*), then row ``order[n]`` of the kept lines
    (``lines[kept[m]]``) followed by the *new* lines."""
    import numpy as np

    pool = np.empty(len(kept) + len(new), dtype=object)
    pool[: len(kept)] = np.asarray(lines[:-1], dtype=object)[kept] if len(kept) else []
    pool[len(kept) :] = new
    picked = pool[order].tolist()
    path.write_bytes(b"".join([lines[-1], *picked]))


def _csv_lines(path: Path, rows: int, names: Sequence[str]) -> list[bytes] | None:
    """Return the lines of the CSV at *path* (header last), or None unless one per row."""
    lines = path.read_bytes().split(b"\n")
    header = ",".join(names).encode("utf-8")
    if len(lines) != rows + 2 or lines[-1] != b"" or lines[0] != header:
        return None
    return [line + b"\n" for line in lines[1:-1]] + [header + b"\n"]


def _csv_rows(table: pa.Table, names: Sequence[str]) -> list[bytes]:
    """Return each row of *table* as the line ``DataFrame.to_csv`` writes for it."""
    import csv
    import io

    out = []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    for row in zip(*(table.column(n).to_pylist() for n in names), strict=True):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        out.append(buffer.getvalue().encode("utf-8"))
    return out


def _write_csv(path: Path, names: Iterable[str], columns: list[list[Any]]) -> None:
    """Write *columns* as ``DataFrame.to_csv(index=False, lineterminator="\\n")`` would."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(list(names))
        writer.writerows(zip(*columns, strict=True))
