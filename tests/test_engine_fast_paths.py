"""The fast paths of the coding engine (qca.engine) give what the straightforward ones give (issue #9, session 4)."""

from __future__ import annotations

import dataclasses
import functools
import random
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qca.codebook.model import Code, Codebook, Theme
from qca.engine import match as engine_match
from qca.engine import patterns as engine_patterns
from qca.engine import regexes as engine_regexes
from qca.engine.batch import HitColumns
from qca.engine.hits import HitTypes, selected_segments
from qca.engine.match import Lowers, Matcher, cue_before, match_tokens
from qca.engine.pipeline import Pipeline, Pipelines, load_pipeline, normalise, tokenize
from qca.engine.regexes import Regexes, required_literal
from qca.engine.rules import Rules, compile_rules
from qca.models import CODE, RULE, RULE_KIND, THEME


@functools.cache
def _pipeline() -> Pipeline:
    """Return one English pipeline for the whole module (its lexicon grows across tests)."""
    return load_pipeline("en")


def _rules(*codes: Code) -> Rules:
    themes: dict[str, list[Code]] = {}
    for code in codes:
        themes.setdefault(code.theme, []).append(code)
    codebook = Codebook(
        name="t",
        themes=tuple(Theme(id=t, codes=tuple(c)) for t, c in themes.items()),
        language="en",
    )
    return compile_rules(codebook, pipelines=Pipelines("en", loaded=[_pipeline()]))


def _code(code_id: str, *, theme: str = "t", **rules: Any) -> Code:
    terms = rules.pop("terms", ())
    return Code(id=code_id, theme=theme, terms={"en": tuple(terms)}, **rules)


def _spans(hits: HitColumns) -> list[tuple[int, int, int, int, int, bool]]:
    return sorted(
        zip(hits.segment, hits.code, hits.start, hits.end, hits.token, hits.negated, strict=True)
    )


# --- regexes on tokens without chunks (from the cache): screened by token strings ----------

SCREENED = [
    r"\bnettle(?:s|ed|ing)?\b",
    r"can't",  # "ca" + "n't": the literal runs across two tokens
    r"gonna\b",  # a special case: "gon" + "na"
    r"\bkelp",  # the Kelvin sign is a "k" to re.IGNORECASE
    r"u\.s\.a",
    r"well-being",
    r"o'clock",
]
SCREEN_TEXTS = [
    "Nettles, NETTLED and nettling; nett le",
    "I CAN'T, can't, can 't and Can’t (cannot)",
    "gonna, GONNA.gonna go",
    "\u212aELP and kelp-beds; ke lp",
    "U.S.A. and u.s.a, U.S. A",
    "well-being,well-being.(well-being)",
    "5 o'clock, o'clock.",
    "",
    "   ",
    "nothing at all",
]


def _regex_rules() -> Rules:
    return _rules(*(_code(f"r{n}", regex=(regex,)) for n, regex in enumerate(SCREENED)))


def _regex_spans(texts: list[str], *, chunks: bool, screen: bool = True) -> list[Any]:
    rules = _regex_rules()
    pipeline = _pipeline()
    tokens = tokenize(pipeline, texts)
    if not chunks:
        tokens = dataclasses.replace(tokens, chunks=None)
    if screen:
        return _spans(match_tokens(rules, pipeline, "en", texts, tokens))
    with pytest.MonkeyPatch.context() as patch:  # every regex scans the joined texts
        patch.setattr(engine_regexes, "required_literal", lambda regex: None)
        return _spans(match_tokens(rules, pipeline, "en", texts, tokens))


def test_engine_fast_path_regex_token_screen_equals_chunk_screen_and_full_scan() -> None:
    by_tokens = _regex_spans(SCREEN_TEXTS, chunks=False)
    assert by_tokens == _regex_spans(SCREEN_TEXTS, chunks=True)
    assert by_tokens == _regex_spans(SCREEN_TEXTS, chunks=False, screen=False)
    assert len({(segment, code) for segment, code, *_ in by_tokens}) >= 7


