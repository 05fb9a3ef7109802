"""The chunk tokenizer and the joined regex scan give what the plain ways give (issue #9)."""

from __future__ import annotations

import functools
import random
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qca.codebook.model import Code, Codebook, Theme
from qca.engine import regexes
from qca.engine.hits import code_segments
from qca.engine.lexicon import Grow, Lexicon, Shortcut
from qca.engine.pipeline import Pipeline, Tokens, load_pipeline, tokenize, tokenize_with_spacy
from tests.test_matching import PIPELINES, make_segments

if TYPE_CHECKING:
    from spacy.language import Language

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


@functools.cache
def _pipeline(language: str) -> Pipeline:
    """Return one pipeline per language for the module (its lexicon grows across tests)."""
    return load_pipeline(language)


def _same(texts: list[str], language: str = "en") -> None:
    pipeline = _pipeline(language)
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


def _spacy_splits_each_chunk_alone(text: str, language: str = "en") -> bool:
    """Whether spaCy splits every space-separated chunk of *text* as it splits it alone.

    spaCy does not always: ``1:) )`` gives ``1 : ) )`` but ``1:)`` alone gives ``1 :)``,
    as does ``1:) x``. The lexicon splits a chunk once, the same way in every text.
    """
    tokenizer = _pipeline(language).nlp.tokenizer
    in_text = [t.text for t in tokenizer(text) if not t.is_space]
    alone = [t.text for c in text.split(" ") if c for t in tokenizer(c) if not t.is_space]
    return in_text == alone


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab.'-:)( \n\u00a0Ö1%$")), max_size=30)))
def test_lexicon_tokens_equal_spacy_on_random_text(texts: list[str]) -> None:
    assume(all(_spacy_splits_each_chunk_alone(t) for t in texts))
    _same(texts)


def test_lexicon_splits_a_chunk_one_way_where_spacy_splits_it_two() -> None:
    tokenizer = _pipeline("en").nlp.tokenizer
    assert [t.text for t in tokenizer("1:) )")] == ["1", ":", ")", ")"]  # spaCy's quirk
    assert [t.text for t in tokenizer("1:) x")] == ["1", ":)", "x"]
    assert not _spacy_splits_each_chunk_alone("1:) )")
    tokens = tokenize(_pipeline("en"), ["1:) )"])
    assert ["1:) )"[s:e] for s, e in zip(tokens.starts, tokens.ends, strict=True)] == [
        "1",
        ":)",
        ")",
    ]


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
    hits = code_segments(make_segments(*texts), codebook, pipelines=PIPELINES)
    return sorted(map(tuple, hits.astype(str).to_numpy().tolist()))


def test_lexicon_joined_regex_scan_equals_scan_per_segment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert regexes.required_literal(r"\bnettle(?:s|ed)?\b") == "nettle"
    assert regexes.required_literal(r"ab(?:cdef)? xy") is None  # short runs; groups skipped
    screened = _regex_hits(TEXTS)
    monkeypatch.setattr(regexes, "required_literal", lambda regex: None)
    joined = _regex_hits(TEXTS)
    monkeypatch.setattr(regexes, "NEEDS_OWN_TEXT", re.compile(""))  # every regex per segment
    alone = _regex_hits(TEXTS)
    assert len(joined) > 25
    assert screened == joined == alone


# --- the shortcut: chunks split without spaCy's tokenizer, exactly as it would ----------


@functools.cache
def _blank(language: str) -> Language:
    import spacy

    return spacy.blank(language)


def _spacy_tokens(nlp: Language, text: str) -> list[tuple[int, int, str]]:
    return [(t.idx, t.idx + len(t), t.text) for t in nlp.tokenizer(text) if not t.is_space]


def _lexicon_tokens(nlp: Language, text: str) -> tuple[list[tuple[int, int, str]], Lexicon]:
    lexicon = Lexicon(str, str.lower, lambda word: False)
    found = lexicon.tokenize(nlp, [text])
    strings = [lexicon.strings[i] for i in found.strings.tolist()]
    return list(zip(found.starts.tolist(), found.ends.tolist(), strings, strict=True)), lexicon


def _expected_by_cut(chunk: str, cut: int) -> list[str]:
    return [chunk] if cut == 0 else [chunk[:-cut], chunk[-cut:]]


