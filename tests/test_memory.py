"""Memory: batches waiting to be joined stay compact, and joining gives the output tables."""

from __future__ import annotations

import pandas as pd

from qca.matching import Rules, compile_rules, match_segments, sort_hits
from qca.models import CODE, END, HIT_COLUMNS, RULE, RULE_KIND, START, THEME
from tests.test_matching import make_code, make_codebook, make_segments


def _rules_and_batches() -> tuple[Rules, list[pd.DataFrame]]:
    codebook = make_codebook(
        make_code("drive", ["motivate", "keep going"]),
        make_code("tired", ["exhausted"], theme="body", regex=[r"\bworn out\b"]),
    )
    rules = compile_rules(codebook)
    first = make_segments("We kept going, motivated.", "I was exhausted and worn out.")
    second = make_segments("Worn out. Motivating them helps.")
    second = second.assign(doc_id="e", segment_id="e:t0000")
    return rules, [first, second]


def test_memory_unsorted_hits_are_categorical_and_int32() -> None:
    rules, batches = _rules_and_batches()
    hits = match_segments(rules, batches[0], sort=False)
    assert [str(hits[c].dtype) for c in (THEME, CODE, RULE_KIND, RULE)] == ["category"] * 4
    assert [str(hits[c].dtype) for c in (START, END)] == ["int32", "int32"]
    assert list(hits[CODE].cat.categories) == ["drive", "tired"]


def test_memory_joined_batches_sort_to_the_sorted_table() -> None:
    rules, batches = _rules_and_batches()
    parts = [match_segments(rules, b, sort=False) for b in batches]
    joined = pd.concat(parts, ignore_index=True)
    assert str(joined[RULE].dtype) == "category"  # the batches share their categories
    expected = sort_hits(pd.concat([match_segments(rules, b) for b in batches], ignore_index=True))
    result = sort_hits(joined)
    pd.testing.assert_frame_equal(result, expected)
    assert list(result.columns) == list(HIT_COLUMNS)
    assert result.dtypes.astype(str).tolist() == [
        "str", "str", "str", "str", "str", "str", "str", "str", "int64", "int64", "bool"
    ]  # fmt: skip
    assert result[CODE].tolist() == ["drive", "drive", "tired", "tired", "tired", "drive"]


def test_memory_sort_hits_turns_mixed_batches_into_strings() -> None:
    rules, batches = _rules_and_batches()
    compact = match_segments(rules, batches[0], sort=False)
    plain = match_segments(rules, batches[1])
    result = sort_hits(pd.concat([compact, plain], ignore_index=True))
    assert result[RULE].dtype == plain[RULE].dtype
    assert result[RULE].tolist() == ["keep going", "motivate", "exhausted", r"\bworn out\b"] + [
        r"\bworn out\b",
        "motivate",
    ]
