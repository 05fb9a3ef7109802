"""Bootstrap intervals of agreement coefficients, and what to say when resamples are undefined.

A resample can leave a coefficient undefined (a rare code absent from every drawn
unit gives alpha 0/0). Dropping those draws in silence biases the interval towards
the resamples where the code happened to occur (issue #17: 122 of 1,000 dropped on a
rare code, reported as [0, 1]). So each interval carries the count of undefined
draws (``*_undefined``) and is left blank when more than
:data:`MAX_UNDEFINED_SHARE` of the draws were undefined.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from qca.errors import Problem
from qca.models import (
    CI_HIGH_SUFFIX,
    CI_LOW_SUFFIX,
    CI_UNDEFINED_SUFFIX,
    CODE,
    CODER,
    KRIPPENDORFF_ALPHA,
)

if TYPE_CHECKING:
    import pandas as pd

NAN = float("nan")
#: Largest share of undefined resamples for which an interval is still reported.
MAX_UNDEFINED_SHARE = 0.05


def add_intervals(
    point: dict[str, dict[str, float]],
    replicates: list[dict[str, dict[str, float]]],
    measures: Sequence[str],
) -> None:
    """Add 95% percentile intervals and undefined counts of *measures* to each row of *point*.

    Examples:
        >>> point = {"x": {"m": 0.5}}
        >>> add_intervals(point, [{"x": {"m": v}} for v in [0.4, 0.6, NAN]], ["m"])
        >>> point["x"]["m_undefined"], point["x"]["m_low"] != point["x"]["m_low"]
        (1.0, True)
    """
    for key, row in point.items():
        for m in measures:
            draws = np.array([r[key][m] for r in replicates], dtype=np.float64)
            undefined = int(np.isnan(draws).sum())
            draws = draws[~np.isnan(draws)]
            blank = draws.size == 0 or undefined > MAX_UNDEFINED_SHARE * len(replicates)
            low, high = (NAN, NAN) if blank else np.percentile(draws, [2.5, 97.5])
            row[m + CI_LOW_SUFFIX] = float(low)
            row[m + CI_HIGH_SUFFIX] = float(high)
            row[m + CI_UNDEFINED_SUFFIX] = float(undefined)


def interval_columns(base: Sequence[str], measures: Sequence[str], bootstrap: int) -> list[str]:
    """Return *base* with ``_low``, ``_high`` and ``_undefined`` after each measure when *bootstrap*."""
    columns: list[str] = []
    for column in base:
        columns.append(column)
        if bootstrap and column in measures:
            columns += [column + s for s in (CI_LOW_SUFFIX, CI_HIGH_SUFFIX, CI_UNDEFINED_SUFFIX)]
    return columns


def bootstrap_warnings(table: pd.DataFrame, bootstrap: int) -> list[Problem]:
    """Return one warning per row whose alpha was undefined in some resamples.

    Examples:
        >>> import pandas as pd
        >>> table = pd.DataFrame({"code": ["rare"], "krippendorff_alpha_undefined": [122]})
        >>> print(bootstrap_warnings(table, 1000)[0])
        code rare: krippendorff_alpha undefined in 122 of 1000 bootstrap resamples; interval left blank (more than 5%); code more units or drop --bootstrap for this code
    """
    column = KRIPPENDORFF_ALPHA + CI_UNDEFINED_SUFFIX
    if not bootstrap or column not in table.columns:
        return []
    problems = []
    for row in table.to_dict("records"):
        undefined = row[column]
        if undefined != undefined or not undefined:
            continue
        where = f"code {row[CODE]}"
        if CODER in row:
            where = f"{row[CODER]}: {where}"
        if undefined > MAX_UNDEFINED_SHARE * bootstrap:
            tail = (
                "interval left blank (more than 5%); code more units or drop --bootstrap "
                "for this code"
            )
        else:
            tail = "interval from the others"
        message = (
            f"{KRIPPENDORFF_ALPHA} undefined in {int(undefined)} of {bootstrap} bootstrap "
            f"resamples; {tail}"
        )
        problems.append(Problem("", message, where=where, severity="warning"))
    return problems
