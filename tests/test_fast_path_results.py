"""Result identity of the fast paths of #9 (no timings: the benchmarks measure speed)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import qca.engine.patterns
from qca.codebook.model import Code, Codebook, Theme
from qca.engine.hits import code_segments
from qca.engine.pipeline import load_pipeline, tokenize
from qca.engine.store import TokenStore, text_lengths, texts_key
from tests.conftest import ROOT
from tests.test_matching import PIPELINES, make_segments
from tests.test_rematch import REMATCHED, TABLES, _code, assert_same_outputs

WORDS = ["a", "b", "c", "is", "was", "be", "Be", "not", ".", "cats", "cat", "ran", "running"]
WORDS += ["İstanbul", "ÖL", "öl", "Straße", "STRASSE", "A"]
SPECS: list[dict[str, Any]] = [
    {"LOWER": "a"},
    {"LOWER": "b"},
    {"LEMMA": "be"},
    {"LEMMA": "cat"},
    {"LEMMA": {"IN": ["run", "cat"]}},
    {"ORTH": "Be"},
    {"IS_PUNCT": True},
    {"LENGTH": {">=": 3}},
    {},
    {"LOWER": "i\u0307stanbul"},
    {"LOWER": {"NOT_IN": ["a", "öl"]}},
    {"TEXT": "Straße", "LEMMA": {"IN": ["straße", "x"]}},
    {"LOWER": "a", "ORTH": {"NOT_IN": ["A"]}},
]
OPS = [None, None, "?", "*", "+", "!", "{2}", "{1,2}", "{,2}", "{2,}"]


def _random_patterns(rng: random.Random, count: int) -> list[list[dict[str, Any]]]:
    patterns = []
    for _ in range(count):
        pattern = []
        for _ in range(rng.randint(1, 3)):
            spec = dict(rng.choice(SPECS))
            op = rng.choice(OPS)
            if op is not None:
                spec["OP"] = op
            pattern.append(spec)
        patterns.append(pattern)
    return patterns


def _hits(codebook: Codebook, texts: list[str]) -> list[tuple[Any, ...]]:
    hits = code_segments(make_segments(*texts), codebook, pipelines=PIPELINES)
    return sorted(map(tuple, hits.astype(str).to_numpy().tolist()))


def test_perf_planned_patterns_equal_spacy_matcher(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(9)
    texts = [" ".join(rng.choices(WORDS, k=rng.randint(0, 9))) or "x" for _ in range(120)]
    codes = tuple(
        Code(id=f"c{n}", theme="t", terms={"en": ()}, patterns=tuple(map(tuple, patterns)))
        for n, patterns in enumerate(_random_patterns(rng, 1) for _ in range(40))
    )
    codebook = Codebook(name="t", themes=(Theme(id="t", codes=codes),), language="en")
    planned = _hits(codebook, texts)
    monkeypatch.setattr(qca.engine.patterns, "plan", lambda pattern, specs: None)
    by_matcher = _hits(codebook, texts)
    assert len(planned) > 100
    assert planned == by_matcher


def test_perf_cached_tokens_equal_fresh_tokens(tmp_path: Path) -> None:
    pipeline = load_pipeline("en")
    texts = ["We weren't motivated… at all!", "", "  ", "Cats ran.\n\nDogs  running"]
    fresh = tokenize(pipeline, texts)
    store = TokenStore(tmp_path)
    key, lengths = texts_key(pipeline.fingerprint, texts), text_lengths(texts)
    assert store.get_tokens(pipeline, key, lengths) is None
    store.put_tokens(pipeline.fingerprint, key, fresh)
    cached = store.get_tokens(pipeline, key, lengths)
    assert cached is not None
    assert (store.hits, store.misses) == (1, 1)
    for name in ("bounds", "starts", "ends", "sentence_starts", "orths", "lemma_ids"):
        assert np.array_equal(getattr(fresh, name), getattr(cached, name)), name
    assert cached.strings == fresh.strings
    assert cached.lemmas == [
        "we",
        "be",
        "not",
        "motivate",
        "…",
        "at",
        "all",
        "!",
        "cat",
        "run",
        ".",
        "dog",
        "run",
    ]


def test_perf_packed_cache_outputs_equal_cold_runs(tmp_path: Path) -> None:
    """Every run through the packed cache (#16) writes what a cold run of its inputs writes."""
    runner = CliRunner()
    data = tmp_path / "tr"
    shutil.copytree(ROOT / "transcripts", data)
    book = tmp_path / "cb.yaml"
    shutil.copy(ROOT / "codebooks" / "esther.yaml", book)
    paths = [str(data), "--participants", str(data / "participants.csv")]

    def cold_matches(book: Path, *extra: str) -> None:
        shutil.rmtree(tmp_path / "cold", ignore_errors=True)
        assert _code(runner, paths, book, tmp_path / "cold", "--no-cache", *extra)[0] == 0
        assert_same_outputs(tmp_path / "out", tmp_path / "cold")

    assert _code(runner, paths, book, tmp_path / "out")[0] == 0  # fills the cache
    assert {p.suffix for p in (tmp_path / ".qca-cache").rglob("*.*")} >= {".tok", ".hits"}
    cold_matches(book)
    assert "is up to date" in _code(runner, paths, book, tmp_path / "out")[1]
    seniors = data / "fg-seniors.txt"  # a transcript edit: this file is read again
    seniors.write_text(seniors.read_text(encoding="utf-8") + " I felt inspired.\n", "utf-8")
    said = _code(runner, paths, book, tmp_path / "out")[1]
    assert "coded 3 documents" in said and REMATCHED not in said
    cold_matches(book)
    edited = tmp_path / "edited.yaml"  # a terms edit: re-matched from the corpus token file
    text = book.read_text(encoding="utf-8")
    edited.write_text(text.replace("inspired]", "inspired, felt]", 1), encoding="utf-8")
    assert REMATCHED in _code(runner, paths, edited, tmp_path / "out")[1]
    cold_matches(edited)
    shutil.rmtree(tmp_path / "out")  # --jobs 2 through the same cache
    assert _code(runner, paths, edited, tmp_path / "out", "--jobs", "2")[0] == 0
    for name in TABLES:  # run.json differs by its options (jobs)
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "cold" / name).read_bytes()
