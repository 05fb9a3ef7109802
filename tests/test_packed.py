"""The cache's packed arrays (qca.packed): round trips and damage (#16)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qca.packed import PackError, gaps, narrowest, pack, starts_from_gaps, unpack

INTS = st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=50)


@given(ints=INTS, small=st.lists(st.integers(0, 255), max_size=50), flags=st.lists(st.booleans()))
def test_packed_round_trip(ints: list[int], small: list[int], flags: list[bool]) -> None:
    arrays = {
        "ints": np.array(ints, dtype=np.int64),
        "small": np.array(small, dtype=np.int64),
        "flags": np.array(flags, dtype=np.bool_),
        "text": "é\x00x".encode(),
    }
    back = unpack(pack(arrays))
    assert list(back) == ["ints", "small", "flags", "text"]
    assert np.asarray(back["ints"]).tolist() == ints
    assert np.asarray(back["small"]).tolist() == small
    assert np.asarray(back["small"]).dtype == np.uint8
    assert np.asarray(back["flags"]).tolist() == flags
    assert back["text"] == "é\x00x".encode()


@pytest.mark.parametrize(
    ("values", "dtype"),
    [([], "u1"), ([0, 255], "u1"), ([-1, 127], "i1"), ([256], "u2"), ([-129], "i2"),
     ([70_000], "u4"), ([-40_000], "i4"), ([2**32], "i8")],
)  # fmt: skip
def test_packed_narrowest_type(values: list[int], dtype: str) -> None:
    assert narrowest(np.array(values, dtype=np.int64)) == dtype


@given(
    segments=st.lists(
        st.lists(st.tuples(st.integers(0, 5), st.integers(1, 9)), max_size=8), max_size=6
    )
)
def test_packed_gaps_give_the_starts_back(segments: list[list[tuple[int, int]]]) -> None:
    starts: list[int] = []
    ends: list[int] = []
    bounds = [0]
    for tokens in segments:
        at = 0
        for gap, width in tokens:
            starts.append(at + gap)
            ends.append(at + gap + width)
            at += gap + width
        bounds.append(len(starts))
    first, last, edges = np.array(starts), np.array(ends), np.array(bounds)
    steps = gaps(edges, first, last)
    assert all(s >= 0 for s in steps.tolist())
    assert starts_from_gaps(edges, steps, last - first).tolist() == starts


@given(blob_cut=st.integers(1, 40))
def test_packed_damaged_blob_raises(blob_cut: int) -> None:
    blob = pack({"a": np.arange(100, dtype=np.int64), "b": b"strings"})
    with pytest.raises(PackError):
        unpack(blob[:-blob_cut])
    flipped = bytearray(blob)
    flipped[-1] ^= 0xFF
    with pytest.raises(PackError):
        unpack(bytes(flipped))
    with pytest.raises(PackError):
        unpack(b"QCAPACK0" + blob[8:])
