"""The code tree of a REFI-QDA project as a qca codebook (labels and ids from qca's export)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from qca.refi.archive import children_named, clean_guid, first_child

if TYPE_CHECKING:
    from qca.codebook.model import Codebook


# --- the project --------------------------------------------------------------------------------


@dataclass
class RefiNode:
    guid: str
    name: str
    description: str
    color: str | None
    children: list[RefiNode]
    #: The REFI name, when a ``qca id:`` line gave the node its qca id (issue #17).
    label: str = ""


def read_codes(element: Element | None, parent_id: str = "") -> list[RefiNode]:
    """Read the code tree; a ``qca id:`` line in a description (qca's export) restores the id."""
    from qca.export.refi_codes import read_marker

    if element is None:
        return []
    out: list[RefiNode] = []
    for code in children_named(element, "Code"):
        description = first_child(code, "Description")
        text = (description.text or "").strip() if description is not None else ""
        text, kind, qca_id = read_marker(text)
        name = (code.get("name") or "").strip() or "(unnamed)"
        label = ""
        if qca_id:
            label = name
            local = qca_id[len(parent_id) + 1 :] if qca_id.startswith(f"{parent_id}.") else qca_id
            name = local if kind == "id" and parent_id else qca_id
        out.append(
            RefiNode(
                clean_guid(code.get("guid")),
                name,
                text,
                code.get("color"),
                read_codes(code, qca_id if kind == "id" else ""),
                label,
            )
        )
    return out


def labelled(
    codebook: Codebook, tops: list[RefiNode], ids: Mapping[str, tuple[str, str]]
) -> Codebook:
    """Give codes and themes the REFI names that qca's own export wrote as labels."""
    code_labels: dict[str, str] = {}
    theme_labels: dict[str, str] = {}

    def walk(node: RefiNode) -> None:
        if node.label and node.guid in ids:
            code_labels[ids[node.guid][1]] = node.label
        for child in node.children:
            walk(child)

    for top in tops:
        if top.label:
            theme_labels[top.name] = top.label
        walk(top)
    themes = []
    for theme in codebook.themes:
        codes = tuple(replace(c, label=code_labels.get(c.id, c.label)) for c in theme.codes)
        themes.append(replace(theme, label=theme_labels.get(theme.id, theme.label), codes=codes))
    return replace(codebook, themes=tuple(themes))


def build_codebook(
    tops: list[RefiNode], coded: set[str], name: str
) -> tuple[Codebook, dict[str, tuple[str, str]]]:
    """Return the codebook and code GUID -> (theme, code id)."""
    from qca.codebook.categories import Category, categories_to_codebook

    seen: dict[str, int] = {}
    for top in tops:
        seen[top.name] = seen.get(top.name, 0) + 1
        if seen[top.name] > 1:
            top.name = f"{top.name} ({seen[top.name]})"

    def category(node: RefiNode) -> Category:
        return Category(
            node.name,
            description=node.description,
            color=node.color,
            children=[category(c) for c in node.children],
        )

    codebook = categories_to_codebook([category(t) for t in tops], name=name)
    counts: dict[str, int] = {}
    for top in tops:
        for child in top.children:
            counts[child.name] = counts.get(child.name, 0) + 1
    theme_ids = {top.name for top in tops}
    ids: dict[str, tuple[str, str]] = {}

    def walk(node: RefiNode, theme: str, code_id: str) -> None:
        ids[node.guid] = (theme, code_id)
        for child in node.children:
            walk(child, theme, f"{code_id}.{child.name}")

    themes = list(codebook.themes)
    for number, top in enumerate(tops):
        if not top.children:
            ids[top.guid] = (top.name, top.name)
            continue
        for child in top.children:
            clash = counts[child.name] > 1 or child.name in theme_ids
            walk(child, top.name, f"{top.name}.{child.name}" if clash else child.name)
        if top.guid in coded:
            from qca.codebook.model import Code

            ids[top.guid] = (top.name, top.name)
            own = Code(id=top.name, theme=top.name, definition=top.description, color=top.color)
            themes[number] = replace(themes[number], codes=(own, *themes[number].codes))
    return labelled(replace(codebook, themes=tuple(themes)), tops, ids), ids
