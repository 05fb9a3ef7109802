"""The REFI-QDA ``CodeBook`` of an output folder: labels as names, unique names (issue #17).

Other tools show a code by its ``name``; qca's ids (``idea_generation``) are not what
a researcher reads, so each code is named by its **label** (its id when it has none).
Tools such as QualCoder keep one code per name and drop the codings of a second
``strong`` (250 of 2,317 codings lost in one test), so a name used twice anywhere in
the tree is qualified by its parent's name, ``strong (positive)``, then by the path,
then by the id. The qca id stays in the description's last line (``qca id: ...``),
which ``qca import`` reads back, so a round trip keeps the ids.

Themes are categories (``isCodable="false"``) unless the theme is itself one code.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from qca.errors import Problem
from qca.models import CODE

if TYPE_CHECKING:
    from qca.codebook.model import Codebook

#: The description line that carries a code's qca id (``qca import`` reads it back).
ID_LINE = "qca id: "
#: The description line that carries a theme's qca id.
THEME_LINE = "qca theme: "
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:qca:refi-qda")
_MARKER = re.compile(r"^qca (?P<kind>id|theme): (?P<id>\S+)\s*$", re.MULTILINE)


def guid(kind: str, key: str) -> str:
    """Return the deterministic upper-case GUID of a *kind* of element with stable id *key*.

    Examples:
        >>> guid("code", "will.motivation") == guid("code", "will.motivation")
        True
    """
    return str(uuid.uuid5(_NAMESPACE, f"{kind}\x1f{key}")).upper()


@dataclass
class CodeNode:
    """One node of the exported code tree."""

    kind: str  # "theme" or "code"
    id: str
    label: str
    parent: CodeNode | None = None
    children: list[CodeNode] = field(default_factory=list)
    name: str = ""
    codable: bool = True


@dataclass(frozen=True)
class CodeText:
    """What a code's description holds besides its id."""

    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: tuple[str, ...] = ()
    color: str | None = None


def read_marker(description: str) -> tuple[str, str, str]:
    """Split a REFI description into (text without the marker, kind, qca id).

    Examples:
        >>> read_marker("Drive.\\n\\nqca id: will.motivation")
        ('Drive.', 'id', 'will.motivation')
        >>> read_marker("plain")
        ('plain', '', '')
    """
    found = _MARKER.search(description)
    if found is None:
        return description, "", ""
    text = (description[: found.start()] + description[found.end() :]).strip()
    return text, found.group("kind"), found.group("id")


def describe(node: CodeNode, text: CodeText) -> str:
    """Return the description of *node*: definition, include, exclude, examples, qca id."""
    parts = [text.definition.strip()] if text.definition.strip() else []
    if text.include.strip():
        parts.append(f"Include: {text.include.strip()}")
    if text.exclude.strip():
        parts.append(f"Exclude: {text.exclude.strip()}")
    if text.examples:
        parts.append("Examples: " + " | ".join(e.strip() for e in text.examples))
    marker = THEME_LINE if node.kind == "theme" else ID_LINE
    parts.append(marker + node.id)
    return "\n\n".join(parts)


def build_tree(
    themes: Sequence[Mapping[str, Any]], codes: Sequence[Mapping[str, Any]]
) -> list[CodeNode]:
    """Return the theme nodes with their codes (run.json's ``themes`` and ``codes``)."""
    tops: list[CodeNode] = []
    for theme in themes:
        theme_id = str(theme["theme"])
        mine = [c for c in codes if c.get("theme") == theme_id]
        roots = [c for c in mine if not c.get("parent")]
        if len(roots) == 1 and str(roots[0][CODE]) == theme_id and len(mine) == 1:
            # A theme that is one code: written once, as a code.
            label = str(roots[0].get("label") or theme.get("label") or theme_id)
            tops.append(CodeNode("code", theme_id, label))
            continue
        top = CodeNode("theme", theme_id, str(theme.get("label") or theme_id), codable=False)

        def add(parent: CodeNode, parent_id: str | None, mine: list[Mapping[str, Any]]) -> None:
            for entry in mine:
                if (entry.get("parent") or None) != parent_id:
                    continue
                code_id = str(entry[CODE])
                local = code_id
                if parent_id and code_id.startswith(f"{parent_id}."):
                    local = code_id[len(parent_id) + 1 :]
                node = CodeNode("code", code_id, str(entry.get("label") or local), parent)
                parent.children.append(node)
                add(node, code_id, mine)

        add(top, None, mine)
        tops.append(top)
    return tops


def _walk(nodes: Sequence[CodeNode]) -> list[CodeNode]:
    out: list[CodeNode] = []
    for node in nodes:
        out.append(node)
        out += _walk(node.children)
    return out


def _path(node: CodeNode) -> str:
    names = []
    parent = node.parent
    while parent is not None:
        names.append(parent.label)
        parent = parent.parent
    return " / ".join(reversed(names))