def test_engine_fast_path_regex_token_screen_keeps_literals_across_tokens() -> None:
    pipeline = _pipeline()
    texts = ["I can't", "gonna", "can not"]
    tokens = dataclasses.replace(tokenize(pipeline, texts), chunks=None)
    regexes = Regexes([(0, 0, "can't", "can't"), (1, 0, "gonna", "gonna")])
    found = regexes.token_candidates(tokens)
    assert found[0].tolist() == [0]
    assert found[1].tolist() == [1]


WORDS = ["can't", "CAN'T", "ca", "n't", "gonna", "gon", "na", "nettle", "NETTLES", "\u212aelp"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.sampled_from(WORDS), st.sampled_from(["", " ", ",", "\n", "-"])),
            max_size=8,
        ),
        max_size=6,
    )
)
def test_engine_fast_path_regex_token_screen_on_random_texts(
    parts: list[list[tuple[str, str]]],
) -> None:
    texts = ["".join(word + gap for word, gap in text) for text in parts]
    assert _regex_spans(texts, chunks=False) == _regex_spans(texts, chunks=False, screen=False)


# --- categorical columns built from codes ------------------------------------------------


def test_engine_fast_path_compact_equals_categorical_of_strings() -> None:
    rules = _rules(
        _code("b", theme="y", terms=("x",), regex=("zz+",)),
        _code("a", theme="x", terms=("x y",)),
        _code("c", theme="y", terms=("q*",)),
    )
    types = HitTypes(rules)
    dtypes = types.dtypes
    random_codes = random.Random(1).choices(range(3), k=50)
    themes, codes = types.compact_codes(random_codes)
    assert themes.tolist() == [rules.codes[c][0] for c in random_codes]
    assert codes.tolist() == [rules.codes[c][1] for c in random_codes]
    assert themes.dtype == dtypes[THEME]
    assert codes.dtype == dtypes[CODE]
    values = ["x y", "zz+", "q*", "x", "x"]
    fast = types.compact(values, dtypes[RULE])
    slow = pd.Categorical(values, dtype=dtypes[RULE])
    assert isinstance(fast, pd.Categorical)
    assert fast.tolist() == slow.tolist()
    assert np.array_equal(fast.codes, slow.codes)
    kinds = types.compact(["term", "regex", "phrase"], dtypes[RULE_KIND])
    assert kinds.tolist() == ["term", "regex", "phrase"]
    unknown = ["x", "not a rule"]
    assert types.compact(unknown, dtypes[RULE]) is unknown  # kept as strings
    assert types.compact([], dtypes[RULE]).tolist() == []
    other = pd.CategoricalDtype(["a", "b"])  # not made by HitTypes: the slow way
    assert types.compact(["b", "a"], other).tolist() == ["b", "a"]


def test_engine_fast_path_normalise_equals_translate() -> None:
    words = ["Don\u2019t", "DON\u02bcT", "İstanbul", "ſ", "Straße", "\u212a", "O'Neil", ""]
    table = str.maketrans({"\u2019": "'", "\u02bc": "'"})
    assert [normalise(w) for w in words] == [w.lower().translate(table) for w in words]


def test_engine_fast_path_required_literal_is_in_every_match() -> None:
    for regex in SCREENED:
        literal = required_literal(regex)
        assert literal is not None, regex
        for text in SCREEN_TEXTS:
            for found in re.finditer(regex, text, re.IGNORECASE):
                assert re.search(re.escape(literal), found.group(), re.IGNORECASE), regex


# --- Matcher.finish: vetoes, duplicates, order and negation as arrays -------------------------------


