"""The pure-Python token-pattern pre-check: sound against spaCy, and spaCy stays unimported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qca.codebook import read_codebook
from qca.codebook.schema import (
    _FLAG_ATTRIBUTES,
    _TEXT_ATTRIBUTES,
    token_pattern_is_surely_valid,
)

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "codebooks").glob("*.yaml"))
# Golden cases whose token patterns are all valid.
PATTERN_CASES = [
    ROOT / "tests" / "cases" / name / "codebook.yaml"
    for name in ("code-regex-patterns", "codebook-clean", "codebook-warnings")
]
SETTINGS = settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def vocab() -> Any:
    spacy = pytest.importorskip("spacy")
    return spacy.blank("en").vocab


def spacy_accepts(vocab: Any, pattern: list[dict[str, Any]]) -> bool:
    """Return whether ``Matcher(validate=True).add`` takes the pattern (warnings are errors)."""
    from spacy.matcher import Matcher

    try:
        Matcher(vocab, validate=True).add("check", [pattern])
    except Exception:  # noqa: BLE001 - any refusal counts, whatever spaCy raises
        return False
    return True


# --- generated patterns -------------------------------------------------------

# Values near the edge of valid, per kind of attribute, so that one wrong detail
# decides; plus values of the wrong type and names spaCy does not know.
WRONG = st.sampled_from([None, True, 1, 1.5, -1, [], {}, "keen", ["keen"], {"IN": []}])
TEXTS = st.one_of(
    st.text(max_size=3),
    st.sampled_from(["", "I", "keen", "(", "a+", "[[a]", "\\", "\ud800", "x\udfff", "Number=Sing"]),
)
NUMBERS = st.one_of(
    st.integers(min_value=-2, max_value=4),
    st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), True, False]),
    st.sampled_from([0.5, 3.5, -2.0, 1e300, float("nan"), float("inf"), float("-inf")]),
)
OPERATORS = st.one_of(
    st.sampled_from(["+", "*", "?", "!", "1", "", "+\n", "{}", "{,}", "{ 1}", "{\u0661}"]),
    st.builds(
        lambda low, high, comma: "{" + low + ("," if comma else "") + high + "}",
        st.sampled_from(["", "0", "1", "2", "10", "007", "1000"]),
        st.sampled_from(["", "0", "1", "3", "10", "999"]),
        st.booleans(),
    ),
)
SET_NAMES = st.sampled_from(["IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS"])
FUZZY_NAMES = st.sampled_from(["FUZZY", "FUZZY1", "FUZZY9", "FUZZY10", "fuzzy"])
COMPARE_NAMES = st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "=<", "EQ"])
OTHER_NAMES = st.sampled_from(["regex", "in", "Regex", "REGEXP", "", "_"])


def predicate_dicts(leaf: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Predicate dicts over *leaf* values, sometimes nested, sometimes misnamed."""
    one = st.one_of(
        st.tuples(st.just("REGEX"), st.one_of(TEXTS, WRONG)),
        st.tuples(SET_NAMES, st.one_of(st.lists(leaf, max_size=3), leaf, WRONG)),
        st.tuples(FUZZY_NAMES, st.one_of(TEXTS, WRONG)),
        st.tuples(COMPARE_NAMES, st.one_of(NUMBERS, WRONG)),
        st.tuples(OTHER_NAMES, st.one_of(leaf, WRONG)),
        st.tuples(
            st.sampled_from(["REGEX", "FUZZY", "FUZZY2"]),
            st.dictionaries(st.one_of(SET_NAMES, st.just("REGEX")), st.lists(TEXTS), max_size=1),
        ),
    )
    return st.lists(one, max_size=2).map(dict)


TEXT_VALUES = st.one_of(TEXTS, predicate_dicts(TEXTS), WRONG)
NUMBER_VALUES = st.one_of(NUMBERS, predicate_dicts(NUMBERS), WRONG)
ENTRIES = st.one_of(
    st.tuples(st.sampled_from(sorted(_TEXT_ATTRIBUTES | {"MORPH"})), TEXT_VALUES),
    st.tuples(st.sampled_from(sorted(_FLAG_ATTRIBUTES)), st.one_of(st.booleans(), WRONG)),
    st.tuples(st.just("LENGTH"), NUMBER_VALUES),
    st.tuples(st.just("ENT_IOB"), st.one_of(st.sampled_from(["", "I", "O", "B", "X"]), NUMBERS)),
    st.tuples(st.just("OP"), st.one_of(OPERATORS, WRONG)),
    st.tuples(
        st.sampled_from(["lower", "Lower", "LOWR", "PREFIX", "SUFFIX", "_", "", "IS_SENT"]),
        st.one_of(TEXT_VALUES, st.booleans()),
    ),
)
TOKENS = st.lists(ENTRIES, max_size=2).map(dict)
PATTERNS = st.lists(TOKENS, min_size=1, max_size=2)

