"""Corpus-wide precision, recall and prevalence from a hand-coded sample (``qca agree --estimate``).

The population is every codable segment of the output folder; ``x`` is the automatic
coding (1 when the segment has the code), ``y`` the hand coding of the sampled
segments. The strata are those of :mod:`qca.diagnostics.sampling`, recomputed from the
folder: stratum ``h`` has ``N_h`` segments, ``n_h`` of them hand-coded (a sample drawn
without strata is post-stratified the same way). With ``f_h = n_h / N_h`` and ``s2_h(v)``
the sample variance of ``v`` in stratum ``h``:

* prevalence ``p = sum_h (N_h / N) * mean_h(y)``, with variance
  ``sum_h (N_h / N)^2 * (1 - f_h) * s2_h(y) / n_h`` (stratified mean; Cochran 1977, 5.3);
* precision ``P = T(x*y) / T(x)`` and recall ``R = T(x*y) / T(y)``, where
  ``T(v) = sum_h N_h * mean_h(v)`` estimates a population total: combined ratio
  estimators, whose variance is that of the total of the linearised values
  ``d = (x*y - R*w) / T(w)`` (``w`` = ``x`` or ``y``; Cochran 1977, 6.11).

Each 95% interval is Wilson's score interval at the effective sample size
``n_eff = R * (1 - R) / variance`` (Korn & Graubard 1998); for an estimate of 0 or 1
(or a variance of 0), ``n_eff`` is the number of sampled units in the ratio's
denominator (all sampled units for prevalence). The variances count one more ``y = 1`` and
one more ``y = 0`` in each stratum (and value of ``x``), as Agresti & Caffo (2000) do
for a difference of proportions (see :func:`_stratum_totals`), so that a stratum with no
sampled positive does not make a rare code's interval a point. The point estimates
are not adjusted. ``tests/test_diagnostics_sampling.py``
checks the coverage of these intervals on 200 simulated corpora.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

from qca.diagnostics.gold import DiagnosticsError
from qca.diagnostics.sampling import assign_strata
from qca.errors import Problem
from qca.models import CODE, UNIT_ID
from qca.models_diagnostics import ESTIMATE_COLUMNS, ESTIMATE_MEASURES

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from qca.agreement import Coding


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its 95% interval (NaN when it cannot be estimated)."""

    value: float
    low: float
    high: float


def wilson(p: float, n: float, *, level: float = 0.95) -> tuple[float, float]:
    """Return Wilson's score interval for a proportion *p* from *n* (effective) units.

    Examples:
        >>> [round(v, 4) for v in wilson(0.5, 100)]
        [0.4038, 0.5962]
    """
    if n <= 0 or p != p:
        return math.nan, math.nan
    z = NormalDist().inv_cdf(0.5 + level / 2)
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _stratum_totals(
    strata: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    value: tuple[float, float, float, float],
) -> tuple[float, float]:
    """Return the estimated population total of ``v(x, y)`` and the variance of that total.

    *value* is ``v`` at ``(x, y)`` = (0, 0), (0, 1), (1, 0), (1, 1). The total uses the
    sample means. The variance uses, within each stratum and value of ``x``, the share of
    ``y = 1`` with one success and one failure added (``(k + 1) / (m + 2)``): a stratum
    where no sampled unit has ``y = 1`` still has a rare ``y = 1`` in its variance, which
    keeps the interval of a rare code from collapsing to a point.
    """
    import numpy as np

    k = len(sizes)
    v = np.asarray(value, dtype=np.float64)[(2 * x + y).astype(np.int64)]
    n = np.bincount(strata, minlength=k).astype(np.float64)
    total = float((sizes * np.bincount(strata, weights=v, minlength=k) / n).sum())
    mean = np.zeros(k)
    second = np.zeros(k)
    for x_value in (0, 1):
        here = x == x_value
        m = np.bincount(strata[here], minlength=k).astype(np.float64)
        ones = np.bincount(strata[here], weights=y[here], minlength=k)
        share = (ones + 1) / (m + 2)
        low, high = value[2 * x_value], value[2 * x_value + 1]
        mean += m / n * (share * high + (1 - share) * low)
        second += m / n * (share * high * high + (1 - share) * low * low)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(n > 1, (second - mean * mean) * n / (n - 1), 0.0)
        variance = sizes * sizes * (1 - n / sizes) * np.maximum(s2, 0.0) / n
    return total, float(variance.sum())


