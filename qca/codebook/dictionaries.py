"""Read dictionaries in other formats (quanteda YAML, LIWC, WordStat, REFI-QDA) as codebooks.

Every reader builds a small category tree (:class:`Category`); one mapping turns
the tree into a :class:`Codebook` and back, so every format maps the same way:

- a top-level category becomes a theme;
- a top-level category with entries and no sub-categories (a flat dictionary)
  becomes a theme with one code of the same id;
- the entries a top-level category has next to its sub-categories go to a code
  with the theme's id; sub-categories become codes, deeper ones sub-codes
  (``parent.child``);
- a code name used under two themes is qualified as ``theme.name`` (ids are
  unique in a codebook); writers strip that prefix again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qca.codebook.model import Code, Codebook, Theme
from qca.errors import CodebookError, Problem

#: Formats read, by name, with their file suffixes.
READ_FORMATS: dict[str, tuple[str, ...]] = {
    "qca": (".yaml", ".yml"),
    "quanteda": (".yaml", ".yml"),
    "liwc": (".dic",),
    "dicx": (".dicx",),
    "wordstat": (".cat",),
    "qdc": (".qdc",),
}
_FORMATS_READ = (
    "qca or quanteda YAML (.yaml, .yml), LIWC (.dic, .dicx), WordStat (.cat) and REFI-QDA (.qdc)"
)


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


def dictionary_format(path: Path) -> str:
    """Return the format name of a dictionary file, from its suffix and (for YAML) content.

    Raises:
        CodebookError: When the suffix is not one qca reads.
    """
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "qca" if _has_themes(path) else "quanteda"
    for name, suffixes in READ_FORMATS.items():
        if suffix in suffixes:
            return name
    raise CodebookError(
        problems=[
            Problem(
                str(path),
                f"unknown dictionary format `{suffix or path.name}`; qca reads {_FORMATS_READ}",
            )
        ]
    )


def _has_themes(path: Path) -> bool:
    try:
        head = path.read_bytes()
    except OSError:
        return True  # let the codebook reader report the missing file
    return re.search(rb"^themes[ \t]*:", head, re.MULTILINE) is not None


def load_dictionary(path: str | Path, *, language: str = "en") -> tuple[Codebook, list[Problem]]:
    """Read a codebook or dictionary in any supported format.

    Args:
        path: The file; its format comes from the suffix (and, for YAML, from
            whether it has a top-level ``themes:`` mapping).
        language: The language of a dictionary's entries (qca YAML says its own).

    Returns:
        The codebook, and warnings about what the reader could not carry over.

    Raises:
        CodebookError: When the file is missing, unreadable or malformed.
    """
    from qca.codebook.read import load_codebook

    file = Path(path)
    shown = str(path)
    fmt = dictionary_format(file)
    if fmt == "qca":
        codebook, problems = load_codebook(file)
        if codebook is None:
            raise CodebookError(problems=[p for p in problems if p.is_error])
        return codebook, []  # qca YAML carries everything; `check` reports its warnings
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise CodebookError(problems=[Problem(shown, "no such file; check the path")]) from None
    except OSError as exc:
        raise CodebookError(
            problems=[Problem(shown, f"cannot read the file: {exc.strerror}")]
        ) from None
    reader = {
        "quanteda": _read_quanteda,
        "liwc": _read_liwc,
        "dicx": _read_dicx,
        "wordstat": _read_wordstat,
        "qdc": _read_qdc,
    }[fmt]
    categories, problems = reader(raw, shown)
    codebook = categories_to_codebook(
        categories,
        name=file.stem,
        language=language,
        path=file,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    return codebook, problems


def read_dictionary(path: str | Path, *, language: str = "en") -> Codebook:
    """Read a codebook or dictionary in any supported format as a :class:`Codebook`.

    Formats: qca YAML, quanteda YAML (``.yml``/``.yaml``), LIWC ``.dic`` and
    ``.dicx``, WordStat ``.cat`` and REFI-QDA ``.qdc``. Use
    :func:`load_dictionary` to also get the warnings.

    Examples:
        >>> codebook = read_dictionary("mfd2.0.dic")  # doctest: +SKIP
        >>> codebook.themes[0].id  # doctest: +SKIP
        'care.virtue'
    """
    return load_dictionary(path, language=language)[0]


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older LIWC and WordStat files are Windows-1252.
        text = raw.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- readers -------------------------------------------------------------------


def _read_quanteda(raw: bytes, shown: str) -> tuple[list[Category], list[Problem]]:
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


def _read_liwc(raw: bytes, shown: str) -> tuple[list[Category], list[Problem]]:
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


def _read_dicx(raw: bytes, shown: str) -> tuple[list[Category], list[Problem]]:
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


def _read_wordstat(raw: bytes, shown: str) -> tuple[list[Category], list[Problem]]:
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


def _read_qdc(raw: bytes, shown: str) -> tuple[list[Category], list[Problem]]:
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


# --- categories <-> codebook -------------------------------------------------------


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
