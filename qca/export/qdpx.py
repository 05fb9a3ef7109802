"""Write a coded output folder as a REFI-QDA project (``.qdpx``), GitHub issue #8.

The archive holds ``project.qde`` (the XML project) and ``sources/{GUID}.txt``, one
UTF-8 text per document: LF line ends, no BOM, NFC, exactly the normalised text
that qca's offsets count code points on (``startPosition`` inclusive,
``endPosition`` exclusive). The mapping:

- each theme is a top-level ``Code``; its codes (and sub-codes) nest under it; the
  definition is the ``Description`` and the colour the ``color``;
- ``Users``: the auto-coder (``qca auto-coder``) for ``auto`` codings, and one user
  per human coder (``--coder``, or the ``coder`` column of an imported folder);
- ``Cases``: one per speaker (participant), with ``Variables`` from the segment
  attribute columns and a ``SelectionRef`` to each of that speaker's coded segments;
- one ``PlainTextSelection`` per coded segment, named by its ``segment_id``, with one
  ``Coding`` per (code, coder).

GUIDs are UUID 5 values of stable ids (document, segment, code, user ids), written
in upper case, so the same output folder gives a byte-identical archive.
"""

from __future__ import annotations

import json
import math
import uuid
import zipfile
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from qca.errors import OutputError, Problem
from qca.io import atomic_write_bytes
from qca.models import (
    CODE,
    CODER,
    DOC_ID,
    END,
    IS_INTERVIEWER,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SHA256,
    SOURCE,
    SPEAKER,
    START,
    TEXT,
)

if TYPE_CHECKING:
    import pandas as pd

    from qca.outputs import CodedOutput

#: The user that owns automatic codings (and creates every element).
AUTO_CODER = "qca auto-coder"
#: The default name of the human coder of ``manual``/``reviewed`` codings.
DEFAULT_CODER = "coder"
PROJECT_NS = "urn:QDA-XML:project:1.0"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:qca:refi-qda")
#: A fixed timestamp for zip entries (zip cannot store dates before 1980).
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def guid(kind: str, key: str) -> str:
    """Return the deterministic upper-case GUID of a *kind* of element with stable id *key*.

    Examples:
        >>> guid("code", "will.motivation") == guid("code", "will.motivation")
        True
    """
    return str(uuid.uuid5(_NAMESPACE, f"{kind}\x1f{key}")).upper()


def _document_texts(output: CodedOutput) -> dict[str, str]:
    """Re-read the transcripts that run.json lists and return each document's text.

    Raises:
        OutputError: When an input is missing or changed since it was coded.
    """
    from qca.ingest import iter_corpus
    from qca.ingest.base import IngestOptions

    manifest = output.manifest
    options = dict(manifest.get("options", {}) or {})
    fields = IngestOptions.__dataclass_fields__
    kwargs: dict[str, Any] = {k: v for k, v in options.items() if k in fields and v is not None}
    if "participants" in kwargs:
        kwargs["participants"] = Path(kwargs["participants"])
    if "interviewer_labels" in kwargs:
        kwargs["interviewer_labels"] = tuple(kwargs["interviewer_labels"])
    ingest = IngestOptions(**kwargs)
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    run = (output.folder / "run.json").as_posix()
    wanted = set(output.segments[DOC_ID].astype(str))
    for item in manifest.get("inputs", []) or []:
        path = Path(str(item.get("path", "")))
        if not path.is_file():
            problems.append(
                Problem(
                    run,
                    f"input {path.as_posix()} is missing; run qca export in the folder where "
                    "qca code ran, or re-run qca code",
                    where="inputs",
                )
            )
            continue
        for batch in iter_corpus([path], ingest):
            documents = batch.documents
            if SHA256 in documents.columns and item.get("sha256"):
                changed = [s for s in documents[SHA256].astype(str) if s != item["sha256"]]
                if changed:
                    problems.append(
                        Problem(
                            run,
                            f"input {path.as_posix()} changed since it was coded; "
                            f"re-run qca code -d {output.folder.as_posix()}",
                            where="inputs",
                        )
                    )
                    continue
            for doc_id, text in zip(documents[DOC_ID], documents[TEXT], strict=True):
                texts[str(doc_id)] = str(text)
    missing = sorted(wanted - set(texts))
    if missing and not problems:
        problems.append(
            Problem(run, f"no input gives document {missing[0]}; re-run qca code", where="inputs")
        )
    if problems:
        raise OutputError(problems=problems)
    return texts


def _attr(name: str, value: object) -> str:
    return f" {name}={quoteattr(str(value))}"


def _color(value: object) -> str:
    text = str(value or "")
    return _attr("color", text) if text.startswith("#") and len(text) in (4, 7) else ""


def _stamp(user: str, when: str, *, modified: bool = True) -> str:
    out = _attr("creatingUser", user) + _attr("creationDateTime", when)
    if modified:
        out += _attr("modifyingUser", user) + _attr("modifiedDateTime", when)
    return out


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, float) and math.isnan(value)