TRICKY = [
    "can't", "cannot", "don't,", "don't", "Don't.", "a.", "a.,", "etc.", "etc.,", "U.S.", "U.S.,",
    ":)", ":),", "(:", "'s", "it's", "it's.", "John's", "John's,", "10km", "10km.", "10", "10.",
    "3.5,", "$20", "20$", "50%", "50%.", "co-design", "co-design,", "well-being.", "--", "a--b",
    "e-mail", "https://nhs.uk/a?b=c", "https://nhs.uk/a?b=c.", "www.nhs.uk,", "x@y.org",
    "x@y.org.", "\"quoted\"", "quoted\"", "'quoted'", "quoted',", "‘curly’", "curly’.", "“x”,",
    "Ö.", "är,", "t.ex.", "t.ex.,", "bl.a.", "bl.a.,", "İstanbul,", "ſ.", "🙂", "word🙂",
    "naïve;", "café!", "Mr.", "Mr.,", "dr.", "o'clock", "o'clock.", "y'all", "gonna", "gonna,",
    "a.m.", "a.m.,", "p.m", "5pm", "5p.m.", "1st.", "C++", "#tag", "@user", "x...", "x…",
    "word!?", "what?!", "(word)", "word)", "[x].", "i.e.", "e.g.,", "'", "''", "’", "..", ".",
    "°C.", "5°C.", "5kg,", "kg.", "Ms", "St.", "vs.", "v.", "Inc.,", "N.H.S.", "nhs.", "\u00ad.",
]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "sv"])
def test_lexicon_shortcut_tokens_equal_spacy_on_tricky_chunks(language: str) -> None:
    nlp = _blank(language)
    for chunk in TRICKY:
        assert _lexicon_tokens(nlp, chunk)[0] == _spacy_tokens(nlp, chunk), chunk
    cuts = Shortcut.of(nlp.tokenizer).cuts(TRICKY)
    decided = 0
    for chunk, cut in zip(TRICKY, cuts, strict=True):
        if cut >= 0:
            decided += 1
            assert _expected_by_cut(chunk, cut) == [t for *_, t in _spacy_tokens(nlp, chunk)], chunk
    assert decided >= 20  # the tricky ones mostly go to spaCy, but not all of them


@pytest.mark.parametrize("language", ["en", "sv"])
def test_lexicon_shortcut_sends_special_cases_and_urls_to_spacy(language: str) -> None:
    shortcut = Shortcut.of(_blank(language).tokenizer)
    specials = ["can't", "don't,", ":)", "a.", "Mr.", "t.ex."]
    specials = [c for c in specials if c in shortcut.specials or c[:-1] in shortcut.specials]
    others = ["https://nhs.uk/a?b=c", "https://nhs.uk/a?b=c.", "(word", "word)."]
    assert len(specials) >= 2
    assert shortcut.cuts(specials + others) == [-1] * (len(specials) + len(others))
    plain = ["coaching", "coaching,", "team.", "vård", "vård.", "10km", "x@y.org."]
    assert shortcut.cuts(plain) == [0, 1, 1, 0, 1, 2, 1]


ALPHABET = list("abzAZéÖßıİ019.,'’\"-–:;!?()[]%$€/@#&*+=_~…🙂°") + ["km", "s", "n't", "..."]


@pytest.mark.parametrize("language", ["en", "sv"])
def test_lexicon_shortcut_decisions_equal_spacy_on_many_random_chunks(language: str) -> None:
    nlp = _blank(language)
    rng = random.Random(11)
    words = ["care", "team", "we", "it", "Ö", "10", "U.S", "don't", "a", "etc", "Mr"]
    chunks = {
        "".join(rng.choice(ALPHABET + words) for _ in range(rng.randint(1, 5))) for _ in range(4000)
    }
    ordered = sorted(chunks)
    cuts = Shortcut.of(nlp.tokenizer).cuts(ordered)
    for chunk, cut in zip(ordered, cuts, strict=True):
        if cut >= 0:
            assert _expected_by_cut(chunk, cut) == [t for *_, t in _spacy_tokens(nlp, chunk)], chunk
    assert sum(c == 0 for c in cuts) > 300
    assert sum(c > 0 for c in cuts) > 300
    assert sum(c < 0 for c in cuts) > 300


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=8).map("".join))
def test_lexicon_shortcut_decision_equals_spacy_on_random_chunk(chunk: str) -> None:
    for language in ("en", "sv"):
        nlp = _blank(language)
        cut = Shortcut.of(nlp.tokenizer).cuts([chunk])[0]
        if cut >= 0:
            assert _expected_by_cut(chunk, cut) == [t for *_, t in _spacy_tokens(nlp, chunk)]
        assert _lexicon_tokens(nlp, chunk)[0] == _spacy_tokens(nlp, chunk)


