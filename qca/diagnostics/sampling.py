"""A blind stratified sample of coded segments to hand-code (``qca sample``).

Strata (``stratify="code"``): each codable segment belongs to the stratum of its rarest
automatic code (fewest segments in the folder; ties in codebook order), or to
``(uncoded)``. The sample is split over the strata in proportion to the square root of
their sizes (see :func:`allocate`), so a rare code gets more segments to check than its
share, and the uncoded stratum, where the misses are, still gets the most. ``stratify="none"`` draws a simple random sample. The same folder, ``n`` and
seed give the same sample. :mod:`qca.diagnostics.estimate` recomputes the strata from
the folder, so the sample file carries no hint of the codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from qca.diagnostics.gold import DiagnosticsError, Units
from qca.models import CODE, SEGMENT_ID, TEXT
from qca.models_diagnostics import SAMPLE_COLUMNS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

UNCODED_STRATUM = "(uncoded)"
STRATIFY: tuple[str, ...] = ("code", "none")


def assign_strata(
    units: Sequence[str], pairs: Iterable[tuple[str, str]], codes: Sequence[str]
) -> list[str]:
    """Return the stratum of each of *units*: its rarest code of *pairs*, else ``(uncoded)``.

    Examples:
        >>> assign_strata(["a", "b", "c"], [("a", "x"), ("a", "y"), ("b", "x")], ["x", "y"])
        ['y', 'x', '(uncoded)']
    """
    by_unit: dict[str, list[str]] = {}
    size: dict[str, int] = {}
    for unit, code in pairs:
        by_unit.setdefault(unit, []).append(code)
        size[code] = size.get(code, 0) + 1
    order = {code: n for n, code in enumerate(codes)}
    strata = []
    for unit in units:
        found = by_unit.get(unit)
        if not found:
            strata.append(UNCODED_STRATUM)
            continue
        strata.append(min(found, key=lambda c: (size[c], order.get(c, len(order)), c)))
    return strata


def allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Split *n* over strata in proportion to the square root of their *sizes*.

    Square-root allocation (Kish 1976) sits between equal allocation (good for a rare
    code's precision) and proportional allocation (good for the misses in the large
    uncoded stratum, hence for recall). When *n* allows, every stratum first gets one
    unit. A stratum gives at most all its units; the rest goes to the others; rounding
    goes by largest remainder, then name.

    Examples:
        >>> allocate({"a": 4, "b": 100, "c": 400}, 30)
        {'a': 3, 'b': 9, 'c': 18}
    """
    import math

    taken = dict.fromkeys(sizes, 0)
    left = min(n, sum(sizes.values()))
    filled = [s for s in sizes if sizes[s] > 0]
    if left >= len(filled):  # every stratum first gets one unit, so none is left unestimated
        for s in filled:
            taken[s] = 1
        left -= len(filled)
    while left > 0:
        room = {s: sizes[s] - taken[s] for s in sizes if sizes[s] > taken[s]}
        weights = {s: math.sqrt(sizes[s]) for s in room}
        total = sum(weights.values())
        exact = {s: left * weights[s] / total for s in room}
        give = {s: min(room[s], math.floor(exact[s])) for s in room}
        spare = left - sum(give.values())
        for s in sorted(room, key=lambda s: (give[s] - exact[s], s)):
            if spare <= 0:
                break
            if give[s] < room[s]:
                give[s] += 1
                spare -= 1
        for s, g in give.items():
            taken[s] += g
        left -= sum(give.values())
    return taken


def draw_indices(
    strata: Sequence[str], n: int, *, seed: int, stratify: str = "code"
) -> npt.NDArray[np.int64]:
    """Return the positions of a sample of *n* units, in random order (see module doc)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if stratify == "none":
        chosen = rng.choice(len(strata), size=min(n, len(strata)), replace=False)
        return np.asarray(chosen, dtype=np.int64)
    labels = np.asarray(strata, dtype=object)
    sizes = {str(s): int((labels == s).sum()) for s in sorted(set(strata))}
    parts = []
    for stratum, take in allocate(sizes, n).items():
        where = np.flatnonzero(labels == stratum)
        parts.append(rng.choice(where, size=take, replace=False))
    chosen = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return np.asarray(rng.permutation(chosen), dtype=np.int64)


def draw_sample(units: Units, n: int, *, seed: int, stratify: str = "code") -> pd.DataFrame:
    """Return a blind sample of *units*' segments: ``SAMPLE_COLUMNS``, then a blank column per code.

    Raises:
        DiagnosticsError: When *stratify* is unknown or the folder has no codable segment.
    """
    import pandas as pd

    if stratify not in STRATIFY:
        raise DiagnosticsError(f"unknown --stratify {stratify!r}; use one of: code, none")
    segments = units.segments
    if segments.empty:
        raise DiagnosticsError(
            f"no codable segments in {units.output.folder.as_posix()}; nothing to sample"
        )
    ids = segments[SEGMENT_ID].astype(str).tolist()
    pairs = zip(units.codings[SEGMENT_ID], units.codings[CODE], strict=True)
    strata = assign_strata(ids, pairs, units.codes)
    rows = segments.iloc[draw_indices(strata, n, seed=seed, stratify=stratify)]
    sample = pd.DataFrame(
        {
            SAMPLE_COLUMNS[0]: rows[SEGMENT_ID].astype(str).to_numpy(),
            SAMPLE_COLUMNS[1]: rows[TEXT].astype(str).to_numpy(),
        }
    )
    for code in units.codes:
        sample[code] = ""
    return sample