def _codebook_xml(output: CodedOutput, lines: list[str]) -> dict[str, str]:
    """Append the ``CodeBook`` element; return code id -> GUID."""
    definitions: dict[str, tuple[str, str | None]] = {}
    manifest_codebook = output.manifest.get("codebook", {}) or {}
    path = manifest_codebook.get("path")
    if path and Path(str(path)).is_file():
        from qca.codebook import read_dictionary

        try:
            codebook = read_dictionary(Path(str(path)))
        except Exception:  # noqa: BLE001 - definitions are optional; the ids come from run.json
            codebook = None
        if codebook is not None:
            for theme in codebook.themes:
                definitions[f"theme\x1f{theme.id}"] = (theme.definition, theme.color)
                for code in theme.codes:
                    definitions[f"code\x1f{code.id}"] = (code.definition, code.color)
    codes = output.codes
    guids: dict[str, str] = {}
    lines.append("  <CodeBook>")
    lines.append("    <Codes>")

    def write(
        node_kind: str, node_id: str, name: str, children: list[dict[str, Any]], depth: int
    ) -> None:
        pad = "  " * depth
        key = guid(node_kind, node_id)
        if node_kind == "code":
            guids[node_id] = key
        description, color = definitions.get(f"{node_kind}\x1f{node_id}", ("", None))
        attrs = (
            _attr("guid", key) + _attr("name", name) + _attr("isCodable", "true") + _color(color)
        )
        if not description and not children:
            lines.append(f"{pad}<Code{attrs}/>")
            return
        lines.append(f"{pad}<Code{attrs}>")
        if description:
            lines.append(f"{pad}  <Description>{xml_escape(description)}</Description>")
        for child in children:
            cid = str(child[CODE])
            parent = child.get("parent")
            local = cid[len(str(parent)) + 1 :] if parent and cid.startswith(f"{parent}.") else cid
            grand = [c for c in codes if c.get("parent") == cid]
            write("code", cid, local, grand, depth + 1)
        lines.append(f"{pad}</Code>")

    for theme_entry in output.themes:
        theme_id = str(theme_entry["theme"])
        top = [c for c in codes if c.get("theme") == theme_id and not c.get("parent")]
        if (
            len(top) == 1
            and str(top[0][CODE]) == theme_id
            and not any(c.get("parent") == theme_id for c in codes)
        ):
            # A theme that is one code: write it once.
            write("code", theme_id, theme_id, [], 3)
            continue
        write("theme", theme_id, theme_id, top, 3)
    lines.append("    </Codes>")
    lines.append("  </CodeBook>")
    return guids


def _codings(output: CodedOutput, coder: str) -> pd.DataFrame:
    codings = output.codings
    if codings is None:
        from qca.coding import codings_from_hits

        codings = codings_from_hits(output.hits)
    codings = codings.copy()
    if CODER not in codings.columns:
        codings[CODER] = [
            AUTO_CODER if str(s) == "auto" else coder for s in codings[SOURCE].astype(str)
        ]
    return codings


