"""Dictionary formats a codebook is written as: quanteda YAML, LIWC .dic/.dicx, WordStat .cat, .qdc.

Each writer takes the codebook as :class:`~qca.codebook.categories.Category` trees and returns
the file text, deterministically. ``qca.codebook.writers`` chooses the format.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import yaml

from qca.codebook.categories import Category

_GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:qca:code")


class Flow(list[Any]):
    """A list written in flow style: ``[a, b, c]``."""


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given, flow style only for :class:`Flow` lists."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent block sequences under their key, as people write them.
        super().increase_indent(flow, False)


def _represent_flow(dumper: yaml.SafeDumper, data: Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(Flow, _represent_flow)
_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def _quanteda(categories: list[Category]) -> str:
    def value(node: Category) -> Any:
        if node.children and node.entries:
            return [*node.entries, *({child.name: value(child)} for child in node.children)]
        if node.children:
            return {child.name: value(child) for child in node.children}
        return Flow(node.entries)

    return dump_yaml({top.name: value(top) for top in categories})


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


#: The writer of each dictionary format, by format name.
DICTIONARY_WRITERS = {
    "quanteda": _quanteda,
    "liwc": _liwc,
    "dicx": _dicx,
    "wordstat": _wordstat,
    "qdc": _qdc,
}
