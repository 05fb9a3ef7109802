"""One reader per dictionary format: bytes -> category tree and problems."""

from __future__ import annotations

import csv
import io
import re

from qca.codebook.categories import Category
from qca.errors import CodebookError, Problem


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older LIWC and WordStat files are Windows-1252.
        text = raw.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_quanteda(raw: bytes, shown: str) -> tuple[list[Category], list[Problem]]:
    from qca.codebook._yaml import YamlProblem, compose, locate, tab_indent

    text = _decode(raw)
    tab = tab_indent(text)
    if tab is not None:
        raise CodebookError(
            problems=[Problem(shown, "tab used for indentation; indent with spaces", *tab)]
        )
    try:
        root = compose(text)
    except YamlProblem as exc:
        raise CodebookError(problems=[Problem(shown, exc.message, exc.line, exc.col)]) from None
    data = locate(root, raw_scalars=True).data if root is not None else None
    if not isinstance(data, dict) or not data:
        raise CodebookError(
            problems=[
                Problem(
                    shown,
                    "a quanteda dictionary must be a mapping of keys to lists of entries",
                    1,
                    1,
                )
            ]
        )

    problems: list[Problem] = []

    def category(name: str, value: object) -> Category:
        node = Category(name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                node.children.extend(category(key, sub) for key, sub in item.items())
            elif isinstance(item, str):
                if item.strip():
                    node.entries.append(item.strip())
            else:
                problems.append(
                    Problem(
                        shown,
                        f"a nested list under `{name}` is neither an entry nor a key; ignored",
                        severity="warning",
                    )
                )
        return node

    return [category(key, value) for key, value in data.items()], problems


_LIWC_ID = re.compile(r"^\d+$")


def read_liwc(raw: bytes, shown: str) -> tuple[list[Category], list[Problem]]:
    lines = _decode(raw).split("\n")
    marks = [index for index, line in enumerate(lines) if line.strip() == "%"]
    if len(marks) < 2:
        raise CodebookError(
            problems=[
                Problem(
                    shown,
                    "not a LIWC dictionary: the category list must sit between two `%` lines",
                    1,
                    1,
                )
            ]
        )
    problems: list[Problem] = []
    top: list[Category] = []
    by_id: dict[str, Category] = {}
    stack: list[Category] = []
    for index in range(marks[0] + 1, marks[1]):
        line = lines[index]
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip("\t"))
        parts = line.strip().split(None, 1)
        if len(parts) < 2 or not _LIWC_ID.match(parts[0]):
            problems.append(
                Problem(
                    shown,
                    "category line is not `number<TAB>name`; skipped",
                    index + 1,
                    1,
                    severity="warning",
                )
            )
            continue
        node = Category(parts[1].strip())
        by_id[str(int(parts[0]))] = node
        del stack[depth:]
        if stack:
            stack[-1].children.append(node)
        else:
            top.append(node)
        stack.append(node)
    for index in range(marks[1] + 1, len(lines)):
        line = lines[index].strip()
        if not line:
            continue
        if "\t" in line:
            entry, _, rest = line.partition("\t")
            tokens = rest.split()
        else:
            words = line.split()
            cut = len(words)
            while cut > 1 and _LIWC_ID.match(words[cut - 1]):
                cut -= 1
            entry, tokens = " ".join(words[:cut]), words[cut:]
        entry = entry.strip()
        for token in tokens:
            found = by_id.get(str(int(token))) if _LIWC_ID.match(token) else None
            if found is None:
                problems.append(
                    Problem(
                        shown,
                        f"`{token}` of entry `{entry}` is not a category number "
                        "(LIWC conditional rules are not carried); ignored",
                        index + 1,
                        None,
                        severity="warning",
                    )
                )
                continue
            found.entries.append(entry)
    return top, problems