def estimate_proportions(
    strata: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
) -> dict[str, Estimate]:
    """Estimate prevalence, precision and recall from a stratified sample (see module doc).

    Args:
        strata: The stratum (0..k-1) of each sampled unit; every stratum has one.
        sizes: ``N_h`` of each stratum.
        x: The automatic coding (0/1) of each sampled unit.
        y: The hand coding (0/1) of each sampled unit.
    """
    found: dict[str, Estimate] = {}
    population = float(sizes.sum())
    t_y, v_y = _stratum_totals(strata, sizes, x, y, (0, 1, 0, 1))
    found[ESTIMATE_MEASURES[0]] = _interval(t_y / population, v_y / population**2, len(y))
    t_xy = _stratum_totals(strata, sizes, x, y, (0, 0, 0, 1))[0]
    for name, w in ((ESTIMATE_MEASURES[1], (0, 0, 1, 1)), (ESTIMATE_MEASURES[2], (0, 1, 0, 1))):
        t_w = _stratum_totals(strata, sizes, x, y, w)[0]
        if t_w == 0:
            found[name] = Estimate(math.nan, math.nan, math.nan)
            continue
        ratio = t_xy / t_w
        # the linearised value d = (x*y - ratio * w) / t_w at each (x, y)
        d = tuple((xy - ratio * wv) / t_w for xy, wv in zip((0, 0, 0, 1), w, strict=True))
        variance = _stratum_totals(strata, sizes, x, y, d)[1]  # type: ignore[arg-type]
        sampled = int(sum(w[int(2 * a + b)] for a, b in zip(x, y, strict=True)))
        found[name] = _interval(ratio, variance, sampled)
    return found


def _interval(p: float, variance: float, n_sampled: int) -> Estimate:
    n_eff = p * (1 - p) / variance if variance > 0 and 0 < p < 1 else float(n_sampled)
    low, high = wilson(p, n_eff)
    return Estimate(p, low, high)


def estimate_from_codings(population: Coding, sample: Coding) -> tuple[pd.DataFrame, list[Problem]]:
    """Estimate each code's corpus-wide prevalence, precision and recall (``ESTIMATE_COLUMNS``).

    *population* is the automatic coding of every unit (a qca output folder);
    *sample* the hand coding of a sample of its units (``qca sample``). Sample codes
    named by a code's label count as that code. Strata no sampled unit falls in are
    left out of the estimates, with a warning.

    Raises:
        DiagnosticsError: When no sampled unit is a unit of *population*.
    """
    import numpy as np
    import pandas as pd

    units = list(population.units)
    pairs = list(zip(population.assignments[UNIT_ID], population.assignments[CODE], strict=True))
    codes = list(population.codes)
    strata = assign_strata(units, pairs, codes)
    stratum_of = dict(zip(units, strata, strict=True))
    sampled = [u for u in sample.units if u in stratum_of]
    problems: list[Problem] = []
    outside = len(sample.units) - len(sampled)
    if not sampled:
        raise DiagnosticsError(
            f"{sample.path}: no unit id is a segment of {population.path}; "
            "hand-code the file qca sample wrote for this folder"
        )
    if outside:
        problems.append(
            Problem(
                sample.path,
                f"{outside} unit{'s' * (outside != 1)} not in {population.path}; left out",
                severity="warning",
            )
        )
    names = sorted(set(strata))
    index = {name: i for i, name in enumerate(names)}
    all_sizes = np.bincount([index[s] for s in strata], minlength=len(names)).astype(np.float64)
    seen = sorted({index[stratum_of[u]] for u in sampled})
    for i in sorted(set(range(len(names))) - set(seen)):
        problems.append(
            Problem(
                sample.path,
                f"no sampled unit in stratum {names[i]!r} ({_units(int(all_sizes[i]))}); "
                "they are left out of the estimates; draw a larger sample "
                f"(qca sample -n {len(names)} or more gives each stratum a unit)",
                severity="warning",
            )
        )
    remap = {old: new for new, old in enumerate(seen)}
    sizes = all_sizes[seen]
    strata_of_sampled = np.asarray([remap[index[stratum_of[u]]] for u in sampled], dtype=np.int64)
    auto = _positives(pairs)
    by_label = {label: code for code, label in population.labels.items() if label}
    human = _positives(
        (u, c if c in codes else by_label.get(c, c))
        for u, c in zip(sample.assignments[UNIT_ID], sample.assignments[CODE], strict=True)
    )
    rows = []
    for code in codes:
        x = np.asarray([u in auto.get(code, ()) for u in sampled], dtype=np.float64)
        y = np.asarray([u in human.get(code, ()) for u in sampled], dtype=np.float64)
        found = estimate_proportions(strata_of_sampled, sizes, x, y)
        row: list[object] = [code, int(sizes.sum()), len(sampled), len(auto.get(code, ()))]
        for measure in ESTIMATE_MEASURES:
            row += [found[measure].value, found[measure].low, found[measure].high]
        rows.append(row)
    return pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS)), problems


def _units(count: int) -> str:
    return f"{count} unit{'s' * (count != 1)}"


def _positives(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for unit, code in pairs:
        found.setdefault(str(code), set()).add(str(unit))
    return found


def estimate_from_sample(
    codings: Sequence[Coding], *, gold: str | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Pick the folder and the hand-coded sample among *codings*, then estimate.

    The sample is the coding named *gold*, else the second; the other is the folder.

    Raises:
        DiagnosticsError: Unless there are exactly two codings (and *gold* names one).
    """
    if len(codings) != 2:
        raise DiagnosticsError(
            f"--estimate takes two codings, the output folder and the hand-coded sample; "
            f"got {len(codings)}"
        )
    names = [c.name for c in codings]
    if gold is not None and gold not in names:
        raise DiagnosticsError(
            f"--gold {gold!r} names no coding; the codings are: {', '.join(names)}"
        )
    first, second = codings
    population, sample = (second, first) if gold == first.name else (first, second)
    return estimate_from_codings(population, sample)
