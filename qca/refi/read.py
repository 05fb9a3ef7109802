"""Read a REFI-QDA project into qca tables (``read_qdpx``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element

from qca.errors import Problem
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
    NEGATION_CUE,
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
from qca.refi.archive import (
    children_named,
    clean_guid,
    decode_text,
    first_child,
    local_name,
    open_project,
    parse_xml,
)
from qca.refi.codebook import build_codebook, read_codes
from qca.refi.losses import count_unrepresented, loss_problems
from qca.refi.model import AUTO_CODER, PROJECT_NS, RefiProject, fail, warn
from qca.refi.offsets import choose_reading

if TYPE_CHECKING:
    pass


QCA_SEGMENT = re.compile(r"^(?P<doc>.+):[tspd]\d+$")
SUFFIXES = {".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf", ".vtt", ".srt", ".html", ".md"}


def document_id(name: str, taken: set[str]) -> str:
    stem = name.strip() or "source"
    suffix = PurePosixPath(stem).suffix.lower()
    if suffix in SUFFIXES:
        stem = stem[: -len(suffix)]
    stem = stem.replace("/", "-").replace(":", "-") or "source"
    chosen, number = stem, 1
    while chosen in taken:
        number += 1
        chosen = f"{stem}-{number}"
    taken.add(chosen)
    return chosen


def text_sources(sources: Element) -> Iterator[Element]:
    """Yield text sources and the text representations of PDF sources (not of PDF selections)."""
    for element in sources:
        if local_name(element.tag) == "TextSource":
            yield element
        elif local_name(element.tag) == "PDFSource":
            yield from children_named(element, "Representation")


def variable_value(element: Element) -> str | None:
    for child in element:
        if local_name(child.tag) != "VariableRef" and child.text is not None:
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
    raw, files = open_project(path, problems)
    root = parse_xml(raw, shown)
    if local_name(root.tag) != "Project":
        raise fail(
            shown,
            f"not a REFI-QDA project: the root element is <{local_name(root.tag)}>, not <Project>",
        )
    if not root.tag.startswith(f"{{{PROJECT_NS}}}"):
        warn(problems, shown, f"the project is not in namespace {PROJECT_NS}; read it anyway")
    name = root.get("name") or path.stem
    users = {
        clean_guid(u.get("guid")): (u.get("name") or clean_guid(u.get("guid")))
        for users in children_named(root, "Users")
        for u in children_named(users, "User")
    }
    codebook_element = first_child(root, "CodeBook")
    tops = read_codes(
        first_child(codebook_element, "Codes") if codebook_element is not None else None
    )
    variables = {
        clean_guid(v.get("guid")): v.get("name") or "variable"
        for vs in children_named(root, "Variables")
        for v in children_named(vs, "Variable")
    }
    # Cases: a case's name is the speaker of the selections it refers to; its
    # variables are attributes of those selections (or of whole sources).
    case_of: dict[str, tuple[str, dict[str, str]]] = {}
    for cases in children_named(root, "Cases"):
        for case in children_named(cases, "Case"):
            values = {}
            for value_element in children_named(case, "VariableValue"):
                ref = first_child(value_element, "VariableRef")
                found = variable_value(value_element)
                if ref is not None and found is not None:
                    values[variables.get(clean_guid(ref.get("targetGUID")), "variable")] = found
            entry = (case.get("name") or "", values)
            for ref in [*children_named(case, "SelectionRef"), *children_named(case, "SourceRef")]:
                case_of.setdefault(clean_guid(ref.get("targetGUID")), entry)

    raw_codings: list[
        tuple[str, int, int, str, str, str, str]
    ] = []  # doc, start, end, code guid, user, sel guid, sel name
    texts: dict[str, str] = {}
    raws: dict[str, str] = {}
    source_guid: dict[str, str] = {}
    taken: set[str] = set()
    sources_element = first_child(root, "Sources")
    missing: list[tuple[str, int]] = []  # sources without text: (document, codings)
    for source in text_sources(sources_element) if sources_element is not None else ():
        doc_id = document_id(source.get("name") or "", taken)
        source_guid[doc_id] = clean_guid(source.get("guid"))
        content = first_child(source, "PlainTextContent")
        text: str | None = None
        if content is not None and content.text is not None:
            text = content.text
        else:
            reference = source.get("plainTextPath") or ""
            base = reference.replace("\\", "/").rsplit("/", 1)[-1].lower()
            if base and base in files:
                text = decode_text(files[base], shown, problems)
        selections = list(children_named(source, "PlainTextSelection"))
        whole = list(children_named(source, "Coding"))
        if text is None:
            coded_here = sum(len(list(children_named(e, "Coding"))) for e in selections) + len(
                whole
            )
            if coded_here:
                missing.append((doc_id, coded_here))
            text = ""
        raws[doc_id] = text
        for selection in selections:
            try:
                start = int(selection.get("startPosition", ""))
                end = int(selection.get("endPosition", ""))
            except ValueError:
                warn(
                    problems,
                    shown,
                    "selection without integer positions; skipped",
                    where=f"source {doc_id}",
                )
                continue
            for coding in children_named(selection, "Coding"):
                ref = first_child(coding, "CodeRef")
                user = clean_guid(coding.get("creatingUser") or selection.get("creatingUser"))
                raw_codings.append(
                    (
                        doc_id,
                        start,
                        end,
                        clean_guid(ref.get("targetGUID") if ref is not None else ""),
                        user,
                        clean_guid(selection.get("guid")),
                        selection.get("name") or "",
                    )
                )
        for coding in whole:
            ref = first_child(coding, "CodeRef")
            user = clean_guid(coding.get("creatingUser"))
            raw_codings.append(
                (
                    doc_id,
                    0,
                    -1,
                    clean_guid(ref.get("targetGUID") if ref is not None else ""),
                    user,
                    clean_guid(source.get("guid")),
                    "",
                )
            )

    coded = {row[3] for row in raw_codings}
    codebook, code_ids = build_codebook(tops, coded, name)
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
                warn(
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
            len(n) == 1 and (m := QCA_SEGMENT.match(n[0])) is not None and m.group("doc") == doc_id
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
            # qca's export names a case "Anna (doc)" when Anna speaks in several documents.
            segment_row[SPEAKER] = case_entry[0].removesuffix(f" ({doc_id})")
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
                NEGATION_CUE: "",
            }
        )
    for code_guid in sorted(unknown):
        warn(
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
    used = set(codings[CODE].astype(str))
    uncoded = [c.id for c in codebook.codes() if c.id not in used]
    problems += loss_problems(shown, count_unrepresented(sources_element), missing, uncoded)
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