# Only what the pre-check means to accept, to show it is not vacuous.
GOOD_TEXTS = st.text(max_size=5)
GOOD_TEXT_VALUES = st.one_of(
    GOOD_TEXTS,
    st.fixed_dictionaries(
        {},
        optional={
            "IN": st.lists(GOOD_TEXTS, max_size=3),
            "NOT_IN": st.lists(GOOD_TEXTS, max_size=3),
            "INTERSECTS": st.lists(GOOD_TEXTS, max_size=3),
            "REGEX": st.sampled_from(["^keen$", "a+", "(?i)x|y", ""]),
            "FUZZY2": GOOD_TEXTS,
        },
    ),
)
IDS = st.integers(min_value=0, max_value=2**63 - 1)
GOOD_TOKENS = st.fixed_dictionaries(
    {},
    optional={
        "LOWER": GOOD_TEXT_VALUES,
        "LEMMA": GOOD_TEXT_VALUES,
        "POS": GOOD_TEXT_VALUES,
        "MORPH": GOOD_TEXTS,
        "IS_PUNCT": st.booleans(),
        "SENT_START": st.booleans(),
        "ENT_IOB": st.sampled_from(["", "I", "O", "B", 0, 1, 2, 3]),
        "LENGTH": st.one_of(
            IDS,
            st.fixed_dictionaries(
                {},
                optional={
                    ">=": IDS,
                    "<": st.floats(min_value=-1e9, max_value=1e9),
                    "IN": st.lists(IDS, max_size=3),
                },
            ),
        ),
        "OP": st.sampled_from(["+", "*", "?", "!", "{2}", "{0,}", "{,3}", "{1,1}", "{0}"]),
    },
)
GOOD_PATTERNS = st.lists(GOOD_TOKENS, min_size=1, max_size=4)


@SETTINGS
@given(pattern=PATTERNS)
def test_codebook_fastcheck_is_sound(vocab: Any, pattern: list[dict[str, Any]]) -> None:
    if token_pattern_is_surely_valid(pattern):
        assert spacy_accepts(vocab, pattern), pattern


@SETTINGS
@given(pattern=GOOD_PATTERNS)
def test_codebook_fastcheck_accepts_plain_patterns(
    vocab: Any, pattern: list[dict[str, Any]]
) -> None:
    assert token_pattern_is_surely_valid(pattern), pattern
    assert spacy_accepts(vocab, pattern), pattern


def single_entry_tokens() -> list[dict[str, Any]]:
    """Every token of one attribute over a grid of edge values, predicate dicts included."""
    texts = ["", "I", "keen", "(", "a+", "[[a]", "\\", "\ud800", "Number=Sing"]
    numbers: list[Any] = [-1, 0, 3, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 3.5, -2.0, 1e300]
    numbers += [float("nan"), float("inf"), True, False]
    leaves: list[Any] = [*texts, *numbers, None, [], {}]
    inner: list[Any] = [*leaves, *([leaf] for leaf in leaves), ["a", 1], ["(", "b"]]
    inner += [{"IN": ["a"]}, {"IN": ["("]}, {"REGEX": "("}, {"REGEX": "a"}, {"FUZZY": "a"}]
    predicates = ["REGEX", "IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS"]
    predicates += ["FUZZY", "FUZZY1", "FUZZY9", "FUZZY10", "==", "!=", ">=", "<=", ">", "<"]
    predicates += ["in", "regex", "EQ", ""]
    dicts: list[Any] = [{}, *({name: value} for name in predicates for value in inner)]
    dicts += [{"IN": ["a"], "REGEX": "b"}, {">=": 1, "<": 2.5}, {"IN": [1], "REGEX": "("}]
    operators = ["+", "*", "?", "!", "1", "", "+\n", "{}", "{,}", "{ 1}", "{\u0661}", "{1,2,3}"]
    operators += ["{0}", "{2}", "{0,}", "{,0}", "{,3}", "{1,1}", "{3,2}", "{10,3}", "{007,10}"]
    operators += ["{1000}", "{999,}"]
    names = sorted(_TEXT_ATTRIBUTES | _FLAG_ATTRIBUTES | {"MORPH", "LENGTH", "ENT_IOB", "OP"})
    names += ["lower", "Lower", "LOWR", "PREFIX", "SUFFIX", "_", "", "IS_SENT"]
    scalars = [*leaves, *operators, "O", "B", "X", 4]
    tokens = [{name: value} for name in names for value in scalars]
    for name in ("LOWER", "TEXT", "MORPH", "LENGTH", "ENT_IOB", "IS_ALPHA", "OP", "lower", "_"):
        tokens += [{name: value} for value in dicts]
    return tokens


