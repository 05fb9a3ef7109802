"""Compare codings: agreement per code and overall, precision/recall/F1 against gold.

Per code, each unit is a binary variable (coded or not) for every coder who saw
the unit; a coder who did not see a unit (it is absent from that coder's input)
gives no value there, which every coefficient treats as missing data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from qca.agreement.alignment import align_codes, check_codings, to_documents
from qca.agreement.bootstrap import add_intervals, interval_columns
from qca.agreement.coding import Coding
from qca.agreement.measures import (
    NAN,
    FloatArray,
    all_measures,
    pairable_units,
)
from qca.agreement.readers import AgreementError
from qca.models import (
    AGREEMENT_COLUMNS,
    AGREEMENT_MEASURES,
    CI_UNDEFINED_SUFFIX,
    CODE,
    CODER,
    F1,
    GOLD_COLUMNS,
    GOLD_MEASURES,
    KRIPPENDORFF_ALPHA,
    MACRO_ROW,
    MICRO_ROW,
    N_UNITS,
    NOMINAL_ROW,
    PRECISION,
    PREDICTED,
    RECALL,
    SUPPORT,
    TEXT,
    TRUE_POSITIVES,
    UNIT_ID,
    VERDICT,
)

if TYPE_CHECKING:
    import pandas as pd

UnitLevel = Literal["segment", "document"]
UNIT_LEVELS: tuple[str, ...] = ("segment", "document")

#: Verdict bands of Krippendorff (2004, p. 241): alpha >= .800 reliable, >= .667 tentative.
RELIABLE = 0.800
TENTATIVE = 0.667


def verdict(alpha: float) -> str:
    """Return the verdict band of a Krippendorff's alpha value.

    Examples:
        >>> verdict(0.81), verdict(0.7), verdict(0.5), verdict(float("nan"))
        ('reliable', 'tentative', 'unreliable', 'undefined')
    """
    if math.isnan(alpha):
        return "undefined"
    if alpha >= RELIABLE:
        return "reliable"
    if alpha >= TENTATIVE:
        return "tentative"
    return "unreliable"


@dataclass(frozen=True)
class _Data:
    names: tuple[str, ...]
    units: tuple[str, ...]
    codes: tuple[str, ...]
    available: np.ndarray  # (coders, units) bool
    coded: np.ndarray  # (coders, units, codes) bool
    nominal: bool


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return sum(finite) / len(finite) if finite else NAN


def _prepare(codings: Sequence[Coding], unit: str, exclude_uncoded: bool) -> _Data:
    if unit not in UNIT_LEVELS:
        raise AgreementError(f"unknown unit {unit!r}; use one of: {', '.join(UNIT_LEVELS)}")
    codings = align_codes(codings)
    if unit == "document":
        codings = [to_documents(c) for c in codings]
    check_codings(codings)
    codes = list(dict.fromkeys(c for coding in codings for c in coding.codes))
    for coding in codings:
        codes.extend(c for c in coding.assignments[CODE].unique() if c not in codes)
    units = sorted({u for coding in codings for u in coding.units})
    unit_index = {u: i for i, u in enumerate(units)}
    code_index = {c: i for i, c in enumerate(codes)}
    available = np.zeros((len(codings), len(units)), dtype=bool)
    coded = np.zeros((len(codings), len(units), len(codes)), dtype=bool)
    for k, coding in enumerate(codings):
        available[k, [unit_index[u] for u in coding.units]] = True
        rows = [unit_index[u] for u in coding.assignments[UNIT_ID]]
        cols = [code_index[c] for c in coding.assignments[CODE]]
        coded[k, rows, cols] = True
    if exclude_uncoded:
        keep = np.asarray(coded.any(axis=(0, 2)), dtype=bool)
        units = [u for u, k in zip(units, keep.tolist(), strict=True) if k]
        available, coded = available[:, keep], coded[:, keep, :]
    return _Data(
        names=tuple(c.name for c in codings),
        units=tuple(units),
        codes=tuple(codes),
        available=available,
        coded=coded,
        nominal=all(c.single_label for c in codings),
    )


def _values(available: np.ndarray, coded: np.ndarray, c: int) -> FloatArray:
    values: FloatArray = np.where(available, coded[:, :, c], np.nan).astype(np.float64)
    return values


def _prf(values: FloatArray) -> dict[str, float]:
    gold, other = values[0], values[1]
    both = ~np.isnan(gold) & ~np.isnan(other)
    g, o = gold[both] == 1, other[both] == 1
    tp, fp, fn = int((g & o).sum()), int((~g & o).sum()), int((g & ~o).sum())
    return _prf_from(tp, fp, fn)


def _prf_from(tp: int, fp: int, fn: int) -> dict[str, float]:
    return {
        SUPPORT: float(tp + fn),
        PREDICTED: float(tp + fp),
        TRUE_POSITIVES: float(tp),
        PRECISION: tp / (tp + fp) if tp + fp else NAN,
        RECALL: tp / (tp + fn) if tp + fn else NAN,
        F1: 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else NAN,
    }


def _rows(
    available: np.ndarray, coded: np.ndarray, codes: Sequence[str], *, gold: bool, nominal: bool
) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    stacked = []
    for c, code in enumerate(codes):
        values = _values(available, coded, c)
        stacked.append(values)
        row = all_measures(values, 2)
        row[N_UNITS] = float(pairable_units(values))
        if gold:
            row.update(_prf(values))
        rows[code] = row
    pairable = float(pairable_units(np.where(available, 0.0, np.nan)))
    micro_values = np.concatenate(stacked, axis=1) if stacked else np.zeros((2, 0))
    micro = all_measures(micro_values, 2)
    micro[N_UNITS] = pairable
    per_code = list(rows.values())
    macro = {m: _mean([r[m] for r in per_code]) for m in AGREEMENT_MEASURES}
    macro[N_UNITS] = pairable
    if gold:
        tp = int(sum(r[TRUE_POSITIVES] for r in per_code))
        fp = int(sum(r[PREDICTED] for r in per_code)) - tp
        fn = int(sum(r[SUPPORT] for r in per_code)) - tp
        micro.update(_prf_from(tp, fp, fn))
        macro.update(_prf_from(tp, fp, fn))
        for m in (PRECISION, RECALL, F1):
            macro[m] = _mean([r[m] for r in per_code])
    rows[MICRO_ROW] = micro
    rows[MACRO_ROW] = macro
    if nominal and codes:
        values = np.where(
            available & coded.any(axis=2), coded.argmax(axis=2).astype(np.float64), np.nan
        )
        row = all_measures(values, len(codes))
        row[N_UNITS] = float(pairable_units(values))
        if gold:
            row.update({k: NAN for k in _prf_from(0, 0, 0)})
        rows[NOMINAL_ROW] = row
    return rows


def _table(
    data: _Data, available: np.ndarray, coded: np.ndarray, *, gold: bool, bootstrap: int, seed: int
) -> dict[str, dict[str, float]]:
    point = _rows(available, coded, data.codes, gold=gold, nominal=data.nominal)
    if bootstrap:
        rng = np.random.default_rng(seed)
        n = available.shape[1]
        replicates = []
        for _ in range(bootstrap):
            index = rng.integers(0, n, n) if n else np.zeros(0, dtype=np.int64)
            replicates.append(
                _rows(
                    available[:, index],
                    coded[:, index, :],
                    data.codes,
                    gold=gold,
                    nominal=data.nominal,
                )
            )
        add_intervals(point, replicates, GOLD_MEASURES if gold else AGREEMENT_MEASURES)
    return point


def measure_agreement(
    codings: Sequence[Coding],
    *,
    gold: str | None = None,
    unit: UnitLevel | str = "segment",
    bootstrap: int = 0,
    seed: int = 0,
    exclude_uncoded: bool = False,
) -> pd.DataFrame:
    """Return agreement between codings, per code and overall (micro and macro).

    Args:
        codings: Two or more codings (see :func:`qca.agreement.read_coding`).
        gold: The name of the coding to treat as the reference: then each other
            coding gets precision, recall and F1 against it, per code.
        unit: ``segment`` compares units as given; ``document`` counts a document as
            coded with a code when any of its units is.
        bootstrap: Number of bootstrap resamples of units for 95% percentile
            intervals (``_low``/``_high`` columns, and ``_undefined``: how many
            resamples left the measure undefined; the interval is blank when more
            than 5% did); 0 for none.
        seed: The random seed of the bootstrap (same seed, same intervals).
        exclude_uncoded: Drop units that no coder gave any code.

    Returns:
        Without *gold*: ``AGREEMENT_COLUMNS``, one row per code then ``(micro)``,
        ``(macro)`` and, for reliability matrices, ``(nominal)``. With *gold*:
        ``GOLD_COLUMNS``, those rows for each other coder in input order.

    Raises:
        AgreementError: Fewer than two codings, no units in common, an unknown gold name.

    Examples:
        >>> table = measure_agreement([read_coding("a.csv"), read_coding("b.csv")])  # doctest: +SKIP
    """
    import pandas as pd

    if bootstrap < 0:
        raise AgreementError(f"--bootstrap must be 0 or more, got {bootstrap}")
    data = _prepare(codings, unit, exclude_uncoded)
    if gold is None:
        rows = _table(data, data.available, data.coded, gold=False, bootstrap=bootstrap, seed=seed)
        records = [{CODE: key, **row} for key, row in rows.items()]
        columns = interval_columns(AGREEMENT_COLUMNS, AGREEMENT_MEASURES, bootstrap)
    else:
        if gold not in data.names:
            raise AgreementError(
                f"unknown --gold {gold!r}; the inputs are named: {', '.join(data.names)} "
                "(name an input with NAME=PATH)"
            )
        g = data.names.index(gold)
        records = []
        for k, name in enumerate(data.names):
            if k == g:
                continue
            pair = [g, k]
            rows = _table(
                data,
                data.available[pair],
                data.coded[pair],
                gold=True,
                bootstrap=bootstrap,
                seed=seed,
            )
            records += [{CODER: name, CODE: key, **row} for key, row in rows.items()]
        columns = interval_columns(GOLD_COLUMNS, GOLD_MEASURES, bootstrap)
    for record in records:
        alpha = record[KRIPPENDORFF_ALPHA]
        record[VERDICT] = verdict(alpha if isinstance(alpha, float) else NAN)
    frame = pd.DataFrame.from_records(records)
    integer_columns = [N_UNITS, SUPPORT, PREDICTED, TRUE_POSITIVES]
    integer_columns += [c for c in columns if c.endswith(CI_UNDEFINED_SUFFIX)]
    for column in integer_columns:
        if column in frame.columns:
            frame[column] = frame[column].astype("Int64")
    return frame.reindex(columns=columns).reset_index(drop=True)


def disagreements(
    codings: Sequence[Coding],
    code: str,
    *,
    unit: UnitLevel | str = "segment",
    exclude_uncoded: bool = False,
) -> pd.DataFrame:
    """Return the units where coders differ on *code*, side by side with their text.

    Returns:
        ``unit_id``, one column per coder (1 coded, 0 not, blank when the coder did
        not see the unit), then ``text`` when any input has the units' text; sorted
        by unit id.

    Raises:
        AgreementError: When *code* is not a code of any input.
    """
    import pandas as pd

    data = _prepare(codings, unit, exclude_uncoded)
    if code not in data.codes:
        raise AgreementError(
            f"unknown code {code!r} for --disagreements; the codes are: {', '.join(data.codes)}"
        )
    values = _values(data.available, data.coded, data.codes.index(code))
    seen = ~np.isnan(values)
    ones = (values == 1).sum(axis=0)
    differ = (seen.sum(axis=0) >= 2) & (ones > 0) & (ones < seen.sum(axis=0))
    frame = pd.DataFrame({UNIT_ID: [u for u, d in zip(data.units, differ, strict=True) if d]})
    for k, name in enumerate(data.names):
        frame[name] = pd.array(
            [None if math.isnan(v) else int(v) for v in values[k][differ]], dtype="Int64"
        )
    texts: dict[str, str] = {}
    if unit == "segment":
        for coding in codings:
            for unit_id, text in coding.texts.items():
                texts.setdefault(unit_id, text)
    if texts:
        frame[TEXT] = [texts.get(u, "") for u in frame[UNIT_ID]]
    return frame
