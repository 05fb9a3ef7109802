"""The CSVs of an edited re-run, byte for byte as the full run's ``to_csv`` writes them.

:func:`qca.outputs_arrow.rewrite_hits` replaces the hits of the edited codes; here the
kept rows' lines of the old ``hits.csv`` and ``codings.csv`` are copied in runs
(:func:`qca.outputs_merge.write_merged_csv`) and only the new rows are formatted, by
``csv.writer`` with pandas' settings (``,``, minimal quoting, ``\\n``, booleans as
``True``/``False``). Neither pandas nor spaCy is imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.outputs_merge import write_merged_csv

if TYPE_CHECKING:
    import pyarrow as pa


def rewrite_csv(
    outdir: Path, temp: Path, name: str, names: Sequence[str], parts: tuple[Any, ...]
) -> None:
    """Write CSV *name* into *temp*: the kept rows' lines of *outdir*'s as they are, the
    new rows formatted. *parts*: the old file's rows, the new rows (a table or None),
    each written row's source (:func:`qca.outputs_merge.merge_rows`) and the table written."""
    rows, added, source, table = parts
    header = (",".join(names) + "\n").encode("utf-8")
    lines = _csv_rows(added, names) if added is not None else []
    if not write_merged_csv(outdir / name, temp / name, rows, header, source, lines):
        # a field holds a line break: format every row
        _write_csv(temp / name, names, [table.column(n).to_pylist() for n in names])


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
