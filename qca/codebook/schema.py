"""The pydantic schema of a qca YAML codebook (phase one of validation).

Unknown keys are rejected (``extra="forbid"`` catches typos such as ``lable``).
Per-language term keys (``terms_sv``, ``terms_de``) are gathered into
``terms_by_language`` before validation; error locations are mapped back.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