def build_qdpx(
    output: CodedOutput, texts: Mapping[str, str], *, coder: str = DEFAULT_CODER
) -> bytes:
    """Return the bytes of the ``.qdpx`` archive of *output* with document *texts*."""
    manifest = output.manifest
    when = str(manifest.get("finished") or manifest.get("started") or "2000-01-01T00:00:00+00:00")
    when = when.replace("+00:00", "Z")
    codings = _codings(output, coder)
    users = sorted({AUTO_CODER, *codings[CODER].astype(str)})
    user_guid = {name: guid("user", name) for name in users}
    owner = user_guid[AUTO_CODER]
    from qca import __version__

    name = str((manifest.get("codebook", {}) or {}).get("name") or output.folder.name)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<Project xmlns="{PROJECT_NS}"'
        + _attr("name", name)
        + _attr("origin", f"qca {__version__}")
        + _attr("creatingUserGUID", owner)
        + _attr("creationDateTime", when)
        + _attr("modifyingUserGUID", owner)
        + _attr("modifiedDateTime", when)
        + ">",
        "  <Users>",
    ]
    lines += [f"    <User{_attr('guid', user_guid[u])}{_attr('name', u)}/>" for u in users]
    lines.append("  </Users>")
    code_guids = _codebook_xml(output, lines)

    segments = output.segments
    coded_ids = set(codings[SEGMENT_ID].astype(str))
    attributes = [c for c in segments.columns if c not in SEGMENT_COLUMNS]
    coded = segments[segments[SEGMENT_ID].astype(str).isin(coded_ids)]
    # Cases: one per speaker of a coded segment (interviewers are not participants).
    speakers: dict[str, dict[str, str]] = {}
    selections_of: dict[str, list[str]] = {}
    for row in coded.to_dict("records"):
        speaker = row.get(SPEAKER)
        if _is_missing(speaker) or not str(speaker) or bool(row.get(IS_INTERVIEWER) or False):
            continue
        values = speakers.setdefault(str(speaker), {})
        for column in attributes:
            value = row.get(column)
            if not _is_missing(value) and column not in values:
                values[column] = str(value)
        selections_of.setdefault(str(speaker), []).append(str(row[SEGMENT_ID]))
    used_attributes = sorted({a for values in speakers.values() for a in values})
    if used_attributes:
        lines.append("  <Variables>")
        for column in used_attributes:
            lines.append(
                f"    <Variable{_attr('guid', guid('variable', column))}{_attr('name', column)}"
                ' typeOfVariable="Text"/>'
            )
        lines.append("  </Variables>")
    if speakers:
        lines.append("  <Cases>")
        for speaker in sorted(speakers):
            lines.append(
                f"    <Case{_attr('guid', guid('case', speaker))}{_attr('name', speaker)}>"
            )
            for column in used_attributes:
                if column in speakers[speaker]:
                    lines.append("      <VariableValue>")
                    lines.append(
                        f"        <VariableRef{_attr('targetGUID', guid('variable', column))}/>"
                    )
                    lines.append(
                        f"        <TextValue>{xml_escape(speakers[speaker][column])}</TextValue>"
                    )
                    lines.append("      </VariableValue>")
            for segment_id in sorted(selections_of[speaker]):
                lines.append(
                    f"      <SelectionRef{_attr('targetGUID', guid('selection', segment_id))}/>"
                )
            lines.append("    </Case>")
        lines.append("  </Cases>")

    by_segment: dict[str, list[tuple[str, str]]] = {}
    for segment_id, code, who in zip(
        codings[SEGMENT_ID].astype(str),
        codings[CODE].astype(str),
        codings[CODER].astype(str),
        strict=True,
    ):
        if code in code_guids:
            by_segment.setdefault(segment_id, []).append((code, who))
    lines.append("  <Sources>")
    files: dict[str, bytes] = {}
    for doc_id in sorted(texts):
        source_guid = guid("source", doc_id)
        files[f"sources/{source_guid}.txt"] = texts[doc_id].encode("utf-8")
        lines.append(
            f"    <TextSource{_attr('guid', source_guid)}{_attr('name', doc_id)}"
            f"{_attr('plainTextPath', f'internal://{source_guid}.txt')}{_stamp(owner, when)}>"
        )
        rows = coded[coded[DOC_ID].astype(str) == doc_id].sort_values([START, END, SEGMENT_ID])
        for segment_id, start, end in zip(
            rows[SEGMENT_ID].astype(str), rows[START], rows[END], strict=True
        ):
            pairs = sorted(set(by_segment.get(segment_id, [])))
            if not pairs:
                continue
            lines.append(
                f"      <PlainTextSelection{_attr('guid', guid('selection', segment_id))}"
                f"{_attr('name', segment_id)}{_attr('startPosition', int(start))}"
                f"{_attr('endPosition', int(end))}{_stamp(owner, when)}>"
            )
            for code, who in pairs:
                key = guid("coding", f"{segment_id}\x1f{code}\x1f{who}")
                lines.append(
                    f"        <Coding{_attr('guid', key)}"
                    f"{_stamp(user_guid[who], when, modified=False)}>"
                )
                lines.append(f"          <CodeRef{_attr('targetGUID', code_guids[code])}/>")
                lines.append("        </Coding>")
            lines.append("      </PlainTextSelection>")
        lines.append("    </TextSource>")
    lines.append("  </Sources>")
    lines.append("</Project>")
    files["project.qde"] = ("\n".join(lines) + "\n").encode("utf-8")
    return _zip(files)


def _zip(files: Mapping[str, bytes]) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files, key=lambda n: (n != "project.qde", n)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def export_qdpx(
    folder: str | Path,
    path: str | Path,
    *,
    coder: str = DEFAULT_CODER,
    texts: Mapping[str, str] | None = None,
) -> Path:
    """Write the coded output in *folder* as a REFI-QDA project archive at *path*.

    Args:
        folder: The output folder of ``qca code`` (or of ``qca import``).
        path: The ``.qdpx`` file to write (atomically).
        coder: The user name of the ``manual``/``reviewed`` codings (a ``coder``
            column in the codings, as ``qca import`` writes, wins).
        texts: Document id -> text; by default re-read from the inputs run.json lists
            (or the ``sources/`` folder that ``qca import`` writes).

    Returns:
        The path written.

    Raises:
        OutputError: When the folder holds no coded output or an input is missing.

    Examples:
        >>> export_qdpx("qca-out", "project.qdpx")  # doctest: +SKIP
    """
    from qca.outputs import read_output

    output = read_output(folder, check_project=False)
    if texts is None:
        texts = _stored_texts(output) or _document_texts(output)
    data = build_qdpx(output, texts, coder=coder)
    out = Path(path)
    atomic_write_bytes(out, data)
    return out


def _stored_texts(output: CodedOutput) -> dict[str, str]:
    """The texts ``qca import`` keeps in ``sources/{doc_id}.txt``, if every document has one."""
    folder = output.folder / "sources"
    index = folder / "index.json"
    if not index.is_file():
        return {}
    names = json.loads(index.read_text(encoding="utf-8"))
    texts: dict[str, str] = {}
    for doc_id, file_name in dict(names).items():
        file = folder / str(file_name)
        if not file.is_file():
            return {}
        texts[str(doc_id)] = file.read_text(encoding="utf-8")
    return texts