def _finish_reference(
    rules: Rules,
    language: str,
    hits: HitColumns,
    batch: Any,
    veto_spans: dict[tuple[int, int], list[tuple[int, int]]],
) -> HitColumns:
    """Return what Matcher.finish returned before it worked on arrays (a loop per hit)."""
    keep: dict[tuple[int, int, int, int], int] = {}
    for n in range(len(hits.segment)):
        segment, code = hits.segment[n], hits.code[n]
        start, end = hits.start[n], hits.end[n]
        spans = veto_spans.get((segment, code))
        if spans and any(a < end and start < b for a, b in spans):
            continue
        key = (segment, code, start, end)
        best = keep.get(key)
        if best is None or hits.order[n] < hits.order[best]:
            keep[key] = n
    kept = list(keep.values())
    if not rules.count_nested:  # of overlapping hits of one code, the longest, then earliest
        groups: dict[tuple[int, int], list[int]] = {}
        for n in kept:
            groups.setdefault((hits.segment[n], hits.code[n]), []).append(n)
        kept = []
        for members in groups.values():
            taken: list[int] = []
            for n in sorted(members, key=lambda n: (hits.start[n] - hits.end[n], hits.start[n])):
                if all(hits.end[m] <= hits.start[n] or hits.end[n] <= hits.start[m] for m in taken):
                    taken.append(n)
            kept += taken
    names = [code for _, code in rules.codes]
    chosen = sorted(
        kept,
        key=lambda n: (hits.segment[n], hits.start[n], names[hits.code[n]], hits.end[n]),
    )
    cues = rules.cues.get(language, frozenset())
    tokens = batch.tokens
    lowers = Lowers(tokens.lowers(), tokens.orths.tolist())
    sentence_starts = tokens.sentence_starts.tolist()
    bounds = tokens.bounds.tolist()
    out = HitColumns()
    for n in chosen:
        out.add(
            hits.segment[n],
            (hits.code[n], hits.order[n], hits.kind[n], hits.rule[n]),
            (hits.start[n], hits.end[n], hits.token[n]),
        )
        first = bounds[hits.segment[n]]
        cue = (
            cue_before(lowers, sentence_starts, hits.token[n], first, cues, rules.window)
            if cues
            else None
        )
        out.negated.append(cue is not None)
        out.cue.append("" if cue is None else tokens.strings[int(tokens.orths[cue])])
    return out


def _finish_method(
    matcher: Matcher,
    hits: HitColumns,
    batch: Any,
    veto_spans: dict[tuple[int, int], list[tuple[int, int]]],
) -> HitColumns:
    return _finish_reference(matcher.rules, matcher.language, hits, batch, veto_spans)


VOCABULARY = [
    "not", "never", "No", "care", "cares", "home", "care home", "coach", "coaching", ".", "!",
    "well", "we", "motivated", "motivate", "really", "keen", ",", "not really", "CARE",
]  # fmt: skip


def _finish_rules() -> Rules:
    return _rules(
        _code("zeta", terms=("care", "care home", "coach*"), not_=("care home",)),
        _code("alpha", theme="a", terms=("home", "care"), regex=(r"\bcare\b", r"home")),
        _code(
            "mid",
            terms=("motivate", "keen"),
            patterns=([{"LEMMA": "motivate"}], [{"LOWER": "really", "OP": "?"}, {"LOWER": "keen"}]),
            regex=(r"motivat\w*",),
            not_=("not really",),
        ),
    )


def _same_as_reference(rules: Any, texts: list[str], target: Any, name: str, reference: Any) -> Any:
    """Return match_tokens' hits, checked equal to those with target.NAME = *reference*."""
    pipeline = _pipeline()
    tokens = tokenize(pipeline, texts)
    fast = match_tokens(rules, pipeline, "en", texts, tokens)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(target, name, reference)
        slow = match_tokens(rules, pipeline, "en", texts, tokens)
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)
    return fast


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(VOCABULARY), max_size=14), min_size=1, max_size=5),
    st.booleans(),
)
def test_engine_fast_path_finish_equals_loop_per_hit(words: list[list[str]], nested: bool) -> None:
    texts = [" ".join(text) for text in words]
    rules = dataclasses.replace(_finish_rules(), count_nested=nested)
    _same_as_reference(rules, texts, Matcher, "finish", _finish_method)