def test_lexicon_shortcut_is_taken_for_plain_words() -> None:
    nlp = _blank("en")
    tokens, lexicon = _lexicon_tokens(nlp, "We liked the coaching, and the team. Really")
    assert [t for *_, t in tokens] == [
        "We", "liked", "the", "coaching", ",", "and", "the", "team", ".", "Really",
    ]  # fmt: skip
    assert lexicon.spacy_chunks == 0
    _, lexicon = _lexicon_tokens(nlp, "we can't, (really) coaching")
    assert lexicon.spacy_chunks == 2  # "can't," and "(really)"


def test_lexicon_shortcut_is_not_used_with_a_custom_tokenizer() -> None:
    import spacy
    from spacy.tokenizer import Tokenizer

    class Custom(Tokenizer):  # type: ignore[misc]
        """A subclass may tokenise differently: the shortcut must not guess."""

    nlp = spacy.blank("en")
    plain: Any = nlp.tokenizer
    nlp.tokenizer = Custom(
        nlp.vocab, plain.rules, plain.prefix_search, plain.suffix_search, plain.infix_finditer
    )
    tokens, lexicon = _lexicon_tokens(nlp, "coaching, team. we")
    assert [t for *_, t in tokens] == ["coaching", ",", "team", ".", "we"]
    assert lexicon.spacy_chunks == 3


def test_lexicon_shortcut_copes_with_a_tokenizer_without_rules() -> None:
    import spacy
    from spacy.tokenizer import Tokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = Tokenizer(nlp.vocab)
    shortcut = Shortcut.of(nlp.tokenizer)
    assert shortcut.specials == frozenset()
    assert shortcut.cuts(["can't,", "a.", "(x)"]) == [0, 0, 0]
    tokens, lexicon = _lexicon_tokens(nlp, "can't, a. (x)")
    assert tokens == _spacy_tokens(nlp, "can't, a. (x)")
    assert lexicon.spacy_chunks == 0


def test_lexicon_shortcut_respects_token_match() -> None:
    import spacy
    from spacy.tokenizer import Tokenizer

    nlp = spacy.blank("en")
    plain: Any = nlp.tokenizer
    nlp.tokenizer = Tokenizer(
        nlp.vocab,
        plain.rules,
        plain.prefix_search,
        plain.suffix_search,
        plain.infix_finditer,
        token_match=re.compile(r"^(?:[a-z]+\.|[0-9]+km)$").match,
    )
    chunks = ["team.", "team", "Team.", "10km"]
    cuts = Shortcut.of(nlp.tokenizer).cuts(chunks)
    assert cuts == [-1, 0, 1, -1]
    for chunk in chunks:
        assert _lexicon_tokens(nlp, chunk)[0] == _spacy_tokens(nlp, chunk), chunk


def test_lexicon_shortcut_leaves_special_suffixes_and_bare_suffixes_to_spacy() -> None:
    import spacy
    from spacy.tokenizer import Tokenizer

    nlp = spacy.blank("en")
    rules = {"xy": [{"ORTH": "x"}, {"ORTH": "y"}]}
    suffix = re.compile(r"(?:xy|zz)$").search
    nlp.tokenizer = Tokenizer(nlp.vocab, rules, suffix_search=suffix)
    chunks = ["abxy", "zz", "abzz", "ab", "xy"]
    assert Shortcut.of(nlp.tokenizer).cuts(chunks) == [-1, -1, 2, 0, -1]
    assert [t for *_, t in _spacy_tokens(nlp, "abxy")] == ["ab", "x", "y"]
    for chunk in chunks:
        assert _lexicon_tokens(nlp, chunk)[0] == _spacy_tokens(nlp, chunk), chunk


def test_lexicon_shortcut_accepts_any_infix_finder() -> None:
    import spacy
    from spacy.tokenizer import Tokenizer

    nlp = spacy.blank("en")
    plain: Any = nlp.tokenizer

    def hyphens(text: str) -> list[re.Match[str]]:
        return list(re.finditer("-", text))

    nlp.tokenizer = Tokenizer(nlp.vocab, {}, None, plain.suffix_search, hyphens)
    shortcut = Shortcut.of(nlp.tokenizer)
    chunks = ["co-op", "coop", "coop.", "co-op.", "(coop"]
    assert shortcut.cuts(chunks) == [-1, 0, 1, -1, 0]
    assert shortcut.cuts(chunks) == [-1, 0, 1, -1, 0]  # the same once words are known
    for chunk in chunks:
        assert _lexicon_tokens(nlp, chunk)[0] == _spacy_tokens(nlp, chunk), chunk


