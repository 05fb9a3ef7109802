"""Memory: batches waiting to be joined stay compact, and joining gives the output tables."""

from __future__ import annotations

import pandas as pd

from qca.engine.hits import Engine, code_batch, sort_hits
from qca.models import CODE, END, HIT_COLUMNS, RULE, RULE_KIND, START, THEME
from tests.test_matching import make_code, make_codebook, make_segments


def _engine_and_batches() -> tuple[Engine, list[pd.DataFrame]]:
    codebook = make_codebook(
        make_code("drive", ["motivate", "keep going"]),
        make_code("tired", ["exhausted"], theme="body", regex=[r"\bworn out\b"]),
    )
    engine = Engine.from_codebook(codebook)
    first = make_segments("We kept going, motivated.", "I was exhausted and worn out.")
    second = make_segments("Worn out. Motivating them helps.")
    second = second.assign(doc_id="e", segment_id="e:t0000")
    return engine, [first, second]


def test_memory_unsorted_hits_are_categorical_and_int32() -> None:
    engine, batches = _engine_and_batches()
    hits = code_batch(batches[0], engine, sort=False)
    assert [str(hits[c].dtype) for c in (THEME, CODE, RULE_KIND, RULE)] == ["category"] * 4
    assert [str(hits[c].dtype) for c in (START, END)] == ["int32", "int32"]
    assert list(hits[CODE].cat.categories) == ["drive", "tired"]


def test_memory_joined_batches_sort_to_the_sorted_table() -> None:
    engine, batches = _engine_and_batches()
    parts = [code_batch(b, engine, sort=False) for b in batches]
    joined = pd.concat(parts, ignore_index=True)
    assert str(joined[RULE].dtype) == "category"  # the batches share their categories
    expected = sort_hits(pd.concat([code_batch(b, engine) for b in batches], ignore_index=True))
    result = sort_hits(joined)
    pd.testing.assert_frame_equal(result, expected)
    assert list(result.columns) == list(HIT_COLUMNS)
    assert result.dtypes.astype(str).tolist() == [
        "str", "str", "str", "str", "str", "str", "str", "str", "int64", "int64", "bool", "str"
    ]  # fmt: skip
    assert result[CODE].tolist() == ["drive", "drive", "tired", "tired", "tired", "drive"]


def test_memory_sort_hits_turns_mixed_batches_into_strings() -> None:
    engine, batches = _engine_and_batches()
    compact = code_batch(batches[0], engine, sort=False)
    plain = code_batch(batches[1], engine)
    result = sort_hits(pd.concat([compact, plain], ignore_index=True))
    assert result[RULE].dtype == plain[RULE].dtype
    assert result[RULE].tolist() == ["keep going", "motivate", "exhausted", r"\bworn out\b"] + [
        r"\bworn out\b",
        "motivate",
    ]