def read_dicx(raw: bytes, shown: str) -> tuple[list[Category], list[Problem]]:
    rows = list(csv.reader(io.StringIO(_decode(raw))))
    if not rows or len(rows[0]) < 2:
        raise CodebookError(
            problems=[
                Problem(
                    shown,
                    "not a LIWC-22 .dicx: the first row must be `DicTerm,category,...`",
                    1,
                    1,
                )
            ]
        )
    categories = [Category(name.strip()) for name in rows[0][1:]]
    for row in rows[1:]:
        if not row or not row[0].strip():
            continue
        for node, mark in zip(categories, row[1:], strict=False):
            if mark.strip():
                node.entries.append(row[0].strip())
    return categories, []


_WEIGHTED = re.compile(r"^(.*?)\s*\((-?\d+(?:\.\d+)?)\)$")


def read_wordstat(raw: bytes, shown: str) -> tuple[list[Category], list[Problem]]:
    problems: list[Problem] = []
    top: list[Category] = []
    stack: list[tuple[int, Category]] = []
    for number, line in enumerate(_decode(raw).split("\n"), start=1):
        if not line.strip():
            continue
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        depth = indent.count("\t")
        text = line.strip()
        weighted = _WEIGHTED.match(text)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if weighted:
            entry, weight = weighted.group(1), weighted.group(2)
            if not stack:
                problems.append(
                    Problem(
                        shown,
                        f"entry `{entry}` is outside any category; skipped",
                        number,
                        None,
                        severity="warning",
                    )
                )
                continue
            if float(weight) != 1:
                problems.append(
                    Problem(
                        shown,
                        f"weight ({weight}) of entry `{entry}` is not carried "
                        "(qca terms have no weights)",
                        number,
                        None,
                        severity="warning",
                    )
                )
            stack[-1][1].entries.append(entry)
            continue
        node = Category(text)
        if stack:
            stack[-1][1].children.append(node)
        else:
            top.append(node)
        stack.append((depth, node))
    if not top:
        raise CodebookError(
            problems=[Problem(shown, "no categories found in this WordStat .cat file", 1, 1)]
        )
    return top, problems


_QDC_NS = "urn:QDA-XML:codebook:1.0"


def read_qdc(raw: bytes, shown: str) -> tuple[list[Category], list[Problem]]:
    from xml.etree.ElementTree import Element, ParseError

    from defusedxml import DefusedXmlException, ElementTree

    try:
        root = ElementTree.fromstring(raw)
    except DefusedXmlException as exc:
        raise CodebookError(
            problems=[
                Problem(
                    shown,
                    f"refusing unsafe XML ({type(exc).__name__}: entities or a DTD); "
                    "export the codebook again without them",
                    1,
                    1,
                )
            ]
        ) from None
    except LookupError as exc:  # <?xml encoding="usf-8"?>
        raise CodebookError(
            problems=[Problem(shown, f'not valid XML: {exc}; declare encoding="utf-8"', 1, 1)]
        ) from None
    except ParseError as exc:
        line, col = exc.position
        raise CodebookError(
            problems=[Problem(shown, f"not valid XML: {exc.msg}", line, col + 1)]
        ) from None
    ns = f"{{{_QDC_NS}}}" if root.tag.startswith(f"{{{_QDC_NS}}}") else ""
    codes = root.find(f"{ns}Codes")
    if root.tag != f"{ns}CodeBook" or codes is None:
        raise CodebookError(
            problems=[Problem(shown, "not a REFI-QDA codebook: expected <CodeBook><Codes>", 1, 1)]
        )

    def category(element: Element) -> Category:
        description = element.find(f"{ns}Description")
        return Category(
            name=element.get("name", ""),
            description=(description.text or "").strip() if description is not None else "",
            color=element.get("color"),
            children=[category(child) for child in element.findall(f"{ns}Code")],
        )

    problems = []
    sets = root.find(f"{ns}Sets")
    if sets is not None and len(sets):
        problems.append(Problem(shown, "code sets (<Sets>) are not carried", severity="warning"))
    return [category(element) for element in codes.findall(f"{ns}Code")], problems