@pytest.mark.parametrize(("nested", "count"), [(False, 9), (True, 10)])
def test_engine_fast_path_finish_on_a_known_text(nested: bool, count: int) -> None:
    """'really keen' (a pattern) holds 'keen' (a term of the same code): one hit unless nested."""
    texts = [
        "We were not really keen. Care home, not care! never motivated",
        "",
        "care",
        "So really keen",
    ]
    rules = dataclasses.replace(_finish_rules(), count_nested=nested)
    fast = _same_as_reference(rules, texts, Matcher, "finish", _finish_method)
    assert True in fast.negated and False in fast.negated
    assert {cue for cue, negated in zip(fast.cue, fast.negated, strict=True) if negated} == {
        "not",
        "never",
    }
    assert len(fast.segment) == count


# --- token patterns: plans screened per string, tables read where asked ---------------------

PATTERNS: list[list[dict[str, Any]]] = [
    [{"LEMMA": {"IN": ["motivate", "feel"]}}, {"LOWER": "really", "OP": "?"}, {"LOWER": "keen"}],
    [{"LOWER": "really", "OP": "?"}, {"LEMMA": "care"}],  # an optional first step
    [{"LOWER": "not", "OP": "!"}, {"LOWER": "keen"}],  # a negated first step: no screen
    [{"LOWER": {"NOT_IN": ["we", "."]}}, {"LEMMA": "home"}],  # NOT_IN only: no screen
    [{"ORTH": "Care", "LEMMA": "care"}, {"LOWER": "home", "OP": "+"}],
    [{"LOWER": "really", "OP": "{2,3}"}, {"LOWER": "keen", "OP": "*"}],
    [{"LOWER": "we"}, {"IS_PUNCT": True}],  # not simple: spaCy's Matcher decides the spec
    [{}, {"LOWER": "keen"}],  # a spec without conditions matches every token
    [{"LOWER": "care"}, {"OP": "?"}, {"LEMMA": "home"}],
]


def _pattern_spans(texts: list[str], *, planned: bool) -> list[Any]:
    rules = _rules(*(_code(f"p{n}", patterns=(p,)) for n, p in enumerate(PATTERNS)))
    pipeline = _pipeline()
    tokens = tokenize(pipeline, texts)
    if planned:
        return _spans(match_tokens(rules, pipeline, "en", texts, tokens))
    with pytest.MonkeyPatch.context() as patch:  # every pattern through spaCy's Matcher
        patch.setattr(engine_patterns, "plan", lambda pattern, specs: None)
        return _spans(match_tokens(rules, pipeline, "en", texts, tokens))


PATTERN_WORDS = ["we", "We", ".", "really", "REALLY", "keen", "not", "Care", "care", "cared"]
PATTERN_WORDS += ["home", "homes", "motivated", "felt", ","]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PATTERN_WORDS), max_size=12), min_size=1, max_size=5))
def test_engine_fast_path_planned_patterns_equal_spacy_matcher(words: list[list[str]]) -> None:
    texts = [" ".join(text) for text in words]
    assert _pattern_spans(texts, planned=True) == _pattern_spans(texts, planned=False)


def test_engine_fast_path_planned_patterns_on_a_known_text() -> None:
    texts = ["We felt really keen. Care home home, we really really keen", "not keen", "we."]
    planned = _pattern_spans(texts, planned=True)
    assert planned == _pattern_spans(texts, planned=False)
    assert {code for _, code, *_ in planned} == set(range(len(PATTERNS)))


# --- terms: only the tokens a term could cover are read ---------------------------------


def _candidates(index: Any, lower: str, lemma: str) -> list[Any]:
    """Return the rules a token of this matched form and lemma can start (the old way)."""
    found = list(index.first.get(lower, ()))
    if lemma != lower:
        found += [r for r in index.first.get(lemma, ()) if r not in found]
    if index.prefixes:
        found += index.prefixed(lower)
    return found


