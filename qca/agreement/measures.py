"""Agreement coefficients on nominal reliability data, with missing values.

Every function takes **value counts**: an array of shape (units, categories) whose
cell ``[u, k]`` is the number of coders who put unit ``u`` in category ``k``
(Krippendorff's and Gwet's "distribution of raters by subject and category").
A coder who did not code a unit simply adds nothing to its row, so missing data
need no special value. Cohen's kappa, which needs to know *which* coder said
what, takes two label vectors instead.

Formulas follow Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed., ch. 2-5
(the generalisations to missing ratings used by the R package irrCAC):

- percent agreement ``pa``: mean over units rated by two or more coders of
  ``sum_k r_uk (r_uk - 1) / (r_u (r_u - 1))``;
- ``pi_k``: mean over units rated by at least one coder of ``r_uk / r_u``;
- Fleiss' kappa: ``(pa - pe) / (1 - pe)`` with ``pe = sum_k pi_k^2``;
- Gwet's AC1: the same with ``pe = sum_k pi_k (1 - pi_k) / (q - 1)``;
- Krippendorff's alpha (nominal): computed by the ``krippendorff`` package.

A coefficient that is undefined (no pairable units, or chance agreement of 1, as
when every coder gave every unit the same value) is ``nan``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NAN = float("nan")


def value_counts(values: FloatArray, categories: int) -> IntArray:
    """Return the (units, categories) counts of a (coders, units) matrix of category indices.

    Args:
        values: Category index ``0..categories-1`` per coder and unit; ``nan`` where
            the coder gave no value.
        categories: The number of categories.

    Examples:
        >>> value_counts(np.array([[0, 1], [0, np.nan]]), 2).tolist()
        [[2, 0], [0, 1]]
    """
    counts = np.zeros((values.shape[1], categories), dtype=np.int64)
    for k in range(categories):
        counts[:, k] = (values == k).sum(axis=0)
    return counts


def _pairable(counts: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    totals = counts.sum(axis=1)
    return totals, totals >= 2


def percent_agreement(counts: IntArray) -> float:
    """Return the proportion of agreeing coder pairs, averaged over pairable units.

    Examples:
        >>> percent_agreement(np.array([[2, 0], [1, 1], [0, 2]]))
        0.6666666666666666
    """
    totals, pairable = _pairable(counts)
    if not pairable.any():
        return NAN
    c = counts[pairable].astype(np.float64)
    r = totals[pairable].astype(np.float64)
    per_unit = (c * (c - 1)).sum(axis=1) / (r * (r - 1))
    return float(per_unit.mean())


def _category_shares(counts: IntArray) -> FloatArray:
    totals = counts.sum(axis=1)
    rated = totals >= 1
    if not rated.any():
        return np.zeros(counts.shape[1])
    shares: FloatArray = (counts[rated] / totals[rated, None]).mean(axis=0)
    return shares


def _chance_corrected(pa: float, pe: float) -> float:
    if math.isnan(pa) or pe >= 1.0 - 1e-12:
        return NAN
    return (pa - pe) / (1.0 - pe)


def fleiss_kappa(counts: IntArray) -> float:
    """Return Fleiss' kappa (Gwet's generalisation to missing ratings).

    Examples:
        >>> round(fleiss_kappa(np.array([[2, 0], [1, 1], [0, 2], [2, 0]])), 4)
        0.4667
    """
    pa = percent_agreement(counts)
    pi = _category_shares(counts)
    return _chance_corrected(pa, float((pi**2).sum()))


def gwet_ac1(counts: IntArray) -> float:
    """Return Gwet's AC1 for any number of coders and missing ratings.

    Examples:
        >>> round(gwet_ac1(np.array([[2, 0], [1, 1], [0, 2], [2, 0]])), 4)
        0.5333
    """
    q = counts.shape[1]
    if q < 2:
        return NAN
    pa = percent_agreement(counts)
    pi = _category_shares(counts)
    return _chance_corrected(pa, float((pi * (1 - pi)).sum() / (q - 1)))


def krippendorff_alpha(counts: IntArray) -> float:
    """Return Krippendorff's alpha for nominal data, via the ``krippendorff`` package.

    Examples:
        >>> round(krippendorff_alpha(np.array([[2, 0], [1, 1], [0, 2], [2, 0]])), 4)
        0.5333
    """
    import krippendorff

    totals, pairable = _pairable(counts)
    if counts.shape[1] < 2 or not pairable.any():
        return NAN
    used = counts[pairable]
    if int((used.sum(axis=0) > 0).sum()) < 2:  # one value only: expected disagreement is 0
        return NAN
    return float(krippendorff.alpha(value_counts=used, level_of_measurement="nominal"))


def cohen_kappa(first: FloatArray, second: FloatArray, categories: int) -> float:
    """Return Cohen's kappa of two coders over the units both coded.

    Args:
        first: Category index per unit (``nan`` = not coded by this coder).
        second: The same for the other coder.
        categories: The number of categories.

    Examples:
        >>> cohen_kappa(np.array([0.0, 0, 1, 1]), np.array([0.0, 1, 1, 1]), 2)
        0.5
    """
    both = ~np.isnan(first) & ~np.isnan(second)
    n = int(both.sum())
    if n == 0:
        return NAN
    a = first[both].astype(np.int64)
    b = second[both].astype(np.int64)
    po = float((a == b).mean())
    pa = np.bincount(a, minlength=categories) / n
    pb = np.bincount(b, minlength=categories) / n
    return _chance_corrected(po, float((pa * pb).sum()))


def all_measures(values: FloatArray, categories: int) -> dict[str, float]:
    """Return every coefficient of a (coders, units) value matrix, keyed by column name."""
    from qca.models import (
        COHEN_KAPPA,
        FLEISS_KAPPA,
        GWET_AC1,
        KRIPPENDORFF_ALPHA,
        PERCENT_AGREEMENT,
    )

    counts = value_counts(values, categories)
    return {
        PERCENT_AGREEMENT: percent_agreement(counts),
        COHEN_KAPPA: (
            cohen_kappa(values[0], values[1], categories) if values.shape[0] == 2 else NAN
        ),
        FLEISS_KAPPA: fleiss_kappa(counts),
        KRIPPENDORFF_ALPHA: krippendorff_alpha(counts),
        GWET_AC1: gwet_ac1(counts),
    }


def pairable_units(values: FloatArray) -> int:
    """Return how many units have values from two or more coders."""
    return int(((~np.isnan(values)).sum(axis=0) >= 2).sum())
