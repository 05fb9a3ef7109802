"""Unit tests of the coding engine (qca.engine) on hand-built segments and codebooks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from qca.codebook.model import Code, Codebook, Negation, Theme
from qca.engine.hits import code_segments
from qca.engine.pipeline import Pipelines, load_pipeline, tokenize
from qca.errors import CodingError
from qca.models import CODE, MATCH, NEGATED, NEGATION_CUE, RULE, RULE_KIND, SEGMENT_COLUMNS

# Loaded on first use, once per test process (about 0.3 s a language), and shared by the
# tests that code many small tables: an engine reuses its pipelines the same way in a run.
PIPELINES = Pipelines("en")


def make_codebook(*codes: Code, language: str = "en", exclude: Sequence[str] = ()) -> Codebook:
    themes: dict[str, list[Code]] = {}
    for code in codes:
        themes.setdefault(code.theme, []).append(code)
    return Codebook(
        name="test",
        themes=tuple(Theme(id=t, codes=tuple(c)) for t, c in themes.items()),
        language=language,
        exclude_speakers=tuple(exclude),
    )


def make_code(
    code_id: str,
    terms: Sequence[str] = (),
    *,
    theme: str = "will",
    sv: Sequence[str] = (),
    patterns: Sequence[Sequence[Mapping[str, Any]]] = (),
    regex: Sequence[str] = (),
    not_: Sequence[str] = (),
) -> Code:
    lang_terms = {"en": tuple(terms)}
    if sv:
        lang_terms["sv"] = tuple(sv)
    return Code(
        id=code_id,
        theme=theme,
        terms=lang_terms,
        patterns=tuple(tuple(p) for p in patterns),
        regex=tuple(regex),
        not_=tuple(not_),
    )


def make_segments(
    *texts: str, speakers: Sequence[str] = (), **attributes: Sequence[Any]
) -> pd.DataFrame:
    rows = []
    offset = 0
    for n, text in enumerate(texts):
        speaker = speakers[n] if speakers else "Anna"
        rows.append(
            (
                "d",
                f"d:t{n:04d}",
                "turn",
                speaker,
                speaker == "Interviewer",
                offset,
                offset + len(text),
                len(text.split()),
                text,
            )
        )
        offset += len(text) + 1
    frame = pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))
    for name, values in attributes.items():
        frame[name] = list(values)
    return frame


def hits_of(segments: pd.DataFrame, codebook: Codebook, **kwargs: Any) -> list[tuple[Any, ...]]:
    if "model" not in kwargs:
        kwargs["pipelines"] = PIPELINES
    hits = code_segments(segments, codebook, **kwargs)
    return list(hits[[CODE, RULE_KIND, RULE, MATCH, NEGATED]].itertuples(index=False, name=None))


@pytest.mark.parametrize(
    ("term", "text", "match"),
    [
        ("motivate", "It was motivating for us.", "motivating"),
        ("motivate", "They MOTIVATED me.", "MOTIVATED"),
        ("motivat*", "Their Motivation grew.", "Motivation"),
        ("want to", "We really wanted\nto make it better.", "wanted\nto"),
        ("follow-up", "The follow-up, then.", "follow-up"),
        ("idea", "(ideas!)", "ideas"),
    ],
)
def test_matching_terms_on_lemma_or_lower_form(term: str, text: str, match: str) -> None:
    codebook = make_codebook(make_code("motivation", [term]))
    assert [h[3] for h in hits_of(make_segments(text), codebook)] == [match]


def test_matching_term_does_not_match_inside_a_word() -> None:
    codebook = make_codebook(make_code("will", ["will"]))
    assert hits_of(make_segments("Goodwill, willpower, but will."), codebook) == [
        ("will", "term", "will", "will", False)
    ]


def test_matching_shared_pipelines_load_once_and_code_the_same() -> None:
    pipelines = Pipelines("en")
    codebook = make_codebook(make_code("motivation", ["motivate"]))
    segments = make_segments("We were motivated.", "Motivate them, again.")
    first = code_segments(segments, codebook, pipelines=pipelines)
    (loaded,) = pipelines.loaded()
    second = code_segments(segments, codebook, pipelines=pipelines)
    assert pipelines.loaded()[0] is loaded  # not loaded again
    assert len(first) == 2
    assert first.equals(second)
    assert first.equals(code_segments(segments, codebook))


def test_matching_offsets_are_document_offsets() -> None:
    codebook = make_codebook(make_code("motivation", ["motivation"]))
    segments = make_segments("Hello there.", "Our motivation.")
    hits = code_segments(segments, codebook)
    assert hits[["segment_id", "start", "end"]].values.tolist() == [["d:t0001", 17, 27]]


def test_matching_regex_is_expanded_to_enclosing_tokens() -> None:
    codebook = make_codebook(make_code("fire", regex=[r"fired up", r"motiv"]))
    assert hits_of(make_segments("So FIRED UP, so motivated."), codebook) == [
        ("fire", "regex", "fired up", "FIRED UP", False),
        ("fire", "regex", "motiv", "motivated", False),
    ]


def test_matching_token_patterns() -> None:
    pattern = [{"LEMMA": {"IN": ["feel", "be"]}}, {"LOWER": {"IN": ["eager", "keen"]}}]
    codebook = make_codebook(make_code("eager", patterns=[pattern]))
    hits = hits_of(make_segments("We felt keen. They are eager."), codebook)
    rule = '[{"LEMMA": {"IN": ["feel", "be"]}}, {"LOWER": {"IN": ["eager", "keen"]}}]'
    assert hits == [
        ("eager", "pattern", rule, "felt keen", False),
        ("eager", "pattern", rule, "are eager", False),
    ]


def test_matching_not_vetoes_overlapping_hits_of_the_same_code_only() -> None:
    codebook = make_codebook(
        make_code("motivation", ["motivate"], not_=["motivated reasoning"]),
        make_code("drive", ["motivate"]),
    )
    assert hits_of(make_segments("Pure motivated reasoning."), codebook) == [
        ("drive", "term", "motivate", "motivated", False)
    ]


def test_matching_one_span_counts_once_per_code_first_rule_wins() -> None:
    codebook = make_codebook(
        make_code("motivation", ["motivation", "motivat*"], regex=["motivation"])
    )
    assert hits_of(make_segments("Motivation."), codebook) == [
        ("motivation", "term", "motivation", "Motivation", False)
    ]


def test_matching_overlapping_codes_are_all_kept() -> None:
    codebook = make_codebook(
        make_code("ideas", ["new idea"], theme="ideas"),
        make_code("novelty", ["new"], theme="ideas"),
    )
    assert hits_of(make_segments("A new idea."), codebook) == [
        ("ideas", "phrase", "new idea", "new idea", False),
        ("novelty", "term", "new", "new", False),
    ]


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("We were not motivated.", True),
        ("We don't feel motivated.", True),
        ("We don’t feel motivated.", True),
        ("Never were we so very much motivated.", False),  # cue beyond the window of 4 tokens
        ("Not at all. We were motivated.", False),  # cue in the sentence before
        ("We were motivated, not bored.", False),  # cue after the hit
    ],
)
def test_matching_negation(text: str, negated: bool) -> None:
    codebook = make_codebook(make_code("motivation", ["motivate"]))
    assert [h[4] for h in hits_of(make_segments(text), codebook)] == [negated]


def test_matching_negation_cues_are_configurable() -> None:
    codebook = make_codebook(make_code("motivation", ["motivate"]))
    codebook = Codebook(
        name="c", themes=codebook.themes, negation=Negation(cues={"en": ("barely",)}, window=2)
    )
    assert [h[4] for h in hits_of(make_segments("barely motivated; not motivated"), codebook)] == [
        True,
        False,
    ]


def test_matching_skips_interviewer_turns_unless_asked() -> None:
    codebook = make_codebook(make_code("motivation", ["motivate"]), exclude=["Moderator"])
    segments = make_segments(
        "Motivated?", "Motivated!", "Motivated.", speakers=["Interviewer", "Anna", "moderator"]
    )
    assert len(hits_of(segments, codebook)) == 1
    assert len(hits_of(segments, codebook, include_interviewer=True)) == 3


def test_matching_uses_the_segment_language() -> None:
    codebook = make_codebook(make_code("will", ["motivation"], sv=["vilja att", "motivation"]))
    segments = make_segments(
        "Ingen motivation, men vi har en vilja att.",
        "Motivation, vilja att.",
        language=["sv", None],
    )
    hits = code_segments(segments, codebook)
    assert hits[["segment_id", MATCH, NEGATED]].values.tolist() == [
        ["d:t0000", "motivation", True],
        ["d:t0000", "vilja att", False],
        ["d:t0001", "Motivation", False],
    ]


@pytest.mark.parametrize(
    ("text", "language", "cue"),
    [
        ("We were not motivated.", "en", "not"),
        ("We didn't feel motivated.", "en", "n't"),
        ("We were NOT motivated.", "en", "NOT"),  # the cue as written
        ("Not now. We were motivated.", "en", ""),
        ("Jag har inte motiverad.", "en", ""),  # not a cue of English
        ("Jag har inte motiverad.", "sv", "inte"),  # the segment's language decides
    ],
)
def test_matching_negation_cue_is_stored(text: str, language: str, cue: str) -> None:
    """Each hit keeps the cue that negated it, as written (#18: explain recomputed it)."""
    code = make_code("motivation", ["motivated", "motiverad"], sv=["motiverad"])
    hits = code_segments(make_segments(text, language=[language]), make_codebook(code))
    assert hits[[NEGATED, NEGATION_CUE]].values.tolist() == [[bool(cue), cue]]


def test_matching_unknown_model_is_one_clear_line() -> None:
    with pytest.raises(CodingError) as info:
        load_pipeline("en", "no_such_pipeline_xyz")
    assert info.value.lines() == [
        "cannot load spaCy pipeline 'no_such_pipeline_xyz': it is neither an installed "
        "pipeline nor a folder saved with nlp.to_disk; check the name or path, or leave out --model"
    ]


def test_matching_saved_model_is_used(tmp_path: Path) -> None:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(tmp_path / "tiny")
    codebook = make_codebook(make_code("motivation", ["motivate"]))
    segments = make_segments("Not! motivated")
    assert hits_of(segments, codebook, model=str(tmp_path / "tiny")) == [
        ("motivation", "term", "motivate", "motivated", False)
    ]
    assert load_pipeline("en", str(tmp_path / "tiny")).components == ["sentencizer"]


def test_matching_tokens_leave_out_whitespace() -> None:
    tokens = tokenize(load_pipeline("en"), ["a  b\n\nc !", ""])
    assert tokens.bounds.tolist() == [0, 4, 4]
    assert tokens.starts.tolist() == [0, 3, 6, 8]
    assert tokens.sentence_starts.tolist() == [True, False, False, False]


def test_matching_engine_pickles_as_its_rules_and_settings(tmp_path: Path) -> None:
    import pickle

    from qca.engine.hits import Engine, code_batch

    codebook = make_codebook(make_code("motivation", ["motivate"], regex=[r"\bkeen\b"]))
    engine = Engine.from_codebook(codebook, model=None)
    segments = make_segments("We were not motivated.", "Keen, motivating.")
    hits = code_batch(segments, engine)  # the engine has built its pipeline and matcher
    copy = pickle.loads(pickle.dumps(engine))  # what a spawned --jobs worker receives
    assert copy.rules == engine.rules
    assert (copy.pipelines.language, copy.pipelines.model) == ("en", None)
    assert copy.pipelines.get("en") is not engine.pipelines.get("en")  # loaded afresh
    pd.testing.assert_frame_equal(code_batch(segments, copy), hits)
    assert len(hits) == 3
