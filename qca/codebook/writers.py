"""Write a codebook as qca YAML or as a dictionary in another format.

Writers are deterministic (same codebook, same bytes) and never drop
information silently: what a format cannot carry is returned as warnings that
name the code and the field.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import yaml

from qca.codebook.categories import Category, codebook_to_categories
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
_GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:qca:code")


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
    if fmt == "quanteda":
        return _quanteda(categories), problems
    if fmt == "liwc":
        return _liwc(categories), problems
    if fmt == "dicx":
        if any(top.children for top in categories):
            problems.append(
                Problem(
                    shown, "nesting of categories is not carried (flattened)", severity="warning"
                )
            )
        return _dicx(categories), problems
    if fmt == "wordstat":
        return _wordstat(categories), problems
    if fmt == "qdc":
        return _qdc(categories), problems
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


class _Flow(list[Any]):
    """A list written in flow style: ``[a, b, c]``."""


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given, flow style only for :class:`_Flow` lists."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent block sequences under their key, as people write them.
        super().increase_indent(flow, False)


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(str, _represent_str)


def _dump(data: Any) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def codebook_to_dict(codebook: Codebook) -> dict[str, Any]:
    """Return *codebook* as the plain nested data of a qca YAML file (keys in a fixed order)."""
    data: dict[str, Any] = {"name": codebook.name, "version": codebook.version}
    data["language"] = codebook.language
    data["unit"] = codebook.unit
    if codebook.description:
        data["description"] = codebook.description
    if codebook.exclude_speakers:
        data["exclude_speakers"] = _Flow(codebook.exclude_speakers)
    negation: dict[str, Any] = {}
    if codebook.negation.window != DEFAULT_NEGATION_WINDOW:
        negation["window"] = codebook.negation.window
    cues = {
        lang: _Flow(words)
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
            entry["terms"] = _Flow(code.terms[language])
        for lang, terms in sorted(code.terms.items()):
            if lang != language and terms:
                entry[f"terms_{lang}"] = _Flow(terms)
        if code.patterns:
            entry["patterns"] = [_Flow(dict(token) for token in p) for p in code.patterns]
        if code.regex:
            entry["regex"] = list(code.regex)
        if code.not_:
            entry["not"] = _Flow(code.not_)
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
    return header + _dump(codebook_to_dict(codebook))


# --- dictionary formats ----------------------------------------------------------------


def _quanteda(categories: list[Category]) -> str:
    def value(node: Category) -> Any:
        if node.children and node.entries:
            return [*node.entries, *({child.name: value(child)} for child in node.children)]
        if node.children:
            return {child.name: value(child) for child in node.children}
        return _Flow(node.entries)

    return _dump({top.name: value(top) for top in categories})


def _preorder(categories: list[Category]) -> Iterator[tuple[int, Category]]:
    for top in categories:
        yield from top.walk()


def _entries_by_category(categories: list[Category]) -> tuple[list[Category], dict[str, list[int]]]:
    nodes = [node for _, node in _preorder(categories)]
    found: dict[str, list[int]] = {}
    for number, node in enumerate(nodes, start=1):
        for entry in node.entries:
            ids = found.setdefault(entry, [])
            if number not in ids:
                ids.append(number)
    return nodes, found


def _liwc(categories: list[Category]) -> str:
    lines = ["%"]
    for number, (depth, node) in enumerate(_preorder(categories), start=1):
        lines.append("\t" * depth + f"{number}\t{node.name}")
    lines.append("%")
    _, entries = _entries_by_category(categories)
    for entry, ids in entries.items():
        lines.append("\t".join([entry, *(str(i) for i in ids)]))
    return "\n".join(lines) + "\n"


def _dicx(categories: list[Category]) -> str:
    nodes, entries = _entries_by_category(categories)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["DicTerm", *(node.name for node in nodes)])
    for entry, ids in entries.items():
        writer.writerow([entry, *("X" if n in ids else "" for n in range(1, len(nodes) + 1))])
    return buffer.getvalue()


def _wordstat(categories: list[Category]) -> str:
    lines: list[str] = []

    def write(node: Category, depth: int) -> None:
        lines.append("\t" * depth + node.name)
        for child in node.children:
            write(child, depth + 1)
        lines.extend("\t" * (depth + 1) + f"{entry} (1)" for entry in node.entries)

    for top in categories:
        write(top, 0)
    return "\r\n".join(lines) + "\r\n"


def _qdc(categories: list[Category]) -> str:
    from qca import __version__

    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin={quoteattr(f"qca {__version__}")}>',
        "  <Codes>",
    ]

    def write(node: Category, names: tuple[str, ...], depth: int) -> None:
        pad = "  " * depth
        guid = uuid.uuid5(_GUID_NAMESPACE, "\x1f".join(names))
        attrs = f'guid={quoteattr(str(guid))} name={quoteattr(node.name)} isCodable="true"'
        if node.color:
            attrs += f" color={quoteattr(node.color)}"
        if not node.description and not node.children:
            lines.append(f"{pad}<Code {attrs}/>")
            return
        lines.append(f"{pad}<Code {attrs}>")
        if node.description:
            lines.append(f"{pad}  <Description>{xml_escape(node.description)}</Description>")
        for child in node.children:
            write(child, (*names, child.name), depth + 1)
        lines.append(f"{pad}</Code>")

    for top in categories:
        write(top, (top.name,), 2)
    lines += ["  </Codes>", "</CodeBook>"]
    return "\n".join(lines) + "\n"
