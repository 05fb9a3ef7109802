"""Bounded YAML: refuse documents whose aliases expand too far or that nest too deep.

YAML anchors and aliases share a node: ``a: &a [x, x]``, ``b: &b [*a, *a]``, ... doubles
at each line, so 553 bytes can stand for billions of nodes (a "billion laughs").
PyYAML and ruamel keep the sharing while loading, but any code that walks the result
(validation, counting, writing back) walks every copy. Deep nesting (``[[[[...]]]]``)
makes PyYAML's composer recurse until ``RecursionError``.

:func:`check_yaml` reads the event stream (linear in the text; PyYAML's parser does not
recurse), adds up the size each alias stands for, and returns a message when the
document would expand past :data:`MAX_NODES` nodes or nest deeper than
:data:`MAX_DEPTH`. Every YAML reader of qca calls it first: codebooks, dictionaries,
overrides, ``qca.yaml``, transcript front matter and agreement mappings.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Most nodes a document may stand for once its aliases are expanded.
MAX_NODES = 1_000_000
#: Deepest nesting of lists and mappings.
MAX_DEPTH = 100


@dataclass(frozen=True)
class YamlLimit:
    """Where a document passes a limit: 1-based line and column, and what to do."""

    message: str
    line: int
    col: int


def check_yaml(
    text: str, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH
) -> YamlLimit | None:
    """Return the first limit *text* passes, or None (also None when it is not YAML).

    Examples:
        >>> bomb = "a: &a [x, x]\\nb: &b [*a, *a]\\nc: [*b, *b]\\n"
        >>> check_yaml(bomb, max_nodes=10).message  # doctest: +ELLIPSIS
        'aliases expand this document past 10 nodes...'
        >>> check_yaml("[" * 200 + "]" * 200).message  # doctest: +ELLIPSIS
        'nested deeper than 100 levels...'
    """
    import yaml
    from yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
        NodeEvent,
    )

    sizes: dict[str, int] = {}
    stack: list[tuple[str | None, int]] = []  # (anchor, nodes so far) per open collection
    total = 0
    aliased = False
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            mark = event.start_mark
            where = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            if isinstance(event, CollectionStartEvent):
                if len(stack) >= max_depth:
                    return YamlLimit(
                        f"nested deeper than {max_depth} levels; flatten the lists and mappings",
                        *where,
                    )
                stack.append((event.anchor, 1))
                continue
            if isinstance(event, CollectionEndEvent):
                anchor, size = stack.pop()
                if anchor is not None:
                    sizes[anchor] = size
            elif isinstance(event, AliasEvent):
                size = sizes.get(str(event.anchor), 1)
                aliased = True
            elif isinstance(event, NodeEvent):  # a scalar
                size = 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            else:
                continue
            if stack:
                anchor, inner = stack[-1]
                stack[-1] = (anchor, inner + size)
            else:
                total += size
            if aliased and total + sum(inner for _, inner in stack) > max_nodes:
                return YamlLimit(
                    f"aliases expand this document past {max_nodes:,} nodes; write the values "
                    "out instead of repeating anchors (*name) inside each other",
                    *where,
                )
    except yaml.YAMLError:
        return None  # the reader reports what is wrong with the syntax
    return None
