"""The chunk tokenizer and the joined regex scan give what the plain ways give (issue #9)."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qca.matching as matching
from qca.codebook.model import Code, Codebook, Theme
from qca.matching import Tokens, code_segments, load_pipeline, tokenize, tokenize_with_spacy
from tests.test_matching import make_segments

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("bounds", "starts", "ends", "sentence_starts", "orths", "lemma_ids")
PIECES = [
    "we", "We", "WEREN'T", "don't", "can't", "cannot", "gonna", "a.m.", "p.m", "U.K.", "e.g.",
    "10km", "3.5", "$20", "50%", "co-design", "well-being", "e-mail", "https://nhs.uk/a?b=c",
    "x@y.org", ":)", ":-)", "(", ")", "\"", "'", "…", "...", "!", "?", ".", ",", ";", "--", "—",
    "Ö", "är", "inte", "t.ex.", "bl.a.", "🙂", "İstanbul", "ſ", "Kelvin\u212a", "#tag", "@user",
    "ran", "running", "coaches", "\u00ad", "\u200b", "x\u0301",
]  # fmt: skip
SPACES = [" ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u3000", "\u2009", " \n ", "\r\n", "\x1c"]


def _same(texts: list[str], language: str = "en") -> None:
    pipeline = load_pipeline(language)
    fast = tokenize(pipeline, texts)
    slow = tokenize_with_spacy(pipeline, texts)
    for name in FIELDS:
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name


def _joined(rng: random.Random, count: int) -> list[str]:
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 12)):
            parts.append(rng.choice(PIECES) if rng.random() < 0.8 else "")
            parts.append(rng.choice(SPACES) if rng.random() < 0.8 else "")
        texts.append("".join(parts))
    return texts


def test_lexicon_tokens_equal_spacy_on_awkward_text() -> None:
    _same(_joined(random.Random(9), 400))


def test_lexicon_tokens_equal_spacy_in_swedish() -> None:
    _same(_joined(random.Random(5), 200), "sv")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab.'-:)( \n\u00a0Ö1%$")), max_size=30)))
def test_lexicon_tokens_equal_spacy_on_random_text(texts: list[str]) -> None:
    _same(texts)


def test_lexicon_tokens_equal_spacy_on_demo_transcripts() -> None:
    from qca.ingest import read_corpus

    segments = read_corpus([ROOT / "transcripts"]).segments
    _same([str(t) for t in segments["text"].tolist()])


def test_lexicon_tokens_equal_spacy_on_nhs_comments(corpora: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(corpora / "nhs-fft" / "fft_framework_dev.csv")
    texts = [str(t) for t in frame["FFT answer"].dropna().tolist()[:3000]]
    _same(texts)


def test_lexicon_tokens_are_the_same_on_a_second_batch() -> None:
    pipeline = load_pipeline("en")
    texts = _joined(random.Random(3), 50)
    first = tokenize(pipeline, texts)
    again: Tokens = tokenize(pipeline, list(reversed(texts)))
    back = tokenize(pipeline, texts)
    for name in FIELDS:
        assert np.array_equal(getattr(first, name), getattr(back, name)), name
    assert len(again.orths) == len(first.orths)


# --- regexes: one scan of the joined batch == one scan per segment -----------------

REGEXES = [
    r"\bcoach(?:es|ing)?\b",
    r"care\s+home",  # can run from one segment into the next
    r"home\W*",
    r"^we",  # anchors and lookarounds run per segment
    r"ed$",
    r"care(?!\s+home)",
    r"(?<=not )help",
    r"\w+ing",
    r"[^a-z]+",
    r"x*",  # empty matches are dropped
    r"\bsome(?:thing)?\b",  # a literal: only texts with a chunk holding it are scanned
    r"(?-i:PDSA)[- ]?cycles?",
    r"well-being|wellbeing",
    r"plan[- ]do",
]
TEXTS = [
    "We want care",
    "home visits, coaching and care homes",
    "care",
    "",
    "   ",
    "home we were not helped... not help",
    "Coaches COACHING coached",
    "we tried",
    "care\n",
    "home",
    "ſOME thing",
    "SomeThing, awesome",
    "PDSA cycles, pdsa-cycle, (PDSA)cycle",
    "plan do, plan-do, wellbeing and well-being",
]


def _regex_hits(texts: list[str]) -> list[tuple[Any, ...]]:
    codes = tuple(
        Code(id=f"r{n}", theme="t", terms={"en": ()}, regex=(regex,))
        for n, regex in enumerate(REGEXES)
    )
    codebook = Codebook(name="t", themes=(Theme(id="t", codes=codes),), language="en")
    hits = code_segments(make_segments(*texts), codebook)
    return sorted(map(tuple, hits.astype(str).to_numpy().tolist()))


def test_lexicon_joined_regex_scan_equals_scan_per_segment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert matching._required_literal(r"\bnettle(?:s|ed)?\b") == "nettle"
    assert matching._required_literal(r"ab(?:cdef)? xy") is None  # short runs; groups skipped
    screened = _regex_hits(TEXTS)
    monkeypatch.setattr(matching, "_required_literal", lambda regex: None)
    joined = _regex_hits(TEXTS)
    monkeypatch.setattr(matching, "_NEEDS_OWN_TEXT", re.compile(""))  # every regex per segment
    alone = _regex_hits(TEXTS)
    assert len(joined) > 25
    assert screened == joined == alone