def assign_names(tops: Sequence[CodeNode]) -> int:
    """Name every node by its label, unique across the tree (case-insensitive).

    Returns:
        How many nodes were qualified.

    Examples:
        >>> a, b = CodeNode("theme", "a", "A"), CodeNode("theme", "b", "B")
        >>> a.children.append(CodeNode("code", "a.s", "strong", a))
        >>> b.children.append(CodeNode("code", "b.s", "strong", b))
        >>> assign_names([a, b]), [n.children[0].name for n in (a, b)]
        (2, ['strong (A)', 'strong (B)'])
    """
    nodes = _walk(tops)
    steps: list[Callable[[CodeNode], str]] = [
        lambda n: n.label,
        lambda n: f"{n.label} ({n.parent.label})" if n.parent else n.label,
        lambda n: f"{n.label} ({_path(n)})" if n.parent else n.label,
        lambda n: f"{n.label} [{n.id}]",
    ]
    pending = list(nodes)
    taken: set[str] = set()
    qualified = 0
    for number, step in enumerate(steps):
        counts: dict[str, int] = {}
        for node in pending:
            key = step(node).casefold()
            counts[key] = counts.get(key, 0) + 1
        last = number == len(steps) - 1
        left = []
        for node in pending:
            name = step(node)
            if last or (counts[name.casefold()] == 1 and name.casefold() not in taken):
                node.name = name
                taken.add(name.casefold())
                qualified += number > 0
            else:
                left.append(node)
        pending = left
        if not pending:
            break
    return qualified


def read_code_texts(path: str | None) -> dict[str, CodeText]:
    """Return ``theme\\x1fID`` / ``code\\x1fID`` -> texts from the codebook file, if readable."""
    texts: dict[str, CodeText] = {}
    if not path or not Path(path).is_file():
        return texts
    from qca.codebook import read_dictionary

    try:
        codebook = read_dictionary(Path(path))
    except Exception:  # noqa: BLE001 - descriptions are optional; names come from run.json
        return texts
    for theme in codebook.themes:
        texts[f"theme\x1f{theme.id}"] = CodeText(theme.definition, color=theme.color)
        for code in theme.codes:
            texts[f"code\x1f{code.id}"] = CodeText(
                code.definition, code.include, code.exclude, tuple(code.examples), code.color
            )
    return texts


def codebook_xml(
    tops: Sequence[CodeNode],
    texts: Mapping[str, CodeText],
    guid: Callable[[str, str], str],
    lines: list[str],
) -> dict[str, str]:
    """Append the ``CodeBook`` element to *lines*; return code id -> GUID."""
    guids: dict[str, str] = {}

    def attr(name: str, value: object) -> str:
        return f" {name}={quoteattr(str(value))}"

    def write(node: CodeNode, depth: int) -> None:
        pad = "  " * depth
        key = guid(node.kind, node.id)
        if node.kind == "code":
            guids[node.id] = key
        text = texts.get(f"{node.kind}\x1f{node.id}", CodeText())
        color = text.color or ""
        attrs = attr("guid", key) + attr("name", node.name)
        attrs += attr("isCodable", "true" if node.codable else "false")
        if color.startswith("#") and len(color) in (4, 7):
            attrs += attr("color", color)
        lines.append(f"{pad}<Code{attrs}>")
        lines.append(f"{pad}  <Description>{xml_escape(describe(node, text))}</Description>")
        for child in node.children:
            write(child, depth + 1)
        lines.append(f"{pad}</Code>")

    lines.append("  <CodeBook>")
    lines.append("    <Codes>")
    for top in tops:
        write(top, 3)
    lines.append("    </Codes>")
    lines.append("  </CodeBook>")
    return guids


def build_qdc(codebook: Codebook, *, shown: str = "") -> tuple[str, list[Problem]]:
    """Return *codebook* as a REFI-QDA ``.qdc`` (labels as unique names), and what it cannot carry.

    The codes are written as in a ``.qdpx`` (see the module docstring); the rules
    (terms, patterns, regex, ``not``) and codebook settings are named in warnings.
    """
    from qca import __version__
    from qca.codebook.writers import not_carried

    themes = [{"theme": t.id, "label": t.label} for t in codebook.themes]
    codes = [
        {CODE: c.id, "theme": c.theme, "label": c.label, "parent": c.parent}
        for c in codebook.codes()
    ]
    tree = build_tree(themes, codes)
    assign_names(tree)
    texts = {f"theme\x1f{t.id}": CodeText(t.definition, color=t.color) for t in codebook.themes}
    for code in codebook.codes():
        texts[f"code\x1f{code.id}"] = CodeText(
            code.definition, code.include, code.exclude, tuple(code.examples), code.color
        )
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin={quoteattr(f"qca {__version__}")}>',
    ]
    body: list[str] = []
    codebook_xml(tree, texts, guid, body)
    lines += [line[2:] for line in body[1:-1]]  # the Codes element, one level up
    lines.append("</CodeBook>")
    problems = [
        p for p in not_carried(codebook, "qdc", shown=shown, stem="") if p.where == "codebook"
    ]
    for code in codebook.codes():
        rules = [
            f"{'terms' if lang == codebook.language else f'terms_{lang}'} ({len(terms)})"
            for lang, terms in sorted(code.terms.items())
            if terms
        ]
        rules += [
            f"{name} ({len(found)})"
            for name, found in (
                ("patterns", code.patterns),
                ("regex", code.regex),
                ("not", code.not_),
            )
            if found
        ]
        if rules:
            verb = "is" if len(rules) == 1 else "are"
            message = f"{', '.join(rules)} {verb} not carried by REFI-QDA .qdc (rules stay in qca)"
            problems.append(Problem(shown, message, where=f"code {code.id}", severity="warning"))
    return "\n".join(lines) + "\n", problems


def write_qdc(codebook: Codebook, path: str | Path) -> list[Problem]:
    """Write *codebook* as a REFI-QDA ``.qdc`` at *path* (atomically); return the warnings."""
    from qca.io import atomic_write_bytes

    text, problems = build_qdc(codebook, shown=Path(path).as_posix())
    atomic_write_bytes(Path(path), text.encode("utf-8"))
    return problems