def test_codebook_fastcheck_is_sound_on_every_single_attribute(vocab: Any) -> None:
    tokens = single_entry_tokens()
    accepted = [token for token in tokens if token_pattern_is_surely_valid([token])]
    refused = [token for token in accepted if not spacy_accepts(vocab, [token])]
    assert refused == []
    assert 300 < len(accepted) < len(tokens) / 2


@pytest.mark.parametrize(
    "pattern",
    [
        [{"LOWR": "keen"}],
        [{"lower": "keen"}],
        [{"LOWER": True}],
        [{"LOWER": {"IN": "keen"}}],
        [{"LOWER": {"IN": ["\ud800"]}}],
        [{"LOWER": {"REGEX": "("}}],
        [{"LOWER": {"REGEX": {"IN": ["a"]}}}],
        [{"LOWER": "a", "OP": "{3,2}"}],
        [{"LOWER": "a", "OP": "{,}"}],
        [{"LOWER": "a", "OP": "%"}],
        [{"LENGTH": 3.5}],
        [{"LENGTH": -1}],
        [{"LENGTH": {"==": True}}],
        [{"LENGTH": {">=": float("nan")}}],
        [{"MORPH": {"IN": ["Number=Sing"]}}],
        [{"IS_ALPHA": 1}],
        [{"ENT_IOB": True}],
        [{"_": {"flag": True}}],
        [],
    ],
)
def test_codebook_fastcheck_leaves_doubtful_patterns_to_spacy(
    pattern: list[dict[str, Any]],
) -> None:
    assert not token_pattern_is_surely_valid(pattern)


def test_codebook_fastcheck_attributes_are_spacys(vocab: Any) -> None:
    from spacy.attrs import IDS as SPACY_IDS
    from spacy.schemas import TokenPattern

    aliases = {field.alias for field in TokenPattern.model_fields.values()}
    renamed = {"TEXT": "ORTH", "IS_SENT_START": "SENT_START"}
    for name in _TEXT_ATTRIBUTES | _FLAG_ATTRIBUTES | {"MORPH", "LENGTH", "ENT_IOB"}:
        assert name in aliases, name
        assert renamed.get(name, name) in SPACY_IDS, name


def test_codebook_fastcheck_accepts_every_shipped_pattern() -> None:
    patterns = [
        list(pattern)
        for path in SHIPPED
        for code in read_codebook(path).codes()
        for pattern in code.patterns
    ]
    assert len(patterns) >= 4
    assert all(token_pattern_is_surely_valid(pattern) for pattern in patterns)


def test_codebook_fastcheck_reading_does_not_import_spacy() -> None:
    paths = [str(path) for path in [*SHIPPED, *PATTERN_CASES]]
    code = (
        "import sys\nfrom qca.codebook import check_codebook, read_codebook\n"
        f"paths = {paths!r}\n"
        "for path in paths[:{shipped}]:\n    read_codebook(path)\n"
        "for path in paths[{shipped}:]:\n    check_codebook(path)\n"
        "print(len(paths), 'spacy' in sys.modules)"
    ).replace("{shipped}", str(len(SHIPPED)))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout == f"{len(SHIPPED) + len(PATTERN_CASES)} False\n"


def test_codebook_fastcheck_bad_patterns_still_use_spacy() -> None:
    path = ROOT / "tests" / "cases" / "codebook-bad-patterns" / "codebook.yaml"
    code = (
        "import sys\nfrom qca.codebook import check_codebook\n"
        f"problems = check_codebook({str(path)!r})\n"
        "print(len(problems), 'spacy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "5 True\n"
