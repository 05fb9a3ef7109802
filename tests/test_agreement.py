"""qca.agreement: coefficients against published reference values, readers, errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import qca
from qca.agreement import (
    AgreementError,
    agreement_warnings,
    disagreements,
    measure_agreement,
    read_coding,
    read_matrix,
)
from qca.agreement.measures import (
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)
from qca.models import (
    CODE,
    COHEN_KAPPA,
    F1,
    FLEISS_KAPPA,
    GWET_AC1,
    KRIPPENDORFF_ALPHA,
    MACRO_ROW,
    MICRO_ROW,
    NOMINAL_ROW,
    PERCENT_AGREEMENT,
    PRECISION,
    RECALL,
    VERDICT,
)

# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", Annenberg School,
# section on nominal data: 4 coders (rows here are units, columns coders), 12 units,
# blanks = missing. Krippendorff reports alpha = 0.743. The same data ship with the R package
# irrCAC as `cac.raw4raters`; its vignette (Gwet, "Calculating Chance-corrected Agreement
# Coefficients", irrCAC 1.0) reports pa = 0.8181818, AC1 = 0.77544, Fleiss' kappa = 0.76117
# (Gwet's generalisation to missing ratings) and Krippendorff's alpha = 0.74342.
KRIPPENDORFF_2011 = """Rater1,Rater2,Rater3,Rater4
1,1,,1
2,2,3,2
3,3,3,3
3,3,3,3
2,2,2,2
1,2,3,4
4,4,4,4
1,1,2,1
2,2,2,2
,5,5,5
,,1,1
,,3,
"""

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories;
# P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210. Rows: subjects; cells: raters per category.
WIKIPEDIA_FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Fleiss (1971) psychiatric diagnoses, 15 patients x 6 psychiatrists, 5 categories, as
# `distrib.6raters` in irrCAC. The irrCAC vignette reports pa = 0.5511111, AC1 = 0.4448007,
# Fleiss' kappa = 0.4139265, Krippendorff's alpha = 0.4204384.
FLEISS_1971 = [
    [0, 0, 0, 6, 0],
    [0, 3, 0, 0, 3],
    [0, 1, 4, 0, 1],
    [0, 0, 0, 0, 6],
    [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0],
    [0, 0, 4, 0, 2],
    [2, 0, 3, 1, 0],
    [2, 0, 0, 4, 0],
    [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0],
    [1, 1, 0, 4, 0],
    [0, 3, 3, 0, 0],
    [1, 0, 0, 5, 0],
    [0, 2, 0, 3, 1],
]

# irrCAC `cont3x3abstractors`: 2 abstractors x 100 pregnancies (Ectopic, AIU, NIU), as a
# contingency table (rows: rater A, columns: rater B). The vignette reports Cohen's kappa =
# 0.7964094, Gwet's AC1 = 0.8493305, Krippendorff's alpha = 0.7972585, percent agreement = 0.89.
ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]

# Wikipedia, "Cohen's kappa", first example: 50 proposals, Yes/Yes 20, Yes/No 5, No/Yes 10,
# No/No 15; p_o = 0.7, p_e = 0.5, kappa = 0.4.
WIKIPEDIA_COHEN = [[20, 5], [10, 15]]


def _matrix_from_counts(counts: list[list[int]]) -> str:
    """A reliability matrix (units x raters) whose raters give the counted categories in order."""
    lines = []
    for row in counts:
        cells = [str(k + 1) for k, n in enumerate(row) for _ in range(n)]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def _matrix_from_table(table: list[list[int]]) -> str:
    lines = ["A,B"]
    for i, row in enumerate(table):
        for j, n in enumerate(row):
            lines += [f"{i + 1},{j + 1}"] * n
    return "\n".join(lines) + "\n"


def _nominal(tmp_path: Path, text: str) -> pd.Series:
    path = tmp_path / "matrix.csv"
    path.write_text(text, encoding="utf-8")
    table = measure_agreement(read_matrix(path))
    return table.set_index(CODE).loc[NOMINAL_ROW]


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        (PERCENT_AGREEMENT, 0.8181818),
        (GWET_AC1, 0.77544),
        (FLEISS_KAPPA, 0.76117),
        (KRIPPENDORFF_ALPHA, 0.74342),
    ],
)
def test_agreement_krippendorff_2011_reference(
    tmp_path: Path, measure: str, expected: float
) -> None:
    row = _nominal(tmp_path, KRIPPENDORFF_2011)
    assert row[measure] == pytest.approx(expected, abs=5e-6)
    assert round(row[KRIPPENDORFF_ALPHA], 3) == 0.743
    assert row[VERDICT] == "tentative"


@pytest.mark.parametrize("source", ["counts", "matrix"])
def test_agreement_wikipedia_fleiss_reference(tmp_path: Path, source: str) -> None:
    if source == "counts":
        value = fleiss_kappa(np.array(WIKIPEDIA_FLEISS))
    else:
        value = _nominal(tmp_path, _matrix_from_counts(WIKIPEDIA_FLEISS))[FLEISS_KAPPA]
    assert round(value, 3) == 0.210


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        (PERCENT_AGREEMENT, 0.5511111),
        (GWET_AC1, 0.4448007),
        (FLEISS_KAPPA, 0.4139265),
        (KRIPPENDORFF_ALPHA, 0.4204384),
    ],
)
def test_agreement_fleiss_1971_reference(tmp_path: Path, measure: str, expected: float) -> None:
    row = _nominal(tmp_path, _matrix_from_counts(FLEISS_1971))
    assert row[measure] == pytest.approx(expected, abs=5e-7)


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        (PERCENT_AGREEMENT, 0.89),
        (COHEN_KAPPA, 0.7964094),
        (GWET_AC1, 0.8493305),
        (KRIPPENDORFF_ALPHA, 0.7972585),
    ],
)
def test_agreement_abstractors_reference(tmp_path: Path, measure: str, expected: float) -> None:
    row = _nominal(tmp_path, _matrix_from_table(ABSTRACTORS))
    assert row[measure] == pytest.approx(expected, abs=5e-7)


@pytest.mark.parametrize("expected", [0.4])
def test_agreement_wikipedia_cohen_reference(tmp_path: Path, expected: float) -> None:
    row = _nominal(tmp_path, _matrix_from_table(WIKIPEDIA_COHEN))
    assert row[COHEN_KAPPA] == pytest.approx(expected)
    assert row[PERCENT_AGREEMENT] == pytest.approx(0.7)


@pytest.mark.parametrize("counts", [np.zeros((0, 2), dtype=np.int64), np.array([[1, 0], [0, 1]])])
def test_agreement_measures_undefined_without_pairs(counts: np.ndarray) -> None:
    assert math.isnan(percent_agreement(counts))
    assert math.isnan(fleiss_kappa(counts))
    assert math.isnan(gwet_ac1(counts))
    assert math.isnan(krippendorff_alpha(counts))


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_agreement_measures_one_value_only(value: float) -> None:
    counts = np.array([[2, 0], [2, 0]]) if value == 0 else np.array([[0, 2], [0, 2]])
    assert percent_agreement(counts) == 1.0
    assert math.isnan(krippendorff_alpha(counts))
    assert math.isnan(fleiss_kappa(counts))
    assert math.isnan(cohen_kappa(np.array([value, value]), np.array([value, value]), 2))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def two_coders(tmp_path: Path) -> tuple[Path, Path]:
    long = _write(
        tmp_path / "a.csv",
        "unit_id,code\nd1:t0001,will\nd1:t0002,ideas\nd1:t0003,\nd2:t0001,will\nd2:t0001,ideas\n",
    )
    onehot = _write(
        tmp_path / "b.csv",
        "unit_id,will,ideas,text\n"
        "d1:t0001,1,0,We wanted it.\n"
        "d1:t0002,1,,An idea.\n"
        "d1:t0003,0,0,Nothing.\n"
        "d2:t0001,1,1,Both.\n",
    )
    return long, onehot


def test_agreement_long_and_onehot_per_code(two_coders: tuple[Path, Path]) -> None:
    a, b = (read_coding(p) for p in two_coders)
    table = measure_agreement([a, b]).set_index(CODE)
    assert list(table.index) == ["ideas", "will", MICRO_ROW, MACRO_ROW]
    assert table.loc["will", PERCENT_AGREEMENT] == 0.75
    assert table.loc["will", COHEN_KAPPA] == pytest.approx(0.5)
    assert table.loc["ideas", PERCENT_AGREEMENT] == 0.75
    assert table.loc[MICRO_ROW, PERCENT_AGREEMENT] == pytest.approx(6 / 8)


def test_agreement_public_api(two_coders: tuple[Path, Path]) -> None:
    codings = [qca.read_coding(p) for p in two_coders]
    pd.testing.assert_frame_equal(qca.measure_agreement(codings), measure_agreement(codings))


@pytest.mark.parametrize("seed", [3])
def test_agreement_bootstrap_deterministic(two_coders: tuple[Path, Path], seed: int) -> None:
    codings = [read_coding(p) for p in two_coders]
    first = measure_agreement(codings, bootstrap=50, seed=seed)
    pd.testing.assert_frame_equal(first, measure_agreement(codings, bootstrap=50, seed=seed))
    assert "krippendorff_alpha_low" in first.columns
    row = first.set_index(CODE).loc[MICRO_ROW]
    assert row["percent_agreement_low"] <= row[PERCENT_AGREEMENT] <= row["percent_agreement_high"]


def test_agreement_gold_matches_sklearn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    gold = rng.random((60, 4)) < 0.3
    auto = gold ^ (rng.random((60, 4)) < 0.2)
    auto[:, 3] = False  # a code never predicted: precision undefined
    units = [f"u{i:03d}" for i in range(60)]
    codes = ["a", "b", "c", "d"]
    frames = {}
    for name, matrix in (("gold", gold), ("auto", auto)):
        frames[name] = pd.DataFrame(matrix.astype(int), columns=codes).assign(unit_id=units)
    from qca.agreement import Coding
    from qca.agreement.coding import assignments_frame

    codings = [
        Coding(
            name=name,
            path=name,
            units=tuple(units),
            assignments=assignments_frame(
                [(u, c) for c in codes for u, v in zip(units, f[c], strict=True) if v]
            ),
            codes=tuple(codes),
        )
        for name, f in frames.items()
    ]
    table = measure_agreement(codings, gold="gold").set_index(CODE)
    p, r, f, _ = metrics.precision_recall_fscore_support(
        gold, auto, average=None, zero_division=np.nan
    )
    np.testing.assert_allclose(table.loc[codes, PRECISION], p)
    np.testing.assert_allclose(table.loc[codes, RECALL], r)
    np.testing.assert_allclose(table.loc[codes, F1], f)
    for average, row in (("micro", MICRO_ROW), ("macro", MACRO_ROW)):
        expected = metrics.precision_recall_fscore_support(
            gold, auto, average=average, zero_division=np.nan
        )
        assert table.loc[row, [PRECISION, RECALL, F1]].tolist() == pytest.approx(expected[:3])


def test_agreement_document_unit(two_coders: tuple[Path, Path]) -> None:
    codings = [read_coding(p) for p in two_coders]
    table = measure_agreement(codings, unit="document").set_index(CODE)
    assert table.loc["will", PERCENT_AGREEMENT] == 1.0
    assert table.loc["ideas", PERCENT_AGREEMENT] == 0.5  # b never codes ideas in d1


def test_agreement_exclude_uncoded(two_coders: tuple[Path, Path]) -> None:
    codings = [read_coding(p) for p in two_coders]
    table = measure_agreement(codings, exclude_uncoded=True).set_index(CODE)
    assert table.loc[MICRO_ROW, "units"] == 3


def test_agreement_disagreements_with_text(two_coders: tuple[Path, Path]) -> None:
    codings = [read_coding(f"{p.name}={p}") for p in two_coders]
    frame = disagreements(codings, "will")
    assert frame.to_dict("records") == [
        {"unit_id": "d1:t0002", "a.csv": 0, "b.csv": 1, "text": "An idea."}
    ]


def test_agreement_warns_code_in_one_input(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", "unit_id,code\nu1,will\nu2,ideas\n")
    b = _write(tmp_path / "b.csv", "unit_id,code\nu1,will\nu2,idea\n")
    problems = agreement_warnings([read_coding(f"A={a}"), read_coding(f"B={b}")])
    assert [str(p) for p in problems] == [
        f"{a.as_posix()}: A: code 'ideas' is in this input only; the others count it as not "
        "coded (check the code names, or pass --mapping)",
        f"{b.as_posix()}: B: code 'idea' is in this input only; the others count it as not "
        "coded (check the code names, or pass --mapping)",
    ]


def test_agreement_error_no_common_units(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", "unit_id,code\nu1,will\n")
    b = _write(tmp_path / "b.csv", "unit_id,code\nx1,will\n")
    with pytest.raises(AgreementError) as info:
        measure_agreement([read_coding(f"A={a}"), read_coding(f"B={b}")])
    assert info.value.lines()[0] == (
        f"{a.as_posix()}: A: shares no units with the other inputs; check that all inputs use "
        "the same unit ids (segment ids, or the same --id-column) and --unit"
    )


def test_agreement_error_single_coder(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", "unit_id,code\nu1,will\n")
    with pytest.raises(AgreementError, match="agreement needs two or more codings, got 1"):
        measure_agreement([read_coding(f"A={a}")])


def test_agreement_error_unknown_gold(two_coders: tuple[Path, Path]) -> None:
    codings = [read_coding(p) for p in two_coders]
    with pytest.raises(AgreementError, match="unknown --gold 'human'"):
        measure_agreement(codings, gold="human")


def test_agreement_error_onehot_cells(tmp_path: Path) -> None:
    path = _write(tmp_path / "h.csv", "unit_id,will,ideas\nu1,1,0\nu2,yes,2\n")
    with pytest.raises(AgreementError) as info:
        read_coding(path)
    assert info.value.lines() == [
        f"{path.as_posix()}:3: column 'will': cell 'yes' is not 0 or 1; one-hot cells hold 1 "
        "(coded), 0 or blank; choose the code columns with --code-columns or --mapping",
        f"{path.as_posix()}:3: column 'ideas': cell '2' is not 0 or 1; one-hot cells hold 1 "
        "(coded), 0 or blank; choose the code columns with --code-columns or --mapping",
    ]


def test_agreement_read_qdpx_goes_to_the_refi_reader(tmp_path: Path) -> None:
    # Issue #8: a .qdpx is read by qca.refi (tests/test_refi.py covers real projects).
    path = _write(tmp_path / "p.qdpx", "")
    with pytest.raises(qca.QcaError, match="not valid XML"):
        read_coding(path)


def test_agreement_matrix_without_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "recal.csv", "1,1\n2,2\n1,2\n")
    codings = read_matrix(path)
    assert [c.name for c in codings] == ["coder1", "coder2"]
    assert [c.units for c in codings] == [("1", "2", "3"), ("1", "2", "3")]
