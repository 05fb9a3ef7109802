"""Write a DataFrame as csv, tsv, json, jsonl, markdown, latex or xlsx.

Output is deterministic: the same frame gives the same bytes. Files are
written atomically (see :func:`qca.io.atomic_write_bytes`).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Literal

import pandas as pd

from qca.errors import OutputError
from qca.io import atomic_write_bytes

TABLE_FORMATS: tuple[str, ...] = ("csv", "tsv", "json", "jsonl", "markdown", "latex", "xlsx")


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = [str(c) for c in frame.columns]
    return [
        {c: _json_value(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _markdown(frame: pd.DataFrame) -> str:
    def cell(value: Any) -> str:
        value = _json_value(value)
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows]) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _latex(frame: pd.DataFrame) -> str:
    def cell(value: Any) -> str:
        value = _json_value(value)
        text = "" if value is None else str(value)
        return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)

    spec = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in frame.columns)
    lines = [f"\\begin{{tabular}}{{{spec}}}", "\\hline"]
    lines.append(" & ".join(cell(c) for c in frame.columns) + " \\\\")
    lines.append("\\hline")
    for row in frame.itertuples(index=False):
        lines.append(" & ".join(cell(v) for v in row) + " \\\\")
    lines += ["\\hline", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def _xlsx(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()


def _has_carriage_return(frame: pd.DataFrame) -> bool:
    names = [str(c) for c in frame.columns]
    if any("\r" in n for n in names):
        return True
    for column in frame.columns:
        if frame[column].dtype.kind in "OSU" or isinstance(frame[column].dtype, pd.StringDtype):
            if frame[column].astype(str).str.contains("\r", regex=False).any():
                return True
    return False


def format_table(frame: pd.DataFrame, fmt: str) -> str:
    """Return *frame* as text in a text format (every format but ``xlsx``).

    Examples:
        >>> format_table(pd.DataFrame({"code": ["motivation"], "mentions": [3]}), "csv")
        'code,mentions\\nmotivation,3\\n'
    """
    if fmt in ("csv", "tsv"):
        # The csv module quotes a field holding "\n" but not a lone "\r", which readers
        # take for a line break: a table with one is written with every field quoted.
        quoting: Literal[0, 1] = 1 if _has_carriage_return(frame) else 0  # csv.QUOTE_ALL, _MINIMAL
        buffer = io.StringIO()
        sep = "," if fmt == "csv" else "\t"
        frame.to_csv(buffer, index=False, sep=sep, lineterminator="\n", quoting=quoting)
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(_records(frame), ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records(frame))
    if fmt == "markdown":
        return _markdown(frame)
    if fmt == "latex":
        return _latex(frame)
    raise OutputError(f"unknown table format {fmt!r}; use one of: {', '.join(TABLE_FORMATS)}")


def write_table(
    frame: pd.DataFrame,
    destination: str | Path | IO[str],
    fmt: str = "csv",
    *,
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
    sheet_name: str = "table",
) -> None:
    """Write *frame* to a file path (atomically) or an open text stream.

    Args:
        frame: The table.
        destination: A path, or a text stream such as ``sys.stdout``.
        fmt: One of :data:`TABLE_FORMATS`.
        extra_sheets: For ``xlsx`` only: further sheets after the first (e.g. the run manifest).
        sheet_name: For ``xlsx`` only: the name of the first sheet.

    Raises:
        OutputError: For an unknown format, or ``xlsx`` to a text stream.

    Examples:
        >>> import sys
        >>> write_table(pd.DataFrame({"theme": ["will"], "mentions": [2]}), sys.stdout, "tsv")
        theme	mentions
        will	2
    """
    if fmt == "xlsx":
        if not isinstance(destination, (str, Path)):
            raise OutputError("xlsx is a binary format; write it to a file with -o FILE.xlsx")
        sheets = {sheet_name: frame, **(extra_sheets or {})}
        atomic_write_bytes(Path(destination), _xlsx(sheets))
        return
    text = format_table(frame, fmt)
    if isinstance(destination, (str, Path)):
        atomic_write_bytes(Path(destination), text.encode("utf-8"))
    else:
        destination.write(text)
