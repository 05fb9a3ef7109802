"""theme_table and presence_matrix against a plain-Python reference on random small outputs.

The fast path (qca.tally) counts on integer codes; the reference below counts with sets
and dicts, straight from the definitions in docs/themes.md. Frames come as pandas builds
them (arrow strings), as object columns, and with categorical codes (how qca themes
reads them), so every encoding path meets the same data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qca.exemplars import _pick, quotes
from qca.models import (
    CODE,
    DOC_ID,
    HITS,
    IS_INTERVIEWER,
    MATCH,
    MEASURES,
    NEGATED,
    SEGMENT_ID,
    SOURCE,
    SPEAKER,
    TEXT,
    THEME,
    WORDS,
)
from qca.presence import presence_matrix
from qca.tally import distinct, round2
from qca.themes import theme_table

CODES = [
    {THEME: "t1", CODE: "a"},
    {THEME: "t1", CODE: "b"},
    {THEME: "t2", CODE: "c"},
    {THEME: "t2", CODE: "t1"},  # a code named like a theme
]
THEMES = ["t0", "t1", "t2"]  # t0 has no codes
SPEAKERS = [None, "", "A", "B"]
ROLES = [None, "", "x", "y", "3", "10"]
AGES = [math.nan, 3.0, 4.5, 10.0]


def _label(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(missing)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) or "(missing)"


def _group_key(label: str) -> tuple[int, float, str]:
    if label == "(missing)":
        return (2, 0.0, label)
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


@st.composite
def outputs(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(0, 12))
    segments = []
    for i in range(n):
        doc = draw(st.sampled_from(["d1", "d2", "d3"]))
        segments.append(
            {
                DOC_ID: doc,
                SEGMENT_ID: f"{doc}:t{i:04d}",
                SPEAKER: draw(st.sampled_from(SPEAKERS)),
                IS_INTERVIEWER: draw(st.booleans()),
                WORDS: draw(st.integers(0, 4)),
                TEXT: "x",
                "role": draw(st.sampled_from(ROLES)),
                "age": draw(st.sampled_from(AGES)),
            }
        )
    ids = [s[SEGMENT_ID] for s in segments] + ["zz:t9999"]  # one id without a segment
    code_ids = [str(c[CODE]) for c in CODES] + ["gone"]  # one code not in the codebook
    hit_rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ids),
                st.sampled_from(code_ids),
                st.booleans(),
                st.sampled_from(["w", "W", "x", "y"]),
            ),
            max_size=25,
        )
    )
    hits = [
        {SEGMENT_ID: s, CODE: c, NEGATED: neg, MATCH: m, THEME: "?"} for s, c, neg, m in hit_rows
    ]
    hits.sort(key=lambda h: str(h[SEGMENT_ID]))  # as qca code writes them: by segment
    codings = None
    if draw(st.booleans()):
        rows = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(ids),
                    st.sampled_from(code_ids),
                    st.sampled_from(["auto", "manual"]),
                ),
                max_size=25,
            )
        )
        codings = [{SEGMENT_ID: s, THEME: "?", CODE: c, SOURCE: src, HITS: 1} for s, c, src in rows]
    return {"segments": segments, "hits": hits, "codings": codings}


def _frames(data: dict[str, Any], style: str) -> tuple[Any, Any, Any]:
    columns = [DOC_ID, SEGMENT_ID, SPEAKER, IS_INTERVIEWER, WORDS, TEXT, "role", "age"]
    segments = pd.DataFrame(data["segments"], columns=columns)
    segments[WORDS] = segments[WORDS].astype("int64")
    segments[IS_INTERVIEWER] = segments[IS_INTERVIEWER].astype(bool)
    segments["age"] = segments["age"].astype("float64")
    hits = pd.DataFrame(data["hits"], columns=[SEGMENT_ID, CODE, NEGATED, MATCH, THEME])
    hits[NEGATED] = hits[NEGATED].astype(bool)
    codings = None
    if data["codings"] is not None:
        codings = pd.DataFrame(data["codings"], columns=[SEGMENT_ID, THEME, CODE, SOURCE, HITS])
    frames = [hits, codings, segments]
    for frame in frames:
        if frame is None:
            continue
        for column in frame.columns:
            if frame[column].dtype == bool or frame[column].dtype.kind in "if":
                continue
            if style == "object":
                frame[column] = frame[column].astype(object)
            elif style == "categorical" and column in (CODE, SOURCE):
                frame[column] = frame[column].astype("category")
    return hits, codings, segments


def _reference_units(
    data: dict[str, Any], exclude_negated: bool, include_interviewer: bool
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]], set[tuple[str, str]]]:
    code_theme = {str(c[CODE]): str(c[THEME]) for c in CODES}
    base = {
        s[SEGMENT_ID]: s for s in data["segments"] if include_interviewer or not s[IS_INTERVIEWER]
    }
    used = [
        (h[SEGMENT_ID], h[CODE])
        for h in data["hits"]
        if h[SEGMENT_ID] in base and h[CODE] in code_theme and not (exclude_negated and h[NEGATED])
    ]
    if data["codings"] is None:
        units = set(used)
    else:
        units = {
            (c[SEGMENT_ID], c[CODE])
            for c in data["codings"]
            if c[SEGMENT_ID] in base
            and c[CODE] in code_theme
            and (not exclude_negated or c[SOURCE] != "auto" or (c[SEGMENT_ID], c[CODE]) in used)
        }
    return base, used, units


def _reference_table(
    data: dict[str, Any],
    by: str | None,
    min_count: int,
    exclude_negated: bool,
    include_interviewer: bool,
) -> dict[str, list[Any]]:
    code_theme = {str(c[CODE]): str(c[THEME]) for c in CODES}
    base, used, units = _reference_units(data, exclude_negated, include_interviewer)
    label = {i: _label(s[by]) if by else "" for i, s in base.items()}
    groups = sorted(set(label.values()), key=_group_key) if by else []

    def count(key_of: Callable[[str], str], key: str, group: str | None) -> dict[str, Any]:
        def inside(segment_id: str) -> bool:
            return group is None or label[segment_id] == group

        mine = {s for s, c in units if key_of(c) == key and inside(s)}
        speakers = {
            (base[s][DOC_ID], base[s][SPEAKER]) for s in mine if base[s][SPEAKER] not in (None, "")
        }
        in_group = [s for s in base.values() if inside(s[SEGMENT_ID])]
        n, words = len(in_group), float(sum(s[WORDS] for s in in_group))
        mentions = sum(1 for s, c in used if key_of(c) == key and inside(s))
        return {
            "mentions": mentions,
            "segments": len(mine),
            "documents": len({base[s][DOC_ID] for s in mine}),
            "speakers": len(speakers),
            "pct_segments": round(100.0 * len(mine) / n, 2) if n else 0.0,
            "per_1000_words": round(1000.0 * mentions / words, 2) if words else 0.0,
        }

    table: dict[str, list[Any]] = {
        THEME: [],
        CODE: [],
        **({by: []} if by else {}),
        **{m: [] for m in MEASURES},
    }

    def add(theme_id: str, code_id: str, key_of: Callable[[str], str], key: str) -> None:
        if count(key_of, key, None)["mentions"] < min_count:
            return
        for group in [*groups, "(total)"] if by else [None]:
            values = count(key_of, key, None if group == "(total)" else group)
            table[THEME].append(theme_id)
            table[CODE].append(code_id)
            if by:
                table[by].append(group)
            for measure in MEASURES:
                table[measure].append(values[measure])

    for theme_id in dict.fromkeys([*THEMES, *(str(c[THEME]) for c in CODES)]):
        add(theme_id, "", lambda c: code_theme[c], theme_id)
        for code in CODES:
            if code[THEME] == theme_id:
                add(theme_id, str(code[CODE]), lambda c: c, str(code[CODE]))
    return table


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=outputs(),
    by=st.sampled_from([None, "role", "age", SPEAKER, DOC_ID]),
    min_count=st.integers(0, 2),
    exclude_negated=st.booleans(),
    include_interviewer=st.booleans(),
    style=st.sampled_from(["arrow", "object", "categorical"]),
)
def test_themes_property_table_matches_reference(
    data: dict[str, Any],
    by: str | None,
    min_count: int,
    exclude_negated: bool,
    include_interviewer: bool,
    style: str,
) -> None:
    hits, codings, segments = _frames(data, style)
    table = theme_table(
        hits,
        codings,
        segments,
        CODES,
        by=by,
        min_count=min_count,
        exclude_negated=exclude_negated,
        include_interviewer=include_interviewer,
        themes=THEMES,
    )
    expected = _reference_table(data, by, min_count, exclude_negated, include_interviewer)
    assert table.to_dict("list") == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=outputs(),
    case=st.sampled_from(["document", "speaker"]),
    exclude_negated=st.booleans(),
    include_interviewer=st.booleans(),
    style=st.sampled_from(["arrow", "object", "categorical"]),
)
def test_themes_property_presence_matches_reference(
    data: dict[str, Any], case: str, exclude_negated: bool, include_interviewer: bool, style: str
) -> None:
    hits, codings, segments = _frames(data, style)
    matrix = presence_matrix(
        hits,
        codings,
        segments,
        CODES,
        case=case,
        exclude_negated=exclude_negated,
        include_interviewer=include_interviewer,
        themes=THEMES,
    )
    base, _, units = _reference_units(data, exclude_negated, include_interviewer)
    code_theme = {str(c[CODE]): str(c[THEME]) for c in CODES}

    def key(segment: dict[str, Any]) -> tuple[str, ...]:
        doc = "" if segment[DOC_ID] is None else str(segment[DOC_ID])
        if case == "document":
            return (doc,)
        return (doc, "" if segment[SPEAKER] is None else str(segment[SPEAKER]))

    cases = sorted({key(s) for s in base.values()})
    names = [*THEMES, *(f"code:{c}" if c in THEMES else c for c in code_theme)]
    expected: dict[str, list[Any]] = {DOC_ID: [c[0] for c in cases]}
    if case == "speaker":
        expected[SPEAKER] = [c[1] for c in cases]
    for name in names:
        code_id = name.removeprefix("code:") if name not in THEMES else None
        hit = {
            key(base[s])
            for s, c in units
            if (c == code_id if code_id is not None else code_theme[c] == name)
        }
        expected[name] = [int(c in hit) for c in cases]
    assert matrix.to_dict("list") == expected


@given(st.lists(st.floats(0, 1e7, allow_nan=False), max_size=50))
def test_themes_property_round2_is_pythons_round(values: list[float]) -> None:
    got = round2(np.array(values, dtype=np.float64)).tolist()
    assert got == [round(v, 2) for v in values]


def test_themes_property_round2_half_cents() -> None:
    values = [0.285, 1.005, 2.675, 0.125, 0.375, 10.0 / 3, 100.0 * 7 / 12]
    assert round2(np.array(values)).tolist() == [round(v, 2) for v in values]


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 3000)), max_size=60))
def test_themes_property_distinct_rows(rows: list[tuple[int, int]]) -> None:
    left = np.array([r[0] for r in rows], dtype=np.int64)
    right = np.array([r[1] for r in rows], dtype=np.int64)
    got = distinct(left, right)
    assert sorted(zip(got[0].tolist(), got[1].tolist(), strict=True)) == sorted(set(rows))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=outputs(),
    n=st.integers(0, 3),
    exclude_negated=st.booleans(),
    include_interviewer=st.booleans(),
    style=st.sampled_from(["arrow", "object"]),
)
def test_themes_property_quotes_match_picking_from_all(
    data: dict[str, Any], n: int, exclude_negated: bool, include_interviewer: bool, style: str
) -> None:
    """quotes() picks among candidate segments only; picking among all gives the same."""
    hits, codings, segments = _frames(data, style)
    code_theme = {str(c[CODE]): str(c[THEME]) for c in CODES}
    got = quotes(
        hits,
        codings,
        segments,
        CODES,
        n=n,
        exclude_negated=exclude_negated,
        include_interviewer=include_interviewer,
    )
    expected = _pick(hits, codings, segments, code_theme, n, exclude_negated, include_interviewer)
    pd.testing.assert_frame_equal(got, expected)
