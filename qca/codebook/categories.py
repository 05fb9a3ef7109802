"""The category tree every dictionary format is read into, and its mapping to a codebook.

The rules of the mapping are in :mod:`qca.codebook.dictionaries`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qca.codebook.model import Code, Codebook, Theme


@dataclass
class Category:
    """A dictionary category: its entries and sub-categories, in file order."""

    name: str
    entries: list[str] = field(default_factory=list)
    children: list[Category] = field(default_factory=list)
    description: str = ""
    color: str | None = None

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Category]]:
        """Yield this category and its descendants, depth first, with their depth."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


def categories_to_codebook(
    categories: list[Category],
    *,
    name: str,
    language: str = "en",
    path: Path | None = None,
    sha256: str = "",
) -> Codebook:
    """Map a category tree to a codebook (see the module docstring for the mapping)."""
    counts: dict[str, int] = {}
    for top in categories:
        for child in top.children:
            counts[child.name] = counts.get(child.name, 0) + 1
    theme_ids = {top.name for top in categories}

    def codes(node: Category, theme: str, code_id: str, parent: str | None) -> Iterator[Code]:
        yield Code(
            id=code_id,
            theme=theme,
            definition=node.description,
            color=node.color,
            terms={language: tuple(node.entries)} if node.entries else {},
            parent=parent,
        )
        for child in node.children:
            yield from codes(child, theme, f"{code_id}.{child.name}", code_id)

    themes: list[Theme] = []
    for top in categories:
        found: list[Code] = []
        if not top.children:
            found.extend(codes(top, top.name, top.name, None))
        else:
            if top.entries:
                found.append(
                    Code(id=top.name, theme=top.name, terms={language: tuple(top.entries)})
                )
            for child in top.children:
                clash = counts[child.name] > 1 or child.name in theme_ids
                code_id = f"{top.name}.{child.name}" if clash else child.name
                found.extend(codes(child, top.name, code_id, None))
        themes.append(
            Theme(
                id=top.name,
                definition=top.description,
                color=top.color,
                codes=tuple(found),
            )
        )
    return Codebook(name=name, themes=tuple(themes), language=language, path=path, sha256=sha256)


def codebook_to_categories(codebook: Codebook) -> list[Category]:
    """Map a codebook back to a category tree (the inverse of :func:`categories_to_codebook`).

    Only the codebook's default-language terms become entries; callers report
    what else is not carried.
    """
    out: list[Category] = []
    for theme in codebook.themes:
        top = Category(theme.id, description=theme.definition, color=theme.color)
        nodes: dict[str, Category] = {}
        for code in theme.codes:
            entries = list(code.terms.get(codebook.language, ()))
            has_children = any(other.parent == code.id for other in theme.codes)
            if code.parent is None and code.id == theme.id and not has_children:
                top.entries.extend(entries)
                top.description = top.description or code.definition
                top.color = top.color or code.color
                continue
            if code.parent is not None and code.parent in nodes:
                local = code.id[len(code.parent) + 1 :]
                parent = nodes[code.parent]
            else:
                prefix = f"{theme.id}."
                local = code.id[len(prefix) :] if code.id.startswith(prefix) else code.id
                parent = top
            node = Category(local, entries, description=code.definition, color=code.color)
            parent.children.append(node)
            nodes[code.id] = node
        out.append(top)
    return out