def _find_terms_reference(index: Any, batch: Any) -> tuple[Any, Any, Any, Any]:
    """Return term matches by visiting every token with whole-batch lists (the old way)."""
    tokens = batch.tokens
    strings = tokens.strings
    lowers = batch.lowers_by_id
    orths, lemma_ids, bounds = tokens.orths.tolist(), tokens.lemma_ids.tolist(), batch.bounds
    found = []
    for k in range(len(bounds) - 1):
        for i in range(bounds[k], bounds[k + 1]):
            for rule in _candidates(index, lowers[orths[i]], strings[lemma_ids[i]]):
                words = rule.words
                j_last = i + len(words) - 1
                if j_last >= bounds[k + 1]:
                    continue
                ok = True
                for n in range(1, len(words)):
                    lower = lowers[orths[i + n]]
                    if lower == words[n] or strings[lemma_ids[i + n]] == words[n]:
                        continue
                    if rule.prefix and n == len(words) - 1 and lower.startswith(words[n]):
                        continue
                    ok = False
                    break
                if ok:
                    found.append((index.rules.index(rule), k, i, j_last))
    columns = np.asarray(found, dtype=np.int64).reshape(-1, 4)
    return columns[:, 0], columns[:, 1], columns[:, 2], columns[:, 3]


TERM_WORDS = ["care", "Cares", "home", "homes", "homeless", "care-home", "motivating", "we"]
TERM_WORDS += ["really", "keen", "coach", "coaching", "Coaches", ".", "not", "felt", "feel"]


def _term_rules() -> Rules:
    return _rules(
        _code("a", terms=("care home", "care", "motivate", "coach*", "really keen*")),
        _code("b", terms=("we feel really keen", "home", "feel"), not_=("not really",)),
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(TERM_WORDS), max_size=12), min_size=1, max_size=5))
def test_engine_fast_path_terms_equal_visiting_every_token(words: list[list[str]]) -> None:
    texts = [" ".join(text) for text in words]
    rules = _term_rules()
    _same_as_reference(rules, texts, engine_match, "find_terms", _find_terms_reference)


def test_engine_fast_path_terms_at_the_end_of_a_batch() -> None:
    texts = ["We feel really", "keen care", "we feel really keen", "care home", "care homeless"]
    rules = _term_rules()
    pipeline = _pipeline()
    found = match_tokens(rules, pipeline, "en", texts, tokenize(pipeline, texts))
    ends = zip(found.segment, found.start, found.end, strict=True)
    spans = [(k, texts[k][s:e]) for k, s, e in ends]
    assert (2, "we feel really keen") in spans
    assert (3, "care home") in spans
    assert (0, "We feel really") not in spans
    assert (1, "keen care") not in spans
    assert (4, "care") in spans
    assert (4, "care homeless") not in spans  # "care home" is not a prefix term


# --- the lexicon: chunk ids looked up once per chunk, new chunks added in order ---------------


def test_engine_fast_path_lexicon_chunk_ids_name_each_chunk() -> None:
    pipeline = _pipeline()
    lexicon = pipeline.lexicon
    rng = random.Random(7)
    for _ in range(3):
        texts = [
            " ".join(rng.choice(TERM_WORDS + [f"new{rng.randrange(50)}", "x,"]) for _ in range(9))
            for _ in range(20)
        ] + ["", "  \n "]
        arrays = lexicon.tokenize(pipeline.nlp, texts)
        chunks = [lexicon.chunk_list[i] for i in arrays.chunk_ids.tolist()]
        assert chunks == "\n".join(texts).split()
        assert len(set(lexicon.chunk_list)) == len(lexicon.chunk_list) == len(lexicon.chunks)
        assert all(lexicon.chunks[c] == n for n, c in enumerate(lexicon.chunk_list))


# --- selected segments: a numpy mask, not pandas Series arithmetic ------------------------


def _selected_reference(
    segments: pd.DataFrame, exclude_speakers: frozenset[str], *, include_interviewer: bool
) -> pd.Series:
    """Return the mask as selected_segments made it before (string methods on every row)."""
    from qca.models import IS_INTERVIEWER, SPEAKER

    if include_interviewer or segments.empty:
        return pd.Series(True, index=segments.index)
    mask = pd.Series(True, index=segments.index)
    if IS_INTERVIEWER in segments.columns:
        mask &= ~segments[IS_INTERVIEWER].fillna(False).astype(bool)
    if exclude_speakers and SPEAKER in segments.columns:
        speakers = segments[SPEAKER].fillna("").astype(str).str.strip().str.lower()
        mask &= ~speakers.isin(exclude_speakers)
    return mask


