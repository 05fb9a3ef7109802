"""Read REFI-QDA projects (``.qdpx`` archives and bare ``.qde`` files), GitHub issue #8.

``read_qdpx`` returns the project as qca tables; ``import_qdpx`` writes them as an
output folder that ``qca themes``, ``qca show`` and ``qca agree`` read:

- every text source (``TextSource``, and the text ``Representation`` of a PDF) is a
  document; its text is kept in ``sources/`` of the output folder;
- segments are the distinct coded selections (``unit`` = ``selection``): one segment
  per (document, start, end), so codings map one-to-one onto segments. A selection
  named by a qca segment id (as ``qca export qdpx`` writes) keeps that id;
- codings keep ``CODING_COLUMNS`` and add a ``coder`` column (the user who made the
  coding); the auto-coder's codings have source ``auto``, all others ``manual``;
- the codebook (names, hierarchy, descriptions, colours) is ``codebook.yaml``.

Offsets: the spec counts code points on the source text, but NVivo counts UTF-16
units on the text with CRLF kept, and other programs differ on line ends. For each
source every reading is tried, and the one that puts the most selection boundaries
on word boundaries is used (the spec's on a tie); ``RefiProject.offsets`` says which.

The archive is read defensively: XML through defusedxml (no entity expansion), zip
entries that escape the folder are refused, and entry sizes are bounded.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element

from qca.errors import Problem, QcaError
from qca.models import (
    CODE,
    CODER,
    CODING_COLUMNS,
    DOC_ID,
    END,
    HIT_COLUMNS,
    HITS,
    IS_INTERVIEWER,
    MATCH,
    NEGATED,
    RULE,
    RULE_KIND,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SOURCE,
    SPEAKER,
    START,
    TEXT,
    THEME,
    UNIT,
    WORDS,
)

if TYPE_CHECKING:
    import pandas as pd

    from qca.agreement.coding import Coding
    from qca.codebook.model import Codebook

#: Largest entry read from an archive, and largest sum of entries (zip-bomb guard).
MAX_ENTRY_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
#: The user name whose codings are automatic (as ``qca export qdpx`` writes it).
AUTO_CODER = "qca auto-coder"
PROJECT_NS = "urn:QDA-XML:project:1.0"
#: Offset readings, the spec's first: (name, counts UTF-16 units, CRLF kept).
READINGS: tuple[tuple[str, bool, bool], ...] = (
    ("codepoints", False, False),
    ("utf16-crlf", True, True),
    ("codepoints-crlf", False, True),
    ("utf16", True, False),
)
_QCA_SEGMENT = re.compile(r"^(?P<doc>.+):[tspd]\d+$")
_SUFFIXES = {".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf", ".vtt", ".srt", ".html", ".md"}
SOURCES_FOLDER = "sources"
CODEBOOK_FILE = "codebook.yaml"


class RefiError(QcaError):
    """A REFI-QDA file cannot be read."""


@dataclass(frozen=True)
class RefiProject:
    """A REFI-QDA project read as qca tables.

    Attributes:
        path: The file read.
        name: The project name.
        codebook: The codes as a codebook (top-level codes are themes).
        texts: Document id -> text ("" when the archive lacks the source text).
        segments: ``SEGMENT_COLUMNS`` (unit ``selection``), then attribute columns.
        codings: ``CODING_COLUMNS`` then ``coder``, one row per (segment, code, coder).
        hits: ``HIT_COLUMNS``, one row per coding (``rule_kind`` ``refi``, ``rule`` the coder).
        coders: Every user with codings, sorted.
        offsets: Document id -> the offset reading used (see :data:`READINGS`), or
            ``missing`` when the source text is absent.
        problems: Warnings (schema deviations, missing texts, unknown codes).
        modified: The project's modification (else creation) time, or "".
    """

    path: Path
    name: str
    codebook: Codebook
    texts: Mapping[str, str]
    segments: pd.DataFrame
    codings: pd.DataFrame
    hits: pd.DataFrame
    coders: tuple[str, ...]
    offsets: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    modified: str = ""


def _warn(problems: list[Problem], shown: str, message: str, where: str = "") -> None:
    problems.append(Problem(shown, message, where=where, severity="warning"))


def _fail(shown: str, message: str) -> RefiError:
    return RefiError(problems=[Problem(shown, message)])


# --- the archive ----------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return False
    return ".." not in PurePosixPath(name.replace("\\", "/")).parts


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> bytes:
    if info.file_size > MAX_ENTRY_BYTES:
        raise _fail(shown, f"entry {info.filename} is larger than {MAX_ENTRY_BYTES >> 20} MiB")
    with archive.open(info) as handle:
        data = handle.read(MAX_ENTRY_BYTES + 1)
    if len(data) > MAX_ENTRY_BYTES:
        raise _fail(shown, f"entry {info.filename} is larger than {MAX_ENTRY_BYTES >> 20} MiB")
    return data


def _open(path: Path, problems: list[Problem]) -> tuple[bytes, dict[str, bytes]]:
    """Return the project XML and the source files (lower-case base name -> bytes)."""
    shown = path.as_posix()
    if not path.is_file():
        raise _fail(shown, "no such file; check the path")
    sources: dict[str, bytes] = {}
    if not zipfile.is_zipfile(path):
        if path.stat().st_size > MAX_ENTRY_BYTES:
            raise _fail(shown, f"file is larger than {MAX_ENTRY_BYTES >> 20} MiB")
        for folder_name in ("sources", "Sources"):
            folder = path.parent / folder_name
            if folder.is_dir():
                for file in sorted(folder.iterdir()):
                    if file.is_file() and file.stat().st_size <= MAX_ENTRY_BYTES:
                        sources[file.name.lower()] = file.read_bytes()
        return path.read_bytes(), sources
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _fail(
            shown, f"not a readable .qdpx archive ({exc}); export the project again"
        ) from None
    with archive:
        infos = archive.infolist()
        unsafe = [i.filename for i in infos if not _safe_name(i.filename)]
        if unsafe:
            raise _fail(
                shown,
                f"archive entry {unsafe[0]!r} points outside the archive folder; "
                "refusing to read it (the file may be malicious)",
            )
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise _fail(shown, f"archive unpacks to more than {MAX_TOTAL_BYTES >> 20} MiB")
        projects = [
            i
            for i in infos
            if "/" not in i.filename.strip("/") and i.filename.lower().endswith(".qde")
        ]
        if not projects:
            raise _fail(shown, "no project.qde in the archive; is this a REFI-QDA .qdpx file?")
        chosen = next((i for i in projects if i.filename == "project.qde"), projects[0])
        if chosen.filename != "project.qde":
            _warn(
                problems,
                shown,
                f"the project file is {chosen.filename!r}; the spec names it project.qde",
            )
        raw = _read_entry(archive, chosen, shown)
        total = 0
        for info in infos:
            parts = info.filename.replace("\\", "/").split("/")
            if info.is_dir() or len(parts) < 2 or parts[0].lower() != "sources":
                continue
            data = _read_entry(archive, info, shown)
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                raise _fail(shown, f"archive unpacks to more than {MAX_TOTAL_BYTES >> 20} MiB")
            sources[parts[-1].lower()] = data
    return raw, sources


def _parse(raw: bytes, shown: str) -> Element:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as SafeTree

    try:
        root: Element = SafeTree.fromstring(raw)
        return root
    except DefusedXmlException as exc:
        raise _fail(
            shown, f"refusing unsafe XML ({type(exc).__name__}); export the project again"
        ) from None
    except ParseError as exc:
        line, col = exc.position
        reason = str(exc.msg).split(":", 1)[0]
        message = f"not valid XML ({reason}); is this a REFI-QDA project? export it again"
        raise RefiError(problems=[Problem(shown, message, line, col + 1)]) from None


# --- XML helpers --------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element if _local(child.tag) == name)


def _child(element: Element, name: str) -> Element | None:
    return next(_children(element, name), None)


def _guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").upper()


def _decode(data: bytes, shown: str, problems: list[Problem]) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _warn(problems, shown, "a source text is not UTF-8; read it as Windows-1252")
        return data.decode("cp1252", errors="replace")


# --- offsets ----------------------------------------------------------------------------------


def _unit_map(raw: str, utf16: bool, crlf: bool) -> list[int]:
    """Map each offset of a reading to a code-point offset in the LF text (-1: inside a character)."""
    out: list[int] = []
    position = 0
    for index, char in enumerate(raw):
        if char == "\r" and raw[index + 1 : index + 2] == "\n":
            if crlf:
                out.append(position)
            continue
        out.append(position)
        if utf16 and ord(char) > 0xFFFF:
            out.append(-1)
        position += 1
    out.append(position)
    return out


def _boundary(text: str, index: int) -> bool:
    if index <= 0 or index >= len(text):
        return True
    return not (text[index - 1].isalnum() and text[index].isalnum())


def choose_reading(
    raw: str, spans: list[tuple[int, int]]
) -> tuple[str, list[tuple[int, int] | None]]:
    """Return the offset reading that puts most *spans* on word boundaries, and the mapped spans.

    *raw* is the source text as stored (CRLF kept); mapped spans are code-point
    offsets into its LF form, ``None`` for a span the reading cannot place.

    Examples:
        >>> choose_reading("a\\r\\nbc", [(3, 5)])[0]
        'utf16-crlf'
    """
    text = raw.replace("\r\n", "\n")
    best: tuple[int, int, str, list[tuple[int, int] | None]] | None = None
    for rank, (name, utf16, crlf) in enumerate(READINGS):
        table = _unit_map(raw, utf16, crlf)
        mapped: list[tuple[int, int] | None] = []
        score = 0
        for start, end in spans:
            if not 0 <= start <= end < len(table) or table[start] < 0 or table[end] < 0:
                mapped.append(None)
                score -= 2
                continue
            a, b = table[start], table[end]
            mapped.append((a, b))
            score += _boundary(text, a) + _boundary(text, b)
        key = (score, -rank)
        if best is None or key > (best[0], best[1]):
            best = (score, -rank, name, mapped)
    assert best is not None
    return best[2], best[3]


# --- the project --------------------------------------------------------------------------------


@dataclass
class _Node:
    guid: str
    name: str
    description: str
    color: str | None
    children: list[_Node]


def _codes(element: Element | None) -> list[_Node]:
    if element is None:
        return []
    out: list[_Node] = []
    for code in _children(element, "Code"):
        description = _child(code, "Description")
        out.append(
            _Node(
                _guid(code.get("guid")),
                (code.get("name") or "").strip() or "(unnamed)",
                (description.text or "").strip() if description is not None else "",
                code.get("color"),
                _codes(code),
            )
        )
    return out


def _build_codebook(
    tops: list[_Node], coded: set[str], name: str
) -> tuple[Codebook, dict[str, tuple[str, str]]]:
    """Return the codebook and code GUID -> (theme, code id)."""
    from qca.codebook.dictionaries import Category, categories_to_codebook

    seen: dict[str, int] = {}
    for top in tops:
        seen[top.name] = seen.get(top.name, 0) + 1
        if seen[top.name] > 1:
            top.name = f"{top.name} ({seen[top.name]})"

    def category(node: _Node) -> Category:
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

    def walk(node: _Node, theme: str, code_id: str) -> None:
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
    return replace(codebook, themes=tuple(themes)), ids


def _doc_id(name: str, taken: set[str]) -> str:
    stem = name.strip() or "source"
    suffix = PurePosixPath(stem).suffix.lower()
    if suffix in _SUFFIXES:
        stem = stem[: -len(suffix)]
    stem = stem.replace("/", "-").replace(":", "-") or "source"
    chosen, number = stem, 1
    while chosen in taken:
        number += 1
        chosen = f"{stem}-{number}"
    taken.add(chosen)
    return chosen


def _text_sources(sources: Element) -> Iterator[Element]:
    """Yield text sources and the text representations of PDF sources (not of PDF selections)."""
    for element in sources:
        if _local(element.tag) == "TextSource":
            yield element
        elif _local(element.tag) == "PDFSource":
            yield from _children(element, "Representation")


def _variable_value(element: Element) -> str | None:
    for child in element:
        if _local(child.tag) != "VariableRef" and child.text is not None:
            return child.text.strip()
    return None


def read_qdpx(path: str | Path) -> RefiProject:
    """Read a REFI-QDA project (``.qdpx`` archive, or a bare ``.qde`` with ``sources/`` beside it).

    Schema deviations are warnings in ``problems``; only an unreadable or unsafe
    file is an error.

    Raises:
        RefiError: When the file is missing, not a project, unsafe, or too large.

    Examples:
        >>> project = read_qdpx("study.qdpx")  # doctest: +SKIP
        >>> project.codings.groupby("coder").size()  # doctest: +SKIP
    """
    import pandas as pd

    path = Path(path)
    shown = path.as_posix()
    problems: list[Problem] = []
    raw, files = _open(path, problems)
    root = _parse(raw, shown)
    if _local(root.tag) != "Project":
        raise _fail(
            shown,
            f"not a REFI-QDA project: the root element is <{_local(root.tag)}>, not <Project>",
        )
    if not root.tag.startswith(f"{{{PROJECT_NS}}}"):
        _warn(problems, shown, f"the project is not in namespace {PROJECT_NS}; read it anyway")
    name = root.get("name") or path.stem
    users = {
        _guid(u.get("guid")): (u.get("name") or _guid(u.get("guid")))
        for users in _children(root, "Users")
        for u in _children(users, "User")
    }
    codebook_element = _child(root, "CodeBook")
    tops = _codes(_child(codebook_element, "Codes") if codebook_element is not None else None)
    variables = {
        _guid(v.get("guid")): v.get("name") or "variable"
        for vs in _children(root, "Variables")
        for v in _children(vs, "Variable")
    }
    # Cases: a case's name is the speaker of the selections it refers to; its
    # variables are attributes of those selections (or of whole sources).
    case_of: dict[str, tuple[str, dict[str, str]]] = {}
    for cases in _children(root, "Cases"):
        for case in _children(cases, "Case"):
            values = {}
            for value_element in _children(case, "VariableValue"):
                ref = _child(value_element, "VariableRef")
                found = _variable_value(value_element)
                if ref is not None and found is not None:
                    values[variables.get(_guid(ref.get("targetGUID")), "variable")] = found
            entry = (case.get("name") or "", values)
            for ref in [*_children(case, "SelectionRef"), *_children(case, "SourceRef")]:
                case_of.setdefault(_guid(ref.get("targetGUID")), entry)

    raw_codings: list[
        tuple[str, int, int, str, str, str, str]
    ] = []  # doc, start, end, code guid, user, sel guid, sel name
    texts: dict[str, str] = {}
    raws: dict[str, str] = {}
    source_guid: dict[str, str] = {}
    taken: set[str] = set()
    sources_element = _child(root, "Sources")
    for source in _text_sources(sources_element) if sources_element is not None else ():
        doc_id = _doc_id(source.get("name") or "", taken)
        source_guid[doc_id] = _guid(source.get("guid"))
        content = _child(source, "PlainTextContent")
        text: str | None = None
        if content is not None and content.text is not None:
            text = content.text
        else:
            reference = source.get("plainTextPath") or ""
            base = reference.replace("\\", "/").rsplit("/", 1)[-1].lower()
            if base and base in files:
                text = _decode(files[base], shown, problems)
        selections = list(_children(source, "PlainTextSelection"))
        whole = list(_children(source, "Coding"))
        if text is None:
            if selections or whole:
                _warn(
                    problems,
                    shown,
                    "the source text is not in the archive; its codings are kept with their "
                    "offsets and empty segment text",
                    where=f"source {doc_id}",
                )
            text = ""
        raws[doc_id] = text
        for selection in selections:
            try:
                start = int(selection.get("startPosition", ""))
                end = int(selection.get("endPosition", ""))
            except ValueError:
                _warn(
                    problems,
                    shown,
                    "selection without integer positions; skipped",
                    where=f"source {doc_id}",
                )
                continue
            for coding in _children(selection, "Coding"):
                ref = _child(coding, "CodeRef")
                user = _guid(coding.get("creatingUser") or selection.get("creatingUser"))
                raw_codings.append(
                    (
                        doc_id,
                        start,
                        end,
                        _guid(ref.get("targetGUID") if ref is not None else ""),
                        user,
                        _guid(selection.get("guid")),
                        selection.get("name") or "",
                    )
                )
        for coding in whole:
            ref = _child(coding, "CodeRef")
            user = _guid(coding.get("creatingUser"))
            raw_codings.append(
                (
                    doc_id,
                    0,
                    -1,
                    _guid(ref.get("targetGUID") if ref is not None else ""),
                    user,
                    _guid(source.get("guid")),
                    "",
                )
            )

    coded = {row[3] for row in raw_codings}
    codebook, code_ids = _build_codebook(tops, coded, name)
    # Offsets: one reading per source.
    offsets: dict[str, str] = {}
    placed: dict[int, tuple[int, int]] = {}
    for doc_id, raw_text in raws.items():
        indexes = [i for i, row in enumerate(raw_codings) if row[0] == doc_id]
        lf = raw_text.replace("\r\n", "\n")
        if not raw_text:
            offsets[doc_id] = "missing"
            for i in indexes:
                s, e = raw_codings[i][1], raw_codings[i][2]
                placed[i] = (s, max(e, s))
            texts[doc_id] = ""
            continue
        spans = [(raw_codings[i][1], raw_codings[i][2]) for i in indexes if raw_codings[i][2] >= 0]
        reading, mapped = choose_reading(raw_text, spans) if spans else ("codepoints", [])
        offsets[doc_id] = reading
        mapped_spans = iter(mapped)
        for i in indexes:
            if raw_codings[i][2] < 0:
                placed[i] = (0, len(lf))
                continue
            span = next(mapped_spans)
            if span is None:
                _warn(
                    problems,
                    shown,
                    f"selection {raw_codings[i][1]}-{raw_codings[i][2]} lies outside the text; skipped",
                    where=f"source {doc_id}",
                )
                continue
            placed[i] = span
        normal = unicodedata.normalize("NFC", lf)
        texts[doc_id] = normal if len(normal) == len(lf) else lf

    # Segments: distinct placed spans per document.
    spans_of: dict[str, dict[tuple[int, int], set[str]]] = {}
    for i, (s, e) in placed.items():
        row = raw_codings[i]
        spans_of.setdefault(row[0], {}).setdefault((s, e), set()).add(row[6])
    segment_of: dict[tuple[str, int, int], str] = {}
    selection_span: dict[str, tuple[str, int, int]] = {}
    for i, (s, e) in placed.items():
        selection_span.setdefault(raw_codings[i][5], (raw_codings[i][0], s, e))
    seg_rows: list[dict[str, Any]] = []
    for doc_id in sorted(spans_of):
        spans = sorted(spans_of[doc_id])
        names = [sorted(spans_of[doc_id][span]) for span in spans]
        reuse = all(
            len(n) == 1 and (m := _QCA_SEGMENT.match(n[0])) is not None and m.group("doc") == doc_id
            for n in names
        ) and len({n[0] for n in names}) == len(names)
        for number, (span, found_names) in enumerate(zip(spans, names, strict=True), start=1):
            segment_id = found_names[0] if reuse else f"{doc_id}:s{number:04d}"
            segment_of[(doc_id, *span)] = segment_id
            text = texts[doc_id][span[0] : span[1]]
            seg_rows.append(
                {
                    DOC_ID: doc_id,
                    SEGMENT_ID: segment_id,
                    UNIT: "selection",
                    SPEAKER: None,
                    IS_INTERVIEWER: False,
                    START: span[0],
                    END: span[1],
                    WORDS: len(text.split()),
                    TEXT: text,
                }
            )
    # Speakers and attributes from cases (selection refs first, then source refs).
    by_segment = {r[SEGMENT_ID]: r for r in seg_rows}
    attributes: set[str] = set()
    for sel_guid, (doc_id, s, e) in selection_span.items():
        case_entry = case_of.get(sel_guid) or case_of.get(source_guid.get(doc_id, ""))
        if case_entry is None:
            continue
        segment_row = by_segment[segment_of[(doc_id, s, e)]]
        if case_entry[0] and sel_guid in case_of:
            segment_row[SPEAKER] = case_entry[0]
        for variable, value in case_entry[1].items():
            if variable not in SEGMENT_COLUMNS:
                segment_row.setdefault(variable, value)
                attributes.add(variable)
    columns = [*SEGMENT_COLUMNS, *sorted(attributes)]
    segments = pd.DataFrame(seg_rows, columns=columns)
    segments = segments.astype(
        {START: "int64", END: "int64", WORDS: "int64", IS_INTERVIEWER: "bool"}
    )
    segments = segments.sort_values([DOC_ID, START, END, SEGMENT_ID], kind="stable").reset_index(
        drop=True
    )

    coding_rows: dict[tuple[str, str, str, str], int] = {}
    hit_rows: list[dict[str, Any]] = []
    unknown: set[str] = set()
    for i, (s, e) in sorted(placed.items()):
        doc_id, _, _, code_guid, user, _, _ = raw_codings[i]
        if code_guid not in code_ids:
            unknown.add(code_guid)
            continue
        theme, code = code_ids[code_guid]
        coder = users.get(user, user or "unknown")
        segment_id = segment_of[(doc_id, s, e)]
        coding_key = (segment_id, theme, code, coder)
        coding_rows[coding_key] = coding_rows.get(coding_key, 0) + 1
        segment_row = by_segment[segment_id]
        hit_rows.append(
            {
                DOC_ID: doc_id,
                SEGMENT_ID: segment_id,
                SPEAKER: segment_row[SPEAKER],
                THEME: theme,
                CODE: code,
                RULE_KIND: "refi",
                RULE: coder,
                MATCH: segment_row[TEXT],
                START: s,
                END: e,
                NEGATED: False,
            }
        )
    for code_guid in sorted(unknown):
        _warn(
            problems,
            shown,
            f"codings refer to code {code_guid or '(none)'}, which is not in the codebook; skipped",
        )
    codings = pd.DataFrame(
        [
            {
                SEGMENT_ID: k[0],
                THEME: k[1],
                CODE: k[2],
                SOURCE: "auto" if k[3] == AUTO_CODER else "manual",
                HITS: n,
                CODER: k[3],
            }
            for k, n in coding_rows.items()
        ],
        columns=[*CODING_COLUMNS, CODER],
    ).astype({HITS: "int64"})
    codings = codings.sort_values([SEGMENT_ID, CODE, CODER], kind="stable").reset_index(drop=True)
    hits = pd.DataFrame(hit_rows, columns=list(HIT_COLUMNS)).astype(
        {START: "int64", END: "int64", NEGATED: "bool"}
    )
    hits = hits.sort_values([DOC_ID, START, END, CODE, RULE], kind="stable").reset_index(drop=True)
    modified = root.get("modifiedDateTime") or root.get("creationDateTime") or ""
    return RefiProject(
        path=path,
        name=name,
        codebook=codebook,
        texts=texts,
        segments=segments,
        codings=codings,
        hits=hits,
        coders=tuple(sorted(set(codings[CODER].astype(str)))),
        offsets=offsets,
        problems=tuple(problems),
        modified=modified,
    )


# --- writing an output folder -----------------------------------------------------------------


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def import_qdpx(path: str | Path, outdir: str | Path) -> RefiProject:
    """Read a REFI-QDA project and write it as a qca output folder in *outdir*.

    Writes ``segments.parquet``, ``hits.parquet``, ``codings.parquet`` (with a
    ``coder`` column), ``hits.csv``, ``codings.csv``, ``codebook.yaml``,
    ``sources/`` (each document's text) and ``run.json`` (last), each atomically.

    Raises:
        RefiError: When the project cannot be read.
        OutputError: When *outdir* cannot be written.

    Examples:
        >>> project = import_qdpx("study.qdpx", "study-out")  # doctest: +SKIP
        >>> project.offsets  # doctest: +SKIP
        {'interview-01': 'utf16-crlf'}
    """
    from qca import __version__
    from qca.codebook.writers import codebook_to_yaml
    from qca.errors import OutputError
    from qca.io import atomic_write_bytes
    from qca.models import (
        CODINGS_CSV,
        CODINGS_FILE,
        HITS_CSV,
        HITS_FILE,
        RUN_FILE,
        RUN_FORMAT,
        SEGMENTS_FILE,
    )

    project = read_qdpx(path)
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise OutputError(
            f"{out}: the output folder is a file; remove it or choose another folder with -d"
        )
    try:
        (out / SOURCES_FOLDER).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{out}: cannot create the output folder ({exc.strerror}); choose another with -o"
        ) from None
    index: dict[str, str] = {}
    for number, doc_id in enumerate(sorted(project.texts), start=1):
        file_name = f"{number:04d}.txt"
        index[doc_id] = file_name
        atomic_write_bytes(out / SOURCES_FOLDER / file_name, project.texts[doc_id].encode("utf-8"))
    atomic_write_bytes(
        out / SOURCES_FOLDER / "index.json",
        (json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"),
    )
    codebook_text = codebook_to_yaml(project.codebook)
    atomic_write_bytes(out / CODEBOOK_FILE, codebook_text.encode("utf-8"))
    atomic_write_bytes(out / SEGMENTS_FILE, _parquet(project.segments))
    atomic_write_bytes(out / HITS_FILE, _parquet(project.hits))
    atomic_write_bytes(out / CODINGS_FILE, _parquet(project.codings))
    atomic_write_bytes(
        out / HITS_CSV, project.hits.to_csv(index=False, lineterminator="\n").encode("utf-8")
    )
    atomic_write_bytes(
        out / CODINGS_CSV, project.codings.to_csv(index=False, lineterminator="\n").encode("utf-8")
    )
    source = Path(path)
    codebook = project.codebook
    manifest: dict[str, Any] = {
        "format": RUN_FORMAT,
        "qca_version": __version__,
        "spacy_version": None,
        "pipeline": {},
        "codebook": {
            "path": (out / CODEBOOK_FILE).as_posix(),
            "sha256": hashlib.sha256(codebook_text.encode("utf-8")).hexdigest(),
            "name": codebook.name,
            "version": codebook.version,
            "language": codebook.language,
        },
        "themes": [{"theme": t.id, "label": t.label} for t in codebook.themes],
        "codes": [
            {"theme": c.theme, "code": c.id, "label": c.label, "parent": c.parent}
            for c in codebook.codes()
        ],
        "inputs": [
            {
                "path": source.as_posix(),
                "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
                "format": "qdpx",
                "documents": len(project.texts),
            }
        ],
        "options": {
            "unit": "selection",
            "include_interviewer": True,
            "coders": list(project.coders),
            "offsets": dict(sorted(project.offsets.items())),
        },
        "counts": {
            "documents": len(project.texts),
            "segments": len(project.segments),
            "coded_segments": int(project.codings[SEGMENT_ID].nunique()),
            "hits": len(project.hits),
            "skipped_files": 0,
            "words": int(project.segments[WORDS].sum()),
        },
        "problems": [str(p) for p in project.problems],
        "started": project.modified,
        "finished": project.modified,
    }
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    atomic_write_bytes(out / RUN_FILE, text.encode("utf-8"))
    return project


# --- one coder, for qca agree -------------------------------------------------------------------


def _pick_coder(available: list[str], wanted: str, shown: str) -> str:
    if wanted in available:
        return wanted
    folded = [c for c in available if c.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    if not wanted and len(available) == 1:
        return available[0]
    listing = ", ".join(available) or "none"
    if not wanted:
        message = f"this project has {len(available)} coders ({listing}); pick one: {shown}#CODER"
    else:
        message = f"no coder {wanted!r}; the coders are: {listing}"
    raise RefiError(problems=[Problem(shown, message)])


def read_refi_coding(argument: str | Path, *, name: str = "") -> Coding:
    """Read one coder of a REFI-QDA project or of an imported output folder, for ``qca agree``.

    *argument* is ``PATH#CODER`` (``PATH`` alone when there is one coder). Units are
    every segment of the project, so a segment the coder did not code counts as
    "not coded" by that coder.

    Raises:
        RefiError: When the file cannot be read or the coder is unknown.
    """
    from qca.agreement.coding import Coding, assignments_frame

    raw = str(argument)
    base, sep, wanted = raw.rpartition("#")
    if not sep or not Path(base).exists():
        base, wanted = raw, ""
    path = Path(base)
    if path.is_dir():
        from qca.outputs import read_output

        output = read_output(path, check_project=False)
        segments, codings = output.segments, output.codings
        if codings is None or CODER not in codings.columns:
            raise _fail(
                path.as_posix(), "this output folder has no coder column; name it without #CODER"
            )
        labels = {str(c[CODE]): str(c.get("label") or "") for c in output.codes}
        codes = tuple(output.code_ids)
    else:
        project = read_qdpx(path)
        segments, codings = project.segments, project.codings
        labels = {c.id: c.label for c in project.codebook.codes() if c.label}
        codes = tuple(c.id for c in project.codebook.codes())
    available = sorted({str(c) for c in codings[CODER]})
    coder = _pick_coder(available, wanted, path.as_posix())
    mine = codings[codings[CODER].astype(str) == coder]
    units = segments[SEGMENT_ID].astype(str)
    pairs = list(zip(mine[SEGMENT_ID].astype(str), mine[CODE].astype(str), strict=True))
    return Coding(
        name=name if name and name != raw else coder,
        path=path.as_posix(),
        units=tuple(sorted(set(units))),
        assignments=assignments_frame(pairs),
        codes=codes or tuple(sorted({c for _, c in pairs})),
        labels={k: v for k, v in labels.items() if v},
        texts=dict(zip(units, segments[TEXT].astype(str), strict=True)),
        documents=dict(zip(units, segments[DOC_ID].astype(str), strict=True)),
    )
