"""Overlapping matches of one code count once unless --count-nested (#18, item 6).

The golden cases ``tests/cases/code-nested-same-code`` (default) and
``code-nested-same-code-count`` (``--count-nested``) hold the expected hits; here: the
property over random texts, byte-identical outputs cold, cached, with ``--jobs 2`` and after
an edited re-run, the policy's place in the re-run check, run.json and ``qca.yaml``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.codebook import read_codebook
from qca.engine.hits import code_segments
from qca.models import CODE, END, MATCH, NEGATION_CUE, RULE, RUN_FILE, SEGMENT_ID, START
from tests.conftest import ROOT
from tests.test_matching import PIPELINES, make_codebook, make_segments

CASE = ROOT / "tests" / "cases" / "code-nested-same-code"
TABLES = ("hits.csv", "codings.csv", "hits.parquet", "codings.parquet", "segments.parquet")
CODEBOOK = read_codebook(CASE / "codebook.yaml")
COLUMNS = [SEGMENT_ID, CODE, RULE, MATCH, START, END, NEGATION_CUE]
WORDS = [
    "ICE", "ice", "plots", "plot", "quality", "improvement", "team", "care", "home",
    "not", "the", ".", ",", "curves",
]  # fmt: skip


def _overlaps(hits: pd.DataFrame) -> list[tuple[str, str]]:
    """Return (segment, code) of every two hits of one code in one segment that overlap."""
    found = []
    for (segment, code), group in hits.groupby([SEGMENT_ID, CODE]):
        spans = sorted(zip(group[START], group[END], strict=True))
        found += [(segment, code) for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1]]
    return found


@settings(max_examples=10, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=12), min_size=1, max_size=4))
def test_matching_nested_no_two_hits_of_one_code_overlap(words: list[list[str]]) -> None:
    segments = make_segments(*(" ".join(text) for text in words))
    once = code_segments(segments, CODEBOOK, pipelines=PIPELINES)
    every = code_segments(segments, CODEBOOK, count_nested=True, pipelines=PIPELINES)
    assert _overlaps(once) == []
    key = [SEGMENT_ID, CODE, START, END]
    kept = set(map(tuple, once[key].values.tolist()))
    nested = set(map(tuple, every[key].values.tolist()))
    assert kept <= nested
    for segment, code, start, end in nested - kept:  # dropped for a longer (or earlier) one
        assert any(
            (s, c) == (segment, code)
            and a < end
            and start < b
            and (b - a, -a) > (end - start, -start)
            for s, c, a, b in kept
        )
    # hits of different codes never suppress each other: each code's hits are those it has alone
    for code in CODEBOOK.codes():
        alone = code_segments(segments, make_codebook(code), pipelines=PIPELINES)
        mine = once[once[CODE] == code.id]
        assert alone[COLUMNS].values.tolist() == mine[COLUMNS].values.tolist()


def test_matching_nested_docs_example_is_the_golden_case() -> None:
    """docs/codebook.md's example codebook is the golden case's, and its table holds."""
    text = (ROOT / "docs" / "codebook.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Overlapping matches\n") :]
    shown = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)[0]
    assert shown == (CASE / "codebook.yaml").read_text(encoding="utf-8")
    hits = pd.read_csv(CASE / "expected_hits.csv")
    assert hits.groupby(CODE).size().to_dict() == {"care": 1, "ice": 3, "plots": 2, "quality": 1}


def _code(runner: CliRunner, folder: str, *extra: str) -> str:
    result = runner.invoke(app, ["code", "a.txt", "-c", "codebook.yaml", "-d", folder, *extra])
    assert result.exit_code == 0, result.stderr
    return result.stderr


@pytest.fixture
def case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("a.txt", "codebook.yaml"):
        shutil.copyfile(CASE / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("policy", [(), ("--count-nested",)])
def test_matching_nested_outputs_same_cold_cached_jobs_and_edited(
    case: Path, runner: CliRunner, policy: tuple[str, ...]
) -> None:
    _code(runner, "cold", "--no-cache", *policy)
    _code(runner, "cached", *policy)
    _code(runner, "warm", *policy)  # every code's hits from the token store
    _code(runner, "jobs", "--jobs", "2", "--no-cache", *policy)
    # an edit of one code: re-matched from the corpus token file, without spaCy
    _code(runner, "edited", *policy)
    book = (case / "codebook.yaml").read_text(encoding="utf-8")
    (case / "codebook.yaml").write_text(book.replace("[plots]", "[plots, zzzz]"), "utf-8")
    said = _code(runner, "edited", *policy)
    assert "codebook edited: re-matched 1 of 4 codes from the token store" in said
    _code(runner, "edited-cold", "--no-cache", *policy)
    for name in TABLES:
        expected = (case / "cold" / name).read_bytes()
        for folder in ("cached", "warm", "jobs"):
            assert (case / folder / name).read_bytes() == expected, (folder, name)
        edited = (case / "edited" / name).read_bytes()
        assert edited == (case / "edited-cold" / name).read_bytes(), name
    golden = CASE.parent / ("code-nested-same-code" + ("-count" if policy else ""))
    assert (case / "cold" / "hits.csv").read_text(encoding="utf-8") == (
        golden / "expected_hits.csv"
    ).read_text(encoding="utf-8")


def test_matching_nested_policy_decides_rerun_and_is_recorded(
    case: Path, runner: CliRunner
) -> None:
    """--count-nested after a run without must code again, not reuse outputs or stored hits."""
    _code(runner, "out")
    once = (case / "out" / "hits.csv").read_text(encoding="utf-8")
    assert json.loads((case / "out" / RUN_FILE).read_text())["options"]["count_nested"] is False
    said = _code(runner, "out", "--count-nested")
    assert "up to date" not in said and "re-matched" not in said
    every = (case / "out" / "hits.csv").read_text(encoding="utf-8")
    assert json.loads((case / "out" / RUN_FILE).read_text())["options"]["count_nested"] is True
    assert every == (CASE.parent / "code-nested-same-code-count" / "expected_hits.csv").read_text(
        encoding="utf-8"
    )
    assert "up to date" in _code(runner, "out", "--count-nested")
    _code(runner, "out")  # back: the token store keeps each policy's hits apart
    assert (case / "out" / "hits.csv").read_text(encoding="utf-8") == once


@pytest.mark.parametrize(
    ("setting", "environment", "flag", "nested"),
    [
        ("count_nested: true\n", None, (), True),
        ("count_nested: true\n", None, ("--no-count-nested",), False),
        ("", "true", (), True),
        ("count_nested: true\n", "0", (), False),
        ("", None, ("--count-nested",), True),
        ("", None, (), False),
    ],
)
def test_matching_nested_setting_from_project_environment_and_option(
    case: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    environment: str | None,
    flag: tuple[str, ...],
    nested: bool,
) -> None:
    (case / "qca.yaml").write_text(
        f"transcripts: a.txt\ncodebook: codebook.yaml\n{setting}", encoding="utf-8"
    )
    if environment is not None:
        monkeypatch.setenv("QCA_COUNT_NESTED", environment)
    result = runner.invoke(app, ["code", *flag])
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((case / "qca-out" / RUN_FILE).read_text(encoding="utf-8"))
    assert manifest["options"]["count_nested"] is nested
    assert manifest["counts"]["hits"] == (12 if nested else 7)


@pytest.mark.parametrize(
    ("setting", "environment", "message"),
    [
        (
            "count_nested: maybe\n",
            None,
            "qca.yaml:3:15: count_nested: expected true or false\n",
        ),
        ("", "perhaps", "QCA_COUNT_NESTED=perhaps: expected true or false\n"),
    ],
)
def test_matching_nested_bad_setting_is_one_line(
    case: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    environment: str | None,
    message: str,
) -> None:
    (case / "qca.yaml").write_text(
        f"transcripts: a.txt\ncodebook: codebook.yaml\n{setting}", encoding="utf-8"
    )
    if environment is not None:
        monkeypatch.setenv("QCA_COUNT_NESTED", environment)
    result = runner.invoke(app, ["code"])
    assert result.exit_code == 1
    assert result.stderr == message
