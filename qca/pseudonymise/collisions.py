"""Check that no pseudonym is a codebook term (``--codebook``), so coding the copies counts the same.

The pseudonyms are coded like transcript text, with the codebook's own rules (terms,
patterns, regexes, lemmas): any hit means that a copy would gain a coding the
original does not have. ``[COLLEAGUE 2]`` (a role from ``--names``) meets a code whose
terms include *colleague*.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from qca.errors import Problem


def pseudonym_collisions(pseudonyms: Iterable[str], codebook: Path) -> list[Problem]:
    """Return one problem per pseudonym that the codebook's rules would code.

    Raises:
        CodebookError: When the codebook is invalid (as ``qca codebook check``).

    Examples:
        >>> pseudonym_collisions(["P07", "[PERSON 3]"], Path("codebooks/esther.yaml"))
        []
    """
    import pandas as pd

    from qca.codebook import read_codebook
    from qca.engine.hits import code_segments
    from qca.models import CODE, SEGMENT_COLUMNS, SEGMENT_ID

    shown = sorted(set(pseudonyms))
    if not shown:
        return []
    rows = []
    offset = 0
    for index, pseudonym in enumerate(shown):
        end = offset + len(pseudonym)
        rows.append(
            (
                "pseudonyms",
                f"pseudonyms:t{index:04d}",
                "turn",
                None,
                False,
                offset,
                end,
                1,
                pseudonym,
            )
        )
        offset = end + 1
    segments = pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))
    hits = code_segments(segments, read_codebook(codebook))
    problems = []
    for segment_id, code in sorted(set(zip(hits[SEGMENT_ID], hits[CODE], strict=True))):
        pseudonym = shown[int(str(segment_id).rsplit("t", 1)[1])]
        problems.append(
            Problem(
                codebook.as_posix(),
                f"pseudonym {pseudonym!r} would be coded {code}; give its role another word "
                "in --names (or none)",
                where="--codebook",
            )
        )
    return problems