SPEAKERS = [
    "Interviewer", " INTERVIEWER\u00a0", "interviewer\t", "Moderator", "Anna", "İnterviewer",
    None, float("nan"), "", "  ", "moderator ", "Anna ", "\u2003Moderator",
]  # fmt: skip


@pytest.mark.parametrize("dtype", ["str", object])
@pytest.mark.parametrize("exclude", [frozenset({"interviewer", "moderator"}), frozenset({""})])
def test_engine_fast_path_selected_segments_equal_string_methods_per_row(
    dtype: Any, exclude: frozenset[str]
) -> None:
    from qca.models import IS_INTERVIEWER, SPEAKER

    rng = random.Random(3)
    speakers = [rng.choice(SPEAKERS) for _ in range(60)]
    flags = [rng.choice([True, False, None]) for _ in range(60)]
    index = pd.RangeIndex(100, 160)
    frame = pd.DataFrame(
        {
            SPEAKER: pd.Series(speakers, dtype=dtype, index=index),
            IS_INTERVIEWER: pd.Series(flags, dtype=object, index=index),
        }
    )
    for include in (False, True):
        for part in (frame, frame.astype({IS_INTERVIEWER: bool}), frame[[SPEAKER]], frame[:0]):
            got = selected_segments(part, exclude, include_interviewer=include)
            want = _selected_reference(part, exclude, include_interviewer=include)
            assert got.tolist() == want.tolist()
            assert got.index.equals(want.index)
    mask = selected_segments(frame, exclude, include_interviewer=False)
    assert 0 < int(mask.sum()) < len(frame)


# --- hits tables: segment columns taken per column at the hits' rows ---------------------------


@pytest.mark.parametrize("dtype", ["str", object])
def test_engine_fast_path_hit_rows_name_their_segments(dtype: Any) -> None:
    from qca.engine.hits import code_segments
    from qca.models import DOC_ID, END, MATCH, SEGMENT_COLUMNS, SEGMENT_ID, SPEAKER, START, TEXT

    texts = ["care home", "no match", "We care.", "care care", "", "home care"]
    speakers = ["Anna", None, "Bo", float("nan"), "Anna", "Interviewer"]
    rows = []
    offset = 0
    for n, text in enumerate(texts):
        rows.append(
            ("d" if n < 3 else "e", f"s{n}", "turn", speakers[n], False, offset,
             offset + len(text), len(text.split()), text)
        )  # fmt: skip
        offset += len(text) + 3
    segments = pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS), index=[9, 3, 7, 1, 5, 0])
    for name in (DOC_ID, SEGMENT_ID, SPEAKER, TEXT):
        segments[name] = segments[name].astype(dtype)
    codebook = Codebook(
        name="t",
        themes=(Theme(id="t", codes=(_code("a", terms=("care", "home")),)),),
        language="en",
        exclude_speakers=("interviewer",),
    )
    hits = code_segments(segments, codebook)
    assert hits[SEGMENT_ID].tolist() == ["s0", "s0", "s2", "s3", "s3"]
    by_id = segments.set_index(SEGMENT_ID)
    for row in hits.itertuples(index=False):
        segment = by_id.loc[getattr(row, SEGMENT_ID)]
        assert getattr(row, DOC_ID) == segment[DOC_ID]
        speaker = getattr(row, SPEAKER)
        assert speaker == segment[SPEAKER] or (pd.isna(speaker) and pd.isna(segment[SPEAKER]))
        local = getattr(row, START) - segment[START]
        assert segment[TEXT][local : getattr(row, END) - segment[START]] == getattr(row, MATCH)
    assert hits[MATCH].tolist() == ["care", "home", "care", "care", "care"]
