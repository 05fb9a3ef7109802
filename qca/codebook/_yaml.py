"""Load YAML with positions: data plus a map from key paths to nodes.

PyYAML's ``safe_load`` forgets where each value came from. Codebook errors must
say ``file:line:col``, so we compose the node tree and build the data ourselves,
remembering the node of every key path. On the way we catch what PyYAML lets
pass silently: duplicate keys and the YAML 1.1 boolean trap (``no`` -> false).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

#: A key path: mapping keys (str) and sequence indices (int) from the document root.
KeyPath = tuple[str | int, ...]

#: Plain scalars that YAML 1.1 (and PyYAML) reads as booleans although a human
#: usually means the word.
_BOOL_WORDS = re.compile(r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$")


class YamlProblem(Exception):
    """The text is not a YAML mapping; carries a 1-based position and a message."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


@dataclass
class Located:
    """YAML data with the node behind every key path."""

    data: Any
    nodes: dict[KeyPath, Node] = field(default_factory=dict)
    key_nodes: dict[KeyPath, Node] = field(default_factory=dict)
    #: Paths of plain yes/no/on/off scalars that became booleans (values only).
    bool_words: dict[KeyPath, str] = field(default_factory=dict)
    #: Mapping keys that were plain yes/no/on/off words (kept as strings in data).
    bool_keys: dict[KeyPath, str] = field(default_factory=dict)
    #: (path of the repeated key, line of its first occurrence, its own line and column)
    duplicate_keys: list[tuple[KeyPath, int, int, int]] = field(default_factory=list)

    def position(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """Return the 1-based line and column of *path* (or of its nearest ancestor)."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            table = self.key_nodes if key and end == len(path) else self.nodes
            node = table.get(prefix) or self.nodes.get(prefix)
            if node is not None:
                return node.start_mark.line + 1, node.start_mark.column + 1
        return 1, 1


def format_path(path: KeyPath) -> str:
    """Render a key path as ``themes.will.codes.motivation.terms[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def tab_indent(text: str) -> tuple[int, int] | None:
    """Return the 1-based line and column of the first tab used for indentation."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" \t")
        indent = line[: len(line) - len(stripped)]
        if "\t" in indent and stripped and not stripped.startswith("#"):
            return number, indent.index("\t") + 1
    return None


def compose(text: str) -> Node | None:
    """Compose *text* into a node tree; raise :class:`YamlProblem` when it is not YAML.

    A document whose aliases expand too far, or that nests too deep, is refused
    (:func:`qca.yamlbounds.check_yaml`).
    """
    from qca.yamlbounds import check_yaml

    limit = check_yaml(text)
    if limit is not None:
        raise YamlProblem(limit.message, limit.line, limit.col)
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlProblem(
            f"not valid YAML: {problem} (check the indentation and quote values "
            "that contain ': ' or start with a special character)",
            line,
            col,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}", 1, 1) from None


def locate(root: Node, *, raw_scalars: bool = False) -> Located:
    """Build data from *root*, recording the node of every key path.

    Args:
        root: The composed document.
        raw_scalars: Keep every scalar as the text written (dictionary files,
            where ``NO`` means Norway and ``1`` is a word), instead of resolving
            YAML types.
    """
    constructor = SafeConstructor()
    located = Located(data=None)

    def build(node: Node, path: KeyPath) -> Any:
        located.nodes[path] = node
        if isinstance(node, ScalarNode):
            if raw_scalars:
                return "" if node.tag.endswith(":null") and not node.value else node.value
            try:
                value = constructor.construct_object(node, deep=True)
            except (yaml.YAMLError, ValueError, TypeError) as exc:  # !!binary, !!value, ...
                mark = node.start_mark
                problem = getattr(exc, "problem", None) or str(exc)
                raise YamlProblem(
                    f"cannot read this value ({problem}); quote it or remove the tag",
                    mark.line + 1,
                    mark.column + 1,
                ) from None
            if isinstance(value, bool) and node.style is None and _BOOL_WORDS.match(node.value):
                located.bool_words[path] = node.value
            return value
        if isinstance(node, SequenceNode):
            return [build(child, (*path, index)) for index, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = _key_text(key_node)
                child_path = (*path, key)
                if (
                    not raw_scalars
                    and isinstance(key_node, ScalarNode)
                    and key_node.style is None
                    and _BOOL_WORDS.match(key_node.value)
                ):
                    located.bool_keys[child_path] = key_node.value
                if key in first_line:
                    mark = key_node.start_mark
                    located.duplicate_keys.append(
                        (child_path, first_line[key], mark.line + 1, mark.column + 1)
                    )
                    continue
                first_line[key] = key_node.start_mark.line + 1
                located.key_nodes[child_path] = key_node
                result[key] = build(value_node, child_path)
            return result
        return None  # pragma: no cover - PyYAML has no other node kinds

    located.data = build(root, ())
    return located


def _key_text(node: Node) -> str:
    if isinstance(node, ScalarNode):
        return str(node.value)
    # A complex key (a list or mapping used as a key) is never valid here.
    return yaml.serialize(node).strip()


def walk_scalars(located: Located) -> Iterator[tuple[KeyPath, Node]]:
    """Yield every scalar node with its path (for whole-document checks)."""
    for path, node in located.nodes.items():
        if isinstance(node, ScalarNode):
            yield path, node
