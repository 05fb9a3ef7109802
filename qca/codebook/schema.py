"""The pydantic schema of a qca YAML codebook (phase one of validation).

Unknown keys are rejected (``extra="forbid"`` catches typos such as ``lable``).
Per-language term keys (``terms_sv``, ``terms_de``) are gathered into
``terms_by_language`` before validation; error locations are mapped back.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

#: Per-language term keys: ``terms_`` and a two- or three-letter language code.
LANGUAGE_TERMS_KEY = re.compile(r"^terms_([a-z]{2,3})$")
#: The name of the gathered per-language terms inside the schema.
TERMS_BY_LANGUAGE = "terms_by_language"

_STRICT = ConfigDict(extra="forbid", populate_by_name=False, frozen=True)


def _empty_entries(value: Any) -> Any:
    """Read ``codes:`` with nothing under it, and ``motivation:`` with nothing, as empty."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {key: {} if item is None else item for key, item in value.items()}
    return value


class NegationModel(BaseModel):
    """``negation:``: the window in tokens and the cue words per language."""

    model_config = _STRICT

    window: int = Field(default=4, ge=0, le=50)
    cues: dict[str, list[str]] = Field(default_factory=dict)


class CodeModel(BaseModel):
    """A code: coding rules for people, matching rules for the machine, sub-codes."""

    model_config = _STRICT

    label: str = ""
    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = Field(default_factory=list)
    color: str | None = None
    terms: list[str] = Field(default_factory=list)
    terms_by_language: dict[str, list[str]] = Field(default_factory=dict)
    patterns: list[list[dict[str, Any]]] = Field(default_factory=list)
    regex: list[str] = Field(default_factory=list)
    not_: list[str] = Field(default_factory=list, alias="not")
    fallback: StrictBool = False
    max_words: StrictInt | None = Field(default=None, ge=1)
    codes: dict[str, CodeModel] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _gather_language_terms(cls, data: Any) -> Any:
        if not isinstance(data, dict) or TERMS_BY_LANGUAGE in data:
            return data
        gathered: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        for key, value in data.items():
            match = LANGUAGE_TERMS_KEY.match(key) if isinstance(key, str) else None
            if match:
                gathered[match.group(1)] = value
            else:
                rest[key] = value
        if gathered:
            rest[TERMS_BY_LANGUAGE] = gathered
        return rest

    @field_validator("examples", "terms", "regex", "not_", mode="before")
    @classmethod
    def _one_string_is_a_list(cls, value: Any) -> Any:
        # `terms: motivation` is a list of one term, as in quanteda.
        return [value] if isinstance(value, str) else value

    @field_validator("codes", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return _empty_entries(value)


class ThemeModel(BaseModel):
    """A theme: a label, a definition and its codes."""

    model_config = _STRICT

    label: str = ""
    definition: str = ""
    color: str | None = None
    codes: dict[str, CodeModel] = Field(default_factory=dict)

    @field_validator("codes", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return _empty_entries(value)


class CodebookModel(BaseModel):
    """The whole codebook file."""

    model_config = _STRICT

    name: str
    version: str = "1"
    language: str = "en"
    unit: Literal["turn", "sentence", "paragraph", "document"] = "turn"
    exclude_speakers: list[str] = Field(default_factory=list)
    negation: NegationModel = Field(default_factory=NegationModel)
    description: str = ""
    themes: dict[str, ThemeModel]

    @field_validator("themes", mode="before")
    @classmethod
    def _empty_themes(cls, value: Any) -> Any:
        return _empty_entries(value)

    @field_validator("version", mode="before")
    @classmethod
    def _number_is_a_version(cls, value: Any) -> Any:
        # `version: 1` and `version: 1.2` are how people write versions.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("exclude_speakers", mode="before")
    @classmethod
    def _one_speaker_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


#: Keys allowed at each level, for "did you mean" hints.
CODEBOOK_KEYS = tuple(CodebookModel.model_fields)
THEME_KEYS = tuple(ThemeModel.model_fields)
CODE_KEYS = tuple(
    "not" if key == "not_" else key for key in CodeModel.model_fields if key != TERMS_BY_LANGUAGE
)
NEGATION_KEYS = tuple(NegationModel.model_fields)
UNIT_VALUES = ("turn", "sentence", "paragraph", "document")


# --- spaCy token patterns, checked without importing spaCy --------------------
#
# A sound subset of spaCy 3.8's ``TokenPatternSchema`` (spacy/schemas.py) and of
# what ``Matcher.add`` then compiles (spacy/matcher/matcher.pyx): whatever
# :func:`token_pattern_is_surely_valid` accepts, ``Matcher(validate=True).add``
# accepts too. Anything else (lower-case keys, ``_`` extensions, nested
# predicate dicts, predicates on MORPH, ...) is left to spaCy, which imports in
# about a second and writes the error messages.

#: Attributes whose value is text, or a dict of text predicates.
_TEXT_ATTRIBUTES = frozenset(
    {"ORTH", "TEXT", "LOWER", "LEMMA", "NORM", "POS", "TAG", "DEP", "SHAPE", "ENT_TYPE"}
    | {"ENT_ID", "ENT_KB_ID"}
)
#: Attributes whose value is ``true`` or ``false``.
_FLAG_ATTRIBUTES = frozenset(
    {"SPACY", "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE"}
    | {"IS_PUNCT", "IS_SPACE", "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT", "IS_RIGHT_PUNCT"}
    | {"IS_CURRENCY", "IS_STOP", "IS_SENT_START", "SENT_START", "LIKE_NUM", "LIKE_URL"}
    | {"LIKE_EMAIL"}
)
#: Predicates whose value is a list (of text, or of whole numbers for LENGTH).
_SET_PREDICATES = frozenset({"IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS"})
#: Predicates whose value is one text: a fuzzy match with an optional edit distance.
_FUZZY_PREDICATES = frozenset({"FUZZY", *(f"FUZZY{n}" for n in range(1, 10))})
#: Predicates comparing LENGTH with a number.
_COMPARISONS = frozenset({"==", "!=", ">=", "<=", ">", "<"})
_SIMPLE_OPERATORS = frozenset({"+", "*", "?", "!"})
# ``{n}``, ``{n,}``, ``{,m}``, ``{n,m}`` with ASCII digits (at most three each).
_MIN_MAX = re.compile(r"\{([0-9]{1,3})\}|\{([0-9]{0,3}),([0-9]{0,3})\}")
_LARGEST = 2**63  # spaCy stores attribute values as unsigned 64-bit ids


def token_pattern_is_surely_valid(pattern: Any) -> bool:
    """Decide, without spaCy, that spaCy's ``Matcher`` certainly accepts a token pattern.

    ``False`` means "not sure": validate with spaCy then (it may well be fine).

    Args:
        pattern: One token pattern as read from YAML: a list of token dicts.

    Returns:
        ``True`` only when every token uses known upper-case attributes with
        values of the right type, and a valid ``OP``.

    Examples:
        >>> token_pattern_is_surely_valid([{"LOWER": {"IN": ["keen", "eager"]}, "OP": "?"}])
        True
        >>> token_pattern_is_surely_valid([{"LOWR": "keen"}])
        False
    """
    if type(pattern) is not list or not pattern:
        return False
    return all(type(token) is dict and _token_is_valid(token) for token in pattern)


def _token_is_valid(token: dict[Any, Any]) -> bool:
    for key, value in token.items():
        if type(key) is not str:
            return False
        if key in _TEXT_ATTRIBUTES:
            ok = _is_text(value) or (type(value) is dict and _text_predicates_valid(value))
        elif key in _FLAG_ATTRIBUTES:
            ok = type(value) is bool
        elif key == "MORPH":
            ok = _is_text(value)
        elif key == "LENGTH":
            ok = _is_id(value) or (type(value) is dict and _number_predicates_valid(value))
        elif key == "ENT_IOB":
            ok = value in ("", "I", "O", "B") if type(value) is str else _is_iob_number(value)
        elif key == "OP":
            ok = _operator_is_valid(value)
        else:
            return False  # unknown, lower-case, or `_` extensions: spaCy decides
        if not ok:
            return False
    return True


def _is_text(value: Any) -> bool:
    if type(value) is not str:
        return False
    try:
        value.encode("utf-8")  # spaCy's string store rejects lone surrogates
    except UnicodeEncodeError:
        return False
    return True


def _is_id(value: Any) -> bool:
    return type(value) is int and 0 <= value < _LARGEST


def _is_iob_number(value: Any) -> bool:
    return type(value) is int and 0 <= value <= 3


def _is_regex(value: Any) -> bool:
    if not _is_text(value):
        return False
    with warnings.catch_warnings():
        # A regex that warns is left to spaCy, so the warning shows as before
        # (an error here also keeps it out of `re`'s cache).
        warnings.simplefilter("error")
        try:
            re.compile(value)
        except (re.error, Warning, RecursionError, OverflowError, ValueError):
            return False
    return True


def _text_predicates_valid(predicates: dict[Any, Any]) -> bool:
    for name, value in predicates.items():
        if name == "REGEX":
            ok = _is_regex(value)
        elif name in _SET_PREDICATES:
            ok = type(value) is list and all(_is_text(item) for item in value)
        elif name in _FUZZY_PREDICATES:
            ok = _is_text(value)
        else:
            return False  # nested dicts and lower-case names: spaCy decides
        if not ok:
            return False
    return True


def _number_predicates_valid(predicates: dict[Any, Any]) -> bool:
    for name, value in predicates.items():
        if name == "REGEX":
            ok = _is_regex(value)
        elif name in _SET_PREDICATES:
            ok = type(value) is list and all(_is_id(item) for item in value)
        elif name in _COMPARISONS:
            ok = _is_id(value) or (
                type(value) is float and math.isfinite(value) and abs(value) < _LARGEST
            )
        else:
            return False
        if not ok:
            return False
    return True


def _operator_is_valid(value: Any) -> bool:
    if type(value) is not str:
        return False
    if value in _SIMPLE_OPERATORS:
        return True
    match = _MIN_MAX.fullmatch(value)
    if match is None:
        return False
    exact, low, high = match.groups()
    if exact is not None:
        return True
    if not low and not high:
        return False  # `{,}` names no bound
    return not (low and high and int(low) > int(high))