def test_lexicon_is_context_free_where_spacy_is_not() -> None:
    """A known difference, found by the property above: spaCy splits ``):`` after a ``:``
    it split off the text before (``: ):a`` -> ``:``, ``)``, ``:``, ``a``) but not alone
    (``):a`` -> ``):``, ``a``); the lexicon gives a chunk the same tokens wherever it stands."""
    pipeline = _pipeline("en")

    def words(tokens: Tokens, text: str) -> list[str]:
        return [text[a:b] for a, b in zip(tokens.starts, tokens.ends, strict=True)]

    assert words(tokenize_with_spacy(pipeline, ["):a"]), "):a") == ["):", "a"]
    assert words(tokenize_with_spacy(pipeline, [": ):a"]), ": ):a") == [":", ")", ":", "a"]
    assert words(tokenize(pipeline, ["):a"]), "):a") == ["):", "a"]
    assert words(tokenize(pipeline, [": ):a"]), ": ):a") == [":", "):", "a"]


def _screen_flags(literals: list[str], strings: list[str]) -> list[list[list[bool]]]:
    lexicon = Lexicon(str, str.lower, bool, strings=strings, lowers=list(strings))
    screen = regexes.TokenScreen(literals)
    return [[g.view.tolist() for g in triple] for triple in screen.update(lexicon)]


_SCREEN_TEXT = st.text(alphabet="abAB\u212a\u0130\u0131kK\x00é-", max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet="abkK\u212a\u0131é-", min_size=3, max_size=5), min_size=1, max_size=3
    ),
    st.lists(_SCREEN_TEXT, min_size=1, max_size=12),
)
def test_lexicon_token_screen_joined_scan_equals_scan_per_string(
    literals: list[str], strings: list[str]
) -> None:
    """The screen's scan of the NUL-joined strings flags what a scan per string does."""
    joined = _screen_flags(literals, strings)  # with a NUL in a string: the loop per string
    expected = []
    for literal in literals:
        one = regexes.TokenScreen([literal])
        expected.append(
            [
                [one.inside[0].search(s) is not None for s in strings],
                [one.ending[0].search(s) is not None for s in strings],
                [one.opening[0].match(s) is not None for s in strings],
            ]
        )
    assert joined == expected


def test_lexicon_by_lower_keeps_one_id_without_a_list() -> None:
    """Most lower cases belong to one string: its id is kept alone, a list only for several."""
    pipeline = load_pipeline("en")
    tokens = tokenize(pipeline, ["Walk walk WALK run"])
    lexicon = tokens.lexicon
    ids = lexicon.ids
    assert lexicon.by_lower["run"] == ids["run"]
    assert lexicon.by_lower["walk"] == [ids["Walk"], ids["walk"], ids["WALK"]]
    assert "absent" not in lexicon.by_lower


def test_lexicon_spacy_tokenizer_keeps_no_strings_of_new_chunks() -> None:
    """Chunks tokenised by spaCy leave no string or lexeme in its vocab (a memory zone)."""
    pipeline = load_pipeline("en")
    nlp = pipeline.nlp
    if not hasattr(nlp, "memory_zone"):
        pytest.skip("spaCy before 3.8 has no memory zones")
    texts = [f"(zqx{n}-wvu{n}!) 'kk{n}'" for n in range(200)]
    before = len(nlp.vocab.strings)
    tokens = tokenize(pipeline, texts)
    assert tokens.lexicon.spacy_chunks >= 200
    assert len(nlp.vocab.strings) - before < 20  # not one per new token (over 1,000)
    assert tokenize(pipeline, texts).orths.tolist() == tokens.orths.tolist()
    expected = tokenize_with_spacy(load_pipeline("en"), texts)
    strings = tokens.strings
    assert [strings[o] for o in tokens.orths.tolist()] == [
        expected.strings[o] for o in expected.orths.tolist()
    ]


@given(st.lists(st.lists(st.integers(0, 2**31 - 1), max_size=700), max_size=12))
def test_lexicon_grow_appends_and_keeps_a_quarter_spare_at_most(parts: list[list[int]]) -> None:
    grow = Grow(np.int32)
    for part in parts:
        grow.extend(part)
        assert len(grow.data) <= max(1024, grow.size * 5 // 4 + 1)
    assert grow.view.tolist() == [n for part in parts for n in part]
