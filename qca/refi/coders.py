"""One coder of a REFI-QDA project or imported folder, for ``qca agree``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qca.errors import Problem
from qca.models import (
    CODE,
    CODER,
    DOC_ID,
    SEGMENT_ID,
    TEXT,
)
from qca.refi.model import RefiError, fail
from qca.refi.read import read_qdpx

if TYPE_CHECKING:
    from qca.agreement.coding import Coding


# --- one coder, for qca agree -------------------------------------------------------------------


def _pick_coder(available: list[str], wanted: str, shown: str) -> str:
    if wanted in available:
        return wanted
    folded = [c for c in available if c.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    if not wanted and len(available) == 1:
        return available[0]
    listing = ", ".join(available) or "none"
    if not wanted:
        message = f"this project has {len(available)} coders ({listing}); pick one: {shown}#CODER"
    else:
        message = f"no coder {wanted!r}; the coders are: {listing}"
    raise RefiError(problems=[Problem(shown, message)])


def read_refi_coding(argument: str | Path, *, name: str = "") -> Coding:
    """Read one coder of a REFI-QDA project or of an imported output folder, for ``qca agree``.

    *argument* is ``PATH#CODER`` (``PATH`` alone when there is one coder). Units are
    every segment of the project, so a segment the coder did not code counts as
    "not coded" by that coder.

    Raises:
        RefiError: When the file cannot be read or the coder is unknown.
    """
    from qca.agreement.coding import Coding, assignments_frame

    raw = str(argument)
    base, sep, wanted = raw.rpartition("#")
    if not sep or not Path(base).exists():
        base, wanted = raw, ""
    path = Path(base)
    if path.is_dir():
        from qca.outputs import read_output

        output = read_output(path, check_project=False)
        segments, codings = output.segments, output.codings
        if codings is None or CODER not in codings.columns:
            raise fail(
                path.as_posix(), "this output folder has no coder column; name it without #CODER"
            )
        labels = {str(c[CODE]): str(c.get("label") or "") for c in output.codes}
        codes = tuple(output.code_ids)
    else:
        project = read_qdpx(path)
        segments, codings = project.segments, project.codings
        labels = {c.id: c.label for c in project.codebook.codes() if c.label}
        codes = tuple(c.id for c in project.codebook.codes())
    available = sorted({str(c) for c in codings[CODER]})
    coder = _pick_coder(available, wanted, path.as_posix())
    mine = codings[codings[CODER].astype(str) == coder]
    units = segments[SEGMENT_ID].astype(str)
    pairs = list(zip(mine[SEGMENT_ID].astype(str), mine[CODE].astype(str), strict=True))
    return Coding(
        name=name if name and name != raw else coder,
        path=path.as_posix(),
        units=tuple(sorted(set(units))),
        assignments=assignments_frame(pairs),
        codes=codes or tuple(sorted({c for _, c in pairs})),
        labels={k: v for k, v in labels.items() if v},
        texts=dict(zip(units, segments[TEXT].astype(str), strict=True)),
        documents=dict(zip(units, segments[DOC_ID].astype(str), strict=True)),
    )
