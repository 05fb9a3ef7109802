"""Codes with ``max_words`` and ``fallback`` codes: the same hits on every path (#22)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.codebook.model import Code, Codebook, Theme
from qca.engine.conditions import count_words
from qca.engine.hits import code_segments
from tests.conftest import ROOT
from tests.test_matching import PIPELINES, make_segments

CASE = ROOT / "tests" / "cases" / "code-fallback-max-words"
OUTPUTS = ("hits.csv", "codings.csv", "hits.parquet", "codings.parquet")

BOOK = Codebook(
    "b",
    (
        Theme(
            "t",
            codes=(
                Code("short", "t", terms={"en": ("a", "b")}, max_words=2),
                Code("any", "t", terms={"en": ("c",)}),
                Code("rest", "t", fallback=True),
                Code("rest_short", "t", fallback=True, max_words=3),
            ),
        ),
    ),
)
WORDS = st.sampled_from(["a", "b", "c", "d", "...", "b-c", "A."])


@pytest.mark.parametrize(
    ("text", "words"),
    [("", 0), ("...", 0), ("Did not answer", 3), ("N/A", 2), ("don't", 2), ("año 2024", 2)],
)
def test_conditions_count_words(text: str, words: int) -> None:
    assert count_words(text) == words


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(WORDS, max_size=5).map(" ".join), min_size=1, max_size=6))
def test_conditions_hits_obey_the_conditions(texts: list[str]) -> None:
    hits = code_segments(make_segments(*texts), BOOK, pipelines=PIPELINES)
    ids = [f"d:t{n:04d}" for n in range(len(texts))]
    words = {i: len(re.findall(r"\w+", t)) for i, t in zip(ids, texts, strict=True)}
    by_code: dict[str, set[str]] = {}
    for segment, code in zip(hits["segment_id"], hits["code"], strict=True):
        by_code.setdefault(code, set()).add(segment)
    assert all(words[s] <= 2 for s in by_code.get("short", set()))
    matched = by_code.get("short", set()) | by_code.get("any", set())
    rest = {i for i in ids if i not in matched and words[i] > 0}
    assert by_code.get("rest", set()) == rest
    assert by_code.get("rest_short", set()) == {i for i in rest if words[i] <= 3}
    fallback = hits[hits["code"].isin(["rest", "rest_short"])]
    assert set(fallback["rule_kind"]) <= {"fallback"} and set(fallback["rule"]) <= {"fallback"}


def test_conditions_same_outputs_with_jobs_and_cache(tmp_path: Path, runner: CliRunner) -> None:
    source = tmp_path / "a.txt"
    shutil.copy(CASE / "a.txt", source)
    book = str(CASE / "codebook.yaml")
    outputs = {}
    for name, extra in [("cold", []), ("cached", []), ("nocache", ["--no-cache"])] + [
        ("jobs2", ["--jobs", "2", "--no-cache"])
    ]:
        out = tmp_path / name
        result = runner.invoke(app, ["code", str(source), "-c", book, "-d", str(out), *extra])
        assert result.exit_code == 0, result.stderr
        outputs[name] = [(out / f).read_bytes() for f in OUTPUTS]
    assert outputs["cold"] == outputs["cached"] == outputs["nocache"] == outputs["jobs2"]
    expected = (CASE / "expected_hits.csv").read_text(encoding="utf-8")
    assert (tmp_path / "jobs2" / "hits.csv").read_text(encoding="utf-8") == expected
