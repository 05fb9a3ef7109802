"""`qca cooccur` and qca.cooccur: golden cases counted by hand, a naive recount, errors (#20)."""

from __future__ import annotations

import itertools
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.cooccur import cooccurrence, cooccurrence_matrix
from qca.models import (
    CODE,
    CODE_A,
    CODE_B,
    COOCCUR_COLUMNS,
    DOC_ID,
    IS_INTERVIEWER,
    JACCARD,
    NEGATED,
    OVERLAP,
    SEGMENT_ID,
    SPEAKER,
    THEME,
    UNITS_BOTH,
    WORDS,
)
from qca.outputs import read_output
from tests.test_outputs import CASES, write_output

COOCCUR_CASES = sorted(CASES.glob("cooccur-*"))


@pytest.mark.parametrize("case", COOCCUR_CASES, ids=lambda p: p.name)
def test_cooccur_golden_case(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_output(case / "input", tmp_path / "qca-out")
    args = shlex.split((case / "args.txt").read_text(encoding="utf-8"))
    result = runner.invoke(app, ["cooccur", str(folder), *args])
    assert result.stderr == ""
    assert result.exit_code == 0
    assert result.stdout == (case / "expected.csv").read_text(encoding="utf-8")


def test_cooccur_golden_cases_exist() -> None:
    assert len(COOCCUR_CASES) >= 2


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_output(CASES / "cooccur-segment" / "input", tmp_path / "qca-out")


def test_cooccur_cli_unknown_attribute(folder: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["cooccur", str(folder), "--by", "rol", "-f", "csv"])
    assert result.exit_code == 1
    assert result.stderr == "by: unknown attribute 'rol'; use one of: role, doc_id, speaker\n"


def test_cooccur_cli_unknown_unit(folder: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["cooccur", str(folder), "--unit", "turn"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--unit': Value error, 'turn' is not one of 'segment', "
        "'document', 'speaker'."
    )


def test_cooccur_cli_no_output(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["cooccur", "-d", str(tmp_path / "none"), "-f", "csv"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"no coded output in {(tmp_path / 'none').as_posix()}/; run: qca code TRANSCRIPTS "
        f"-c CODEBOOK -d {(tmp_path / 'none').as_posix()}\n"
    )


def test_cooccur_cli_two_outdirs(folder: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["cooccur", str(folder), "-d", "elsewhere", "-f", "csv"])
    assert result.exit_code == 1
    assert result.stderr == f"two output folders given ({folder} and -d elsewhere); give one\n"


@pytest.mark.parametrize("fmt", ["json", "jsonl", "markdown", "latex", "tsv", "table"])
def test_cooccur_cli_every_format(folder: Path, runner: CliRunner, fmt: str) -> None:
    result = runner.invoke(app, ["cooccur", str(folder), "-f", fmt])
    assert result.exit_code == 0, result.stderr
    assert "motivation" in result.stdout and "commitment" in result.stdout


def test_cooccur_matrix_is_symmetric(folder: Path) -> None:
    out = read_output(folder)
    table = cooccurrence(out.hits, out.codings, out.segments, out.codes)
    matrix = cooccurrence_matrix(table, out.code_ids, UNITS_BOTH)
    assert matrix.loc["motivation", "commitment"] == matrix.loc["commitment", "motivation"] == 1
    assert np.isnan(matrix.loc["routines", "routines"])


def _naive(segments: pd.DataFrame, hits: pd.DataFrame, codes: list[str], unit: str) -> dict:
    """Sets of units per code, then the pair counts, by plain Python."""
    base = segments[~segments[IS_INTERVIEWER]]
    owner = {
        "segment": dict(zip(base[SEGMENT_ID], base[SEGMENT_ID], strict=True)),
        "document": dict(zip(base[SEGMENT_ID], base[DOC_ID], strict=True)),
        "speaker": dict(
            zip(base[SEGMENT_ID], zip(base[DOC_ID], base[SPEAKER], strict=True), strict=True)
        ),
    }[unit]
    sets: dict[str, set] = {c: set() for c in codes}
    for segment, code in zip(hits[SEGMENT_ID], hits[CODE], strict=True):
        if segment in owner:
            sets[code].add(owner[segment])
    found = {}
    for a, b in itertools.combinations(codes, 2):
        both = len(sets[a] & sets[b])
        union = len(sets[a] | sets[b])
        smaller = min(len(sets[a]), len(sets[b]))
        found[(a, b)] = (
            both,
            round(both / union, 4) if union else None,
            round(both / smaller, 4) if smaller else None,
        )
    return found


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 2), st.booleans(), st.sets(st.integers(0, 3))),
        min_size=1,
        max_size=25,
    ),
    st.sampled_from(["segment", "document", "speaker"]),
)
def test_cooccur_equals_naive_count(rows: list, unit: str) -> None:
    codes = ["a", "b", "c", "d"]
    segments = pd.DataFrame(
        {
            DOC_ID: [f"d{doc}" for doc, *_ in rows],
            SEGMENT_ID: [f"d{r[0]}:t{i:04d}" for i, r in enumerate(rows)],
            SPEAKER: [f"s{speaker}" for _, speaker, *_ in rows],
            IS_INTERVIEWER: [interviewer for _, _, interviewer, _ in rows],
            WORDS: 1,
        }
    )
    hits = pd.DataFrame(
        [
            {SEGMENT_ID: segments[SEGMENT_ID][i], CODE: codes[c], NEGATED: False}
            for i, (*_, found) in enumerate(rows)
            for c in sorted(found)
        ],
        columns=[SEGMENT_ID, CODE, NEGATED],
    )
    table = cooccurrence(hits, None, segments, [{THEME: "t", CODE: c} for c in codes], unit=unit)
    assert list(table.columns) == list(COOCCUR_COLUMNS)
    expected = _naive(segments, hits, codes, unit)
    got = {
        (a, b): (both, None if np.isnan(j) else j, None if np.isnan(o) else o)
        for a, b, both, j, o in zip(
            table[CODE_A],
            table[CODE_B],
            table[UNITS_BOTH],
            table[JACCARD],
            table[OVERLAP],
            strict=True,
        )
    }
    assert got == expected
