"""Write a codebook as qca YAML or as a dictionary in another format.

Writers are deterministic (same codebook, same bytes) and never drop
information silently: what a format cannot carry is returned as warnings that
name the code and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qca.codebook.categories import codebook_to_categories
from qca.codebook.dictionary_writers import DICTIONARY_WRITERS, Flow, dump_yaml
from qca.codebook.model import DEFAULT_NEGATION_CUES, DEFAULT_NEGATION_WINDOW, Code, Codebook
from qca.errors import CodebookError, Problem
from qca.io import atomic_write_text

#: Formats written, with the suffix each is chosen by (YAML defaults to qca YAML).
WRITE_FORMATS: dict[str, str] = {
    "qca": ".yaml",
    "quanteda": ".yml",
    "liwc": ".dic",
    "dicx": ".dicx",
    "wordstat": ".cat",
    "qdc": ".qdc",
}
FORMAT_NAMES: dict[str, str] = {
    "qca": "qca YAML",
    "quanteda": "quanteda YAML",
    "liwc": "LIWC .dic",
    "dicx": "LIWC-22 .dicx",
    "wordstat": "WordStat .cat",
    "qdc": "REFI-QDA .qdc",
}
_SUFFIXES = {".yaml": "qca", ".yml": "qca", ".dic": "liwc", ".dicx": "dicx", ".cat": "wordstat"}
_SUFFIXES[".qdc"] = "qdc"


def output_format(path: Path, fmt: str | None = None) -> str:
    """Return the format to write: *fmt* if given, else from the suffix of *path*.

    Raises:
        CodebookError: When neither names a format qca writes.
    """
    if fmt is not None:
        if fmt not in WRITE_FORMATS:
            raise CodebookError(
                f"{path}: unknown output format `{fmt}`; use one of {', '.join(WRITE_FORMATS)}"
            )
        return fmt
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        suffixes = ", ".join(sorted(_SUFFIXES))
        raise CodebookError(
            f"{path}: cannot tell the output format from `{path.suffix or path.name}`; "
            f"use a suffix ({suffixes}) or --to {{{','.join(WRITE_FORMATS)}}}"
        )
    return found


def write_dictionary(codebook: Codebook, path: str | Path, fmt: str | None = None) -> list[Problem]:
    """Write *codebook* to *path* as qca YAML or another dictionary format.

    Args:
        codebook: The codebook to write.
        path: The output file, written atomically.
        fmt: ``qca``, ``quanteda``, ``liwc``, ``dicx``, ``wordstat`` or ``qdc``;
            by default from the suffix of *path* (``.yaml``/``.yml`` mean qca YAML).

    Returns:
        Warnings naming what the format could not carry.

    Examples:
        >>> warnings = write_dictionary(read_codebook("esther.yaml"), "esther.dic")  # doctest: +SKIP
    """
    out = Path(path)
    chosen = output_format(out, fmt)
    text, problems = format_codebook(codebook, chosen, shown=str(path), stem=out.stem)
    atomic_write_text(out, text)
    return problems


def format_codebook(
    codebook: Codebook, fmt: str, *, shown: str = "", stem: str = ""
) -> tuple[str, list[Problem]]:
    """Return *codebook* as text in *fmt*, and warnings about what it cannot carry."""
    if fmt == "qca":
        return codebook_to_yaml(codebook), []
    problems = not_carried(codebook, fmt, shown=shown, stem=stem)
    categories = codebook_to_categories(codebook)
    if fmt == "dicx" and any(top.children for top in categories):
        problems.append(
            Problem(shown, "nesting of categories is not carried (flattened)", severity="warning")
        )
    if fmt in DICTIONARY_WRITERS:
        return DICTIONARY_WRITERS[fmt](categories), problems
    raise CodebookError(f"unknown output format `{fmt}`")  # pragma: no cover


# --- what does not fit ----------------------------------------------------------------


def not_carried(codebook: Codebook, fmt: str, *, shown: str, stem: str) -> list[Problem]:
    """Name every field of *codebook* that *fmt* cannot carry, one warning per owner."""
    target = FORMAT_NAMES[fmt]
    out: list[Problem] = []

    def report(where: str, fields: list[str]) -> None:
        if fields:
            verb = "is" if len(fields) == 1 else "are"
            out.append(
                Problem(
                    shown,
                    f"{', '.join(fields)} {verb} not carried by {target}",
                    where=where,
                    severity="warning",
                )
            )

    fields: list[str] = []
    if stem and codebook.name != stem:
        fields.append(f"name ({codebook.name})")
    if codebook.version != "1":
        fields.append(f"version ({codebook.version})")
    if codebook.language != "en" and fmt != "qdc":
        fields.append(f"language ({codebook.language}; pass --language when converting back)")
    if codebook.unit != "turn":
        fields.append(f"unit ({codebook.unit})")
    if codebook.description:
        fields.append("description")
    if codebook.exclude_speakers:
        fields.append("exclude_speakers")
    negation = codebook.negation
    if negation.window != DEFAULT_NEGATION_WINDOW or dict(negation.cues) != dict(
        DEFAULT_NEGATION_CUES
    ):
        fields.append("negation")
    report("codebook", fields)
    for theme in codebook.themes:
        fields = [name for name, value in (("label", theme.label),) if value]
        if fmt != "qdc":
            fields += [
                n for n, v in (("definition", theme.definition), ("color", theme.color)) if v
            ]
        report(f"theme {theme.id}", fields)
        for code in theme.codes:
            report(f"code {code.id}", _code_fields(code, codebook.language, fmt))
    return out


def _code_fields(code: Code, language: str, fmt: str) -> list[str]:
    fields = [
        name
        for name, value in (
            ("label", code.label),
            ("definition", code.definition if fmt != "qdc" else ""),
            ("include", code.include),
            ("exclude", code.exclude),
            ("examples", code.examples),
            ("color", code.color if fmt != "qdc" else None),
        )
        if value
    ]
    for lang, terms in sorted(code.terms.items()):
        if terms and (fmt == "qdc" or lang != language):
            key = "terms" if lang == language else f"terms_{lang}"
            fields.append(f"{key} ({len(terms)})")
    for name, rules in (("patterns", code.patterns), ("regex", code.regex), ("not", code.not_)):
        if rules:
            fields.append(f"{name} ({len(rules)})")
    fields += [
        name
        for name, value in (("max_words", code.max_words), ("fallback", code.fallback))
        if value
    ]
    return fields


# --- qca YAML --------------------------------------------------------------------------


def codebook_to_dict(codebook: Codebook) -> dict[str, Any]:
    """Return *codebook* as the plain nested data of a qca YAML file (keys in a fixed order)."""
    data: dict[str, Any] = {"name": codebook.name, "version": codebook.version}
    data["language"] = codebook.language
    data["unit"] = codebook.unit
    if codebook.description:
        data["description"] = codebook.description
    if codebook.exclude_speakers:
        data["exclude_speakers"] = Flow(codebook.exclude_speakers)
    negation: dict[str, Any] = {}
    if codebook.negation.window != DEFAULT_NEGATION_WINDOW:
        negation["window"] = codebook.negation.window
    cues = {
        lang: Flow(words)
        for lang, words in sorted(codebook.negation.cues.items())
        if tuple(DEFAULT_NEGATION_CUES.get(lang, ())) != tuple(words)
    }
    if cues:
        negation["cues"] = cues
    if negation:
        data["negation"] = negation
    themes: dict[str, Any] = {}
    for theme in codebook.themes:
        entry: dict[str, Any] = {}
        for key, value in (("label", theme.label), ("definition", theme.definition)):
            if value:
                entry[key] = value
        if theme.color:
            entry["color"] = theme.color
        entry["codes"] = _codes_dict(theme.codes, None, codebook.language)
        themes[theme.id] = entry
    data["themes"] = themes
    return data


def _codes_dict(codes: tuple[Code, ...], parent: str | None, language: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code in codes:
        if code.parent != parent:
            continue
        key = code.id[len(parent) + 1 :] if parent else code.id
        entry: dict[str, Any] = {}
        for name, value in (
            ("label", code.label),
            ("definition", code.definition),
            ("include", code.include),
            ("exclude", code.exclude),
        ):
            if value:
                entry[name] = value
        if code.examples:
            entry["examples"] = list(code.examples)
        if code.color:
            entry["color"] = code.color
        if code.terms.get(language):
            entry["terms"] = Flow(code.terms[language])
        for lang, terms in sorted(code.terms.items()):
            if lang != language and terms:
                entry[f"terms_{lang}"] = Flow(terms)
        if code.patterns:
            entry["patterns"] = [Flow(dict(token) for token in p) for p in code.patterns]
        if code.regex:
            entry["regex"] = list(code.regex)
        if code.not_:
            entry["not"] = Flow(code.not_)
        if code.max_words:
            entry["max_words"] = code.max_words
        if code.fallback:
            entry["fallback"] = True
        children = _codes_dict(codes, code.id, language)
        if children:
            entry["codes"] = children
        out[key] = entry
    return out


def codebook_to_yaml(codebook: Codebook) -> str:
    """Return *codebook* as qca YAML text: block style, fixed key order, unicode kept."""
    header = f"# {codebook.name}: qca codebook (see docs/codebook.md)\n"
    return header + dump_yaml(codebook_to_dict(codebook))
