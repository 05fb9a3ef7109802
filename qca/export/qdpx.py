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
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

from qca.errors import OutputError, Problem, QcaError
from qca.export.refi_codes import guid
from qca.io import atomic_write_bytes
from qca.models import (
    CODE,
    CODER,
    DOC_ID,
    END,
    SEGMENT_ID,
    SHA256,
    SOURCE,
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
#: A fixed timestamp for zip entries (zip cannot store dates before 1980).
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


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


def _override_coders(output: CodedOutput) -> dict[tuple[str, str], str]:
    """(segment id, code) -> the coder of the decision behind a manual or reviewed coding."""
    path = (output.manifest.get("options", {}) or {}).get("overrides")
    if not path or not Path(str(path)).is_file():
        return {}
    from qca.overrides import effective_decisions, read_overrides, resolve_overrides

    try:
        overrides = read_overrides(Path(str(path)))
    except QcaError:
        return {}
    resolved = resolve_overrides(overrides, output.segments, None)
    return {
        key: r.decision.coder
        for key, r in effective_decisions(resolved).items()
        if r.decision.coder and r.decision.action != "remove"
    }


def _codings(output: CodedOutput, coder: str) -> pd.DataFrame:
    """The codings with a ``coder`` column: the auto-coder, the decision's coder, else *coder*."""
    codings = output.codings
    if codings is None:
        from qca.run.codings import codings_from_hits

        codings = codings_from_hits(output.hits)
    codings = codings.copy()
    if CODER not in codings.columns:
        deciders = _override_coders(output)
        codings[CODER] = [
            AUTO_CODER if str(s) == "auto" else deciders.get((str(g), str(c)), coder)
            for g, c, s in zip(
                codings[SEGMENT_ID], codings[CODE], codings[SOURCE].astype(str), strict=True
            )
        ]
    return codings


@dataclass(frozen=True)
class QdpxExport:
    """What ``export_qdpx`` wrote: the archive, and warnings about what it could not keep.

    Attributes:
        path: The ``.qdpx`` file.
        problems: Warnings (speaker names in several documents, renamed codes).
        users: The user names in the archive (the auto-coder first).
        codes: The names written in the code tree (themes included), in tree order.
    """

    path: Path
    problems: tuple[Problem, ...] = ()
    users: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()

    def __fspath__(self) -> str:
        return str(self.path)


def build_qdpx(
    output: CodedOutput, texts: Mapping[str, str], *, coder: str = DEFAULT_CODER
) -> tuple[bytes, QdpxExport]:
    """Return the bytes of the ``.qdpx`` archive of *output* with document *texts*, and a report.

    The report's ``path`` is the output folder; :func:`export_qdpx` sets the archive's.
    """
    from qca.export.refi_cases import cases_xml, read_sheet
    from qca.export.refi_codes import assign_names, build_tree, codebook_xml, read_code_texts

    manifest = output.manifest
    options = manifest.get("options", {}) or {}
    when = str(manifest.get("finished") or manifest.get("started") or "2000-01-01T00:00:00+00:00")
    when = when.replace("+00:00", "Z")
    codings = _codings(output, coder)
    users = [AUTO_CODER, *sorted(set(codings[CODER].astype(str)) - {AUTO_CODER})]
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
    tree = build_tree(output.themes, output.codes)
    assign_names(tree)
    code_texts = read_code_texts((manifest.get("codebook", {}) or {}).get("path"))
    code_guids = codebook_xml(tree, code_texts, guid, lines)

    # One selection per (segment, coder), owned by that coder (issue #17): tools that
    # take the owner from the selection credited every coding to the auto-coder.
    by_selection: dict[tuple[str, str], list[str]] = {}
    for segment_id, code, who in zip(
        codings[SEGMENT_ID].astype(str),
        codings[CODE].astype(str),
        codings[CODER].astype(str),
        strict=True,
    ):
        if code in code_guids:
            by_selection.setdefault((segment_id, who), []).append(code)
    selections: dict[str, list[str]] = {}
    for segment_id, who in by_selection:
        selections.setdefault(segment_id, []).append(guid("selection", f"{segment_id}\x1f{who}"))
    segments = output.segments
    coded = segments[segments[SEGMENT_ID].astype(str).isin(list(selections))]
    sheet = read_sheet(options.get("participants"))
    shown = output.folder.as_posix()
    problems = cases_xml(coded, selections, sheet, guid, lines, shown)

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
            for who in users:
                mine = sorted(set(by_selection.get((segment_id, who), [])))
                if not mine:
                    continue
                person = user_guid[who]
                key = guid("selection", f"{segment_id}\x1f{who}")
                lines.append(
                    f"      <PlainTextSelection{_attr('guid', key)}"
                    f"{_attr('name', segment_id)}{_attr('startPosition', int(start))}"
                    f"{_attr('endPosition', int(end))}{_stamp(person, when)}>"
                )
                for code in mine:
                    coding = guid("coding", f"{segment_id}\x1f{code}\x1f{who}")
                    lines.append(
                        f"        <Coding{_attr('guid', coding)}{_stamp(person, when, modified=False)}>"
                    )
                    lines.append(f"          <CodeRef{_attr('targetGUID', code_guids[code])}/>")
                    lines.append("        </Coding>")
                lines.append("      </PlainTextSelection>")
        lines.append("    </TextSource>")
    lines.append("  </Sources>")
    lines.append("</Project>")
    files["project.qde"] = ("\n".join(lines) + "\n").encode("utf-8")
    from qca.export.refi_codes import CodeNode

    def names(nodes: list[CodeNode]) -> list[str]:
        return [n for node in nodes for n in (node.name, *names(node.children))]

    report = QdpxExport(output.folder, tuple(problems), tuple(users), tuple(names(tree)))
    return _zip(files), report


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
) -> QdpxExport:
    """Write the coded output in *folder* as a REFI-QDA project archive at *path*.

    Args:
        folder: The output folder of ``qca code`` (or of ``qca import``).
        path: The ``.qdpx`` file to write (atomically).
        coder: The user name of ``manual``/``reviewed`` codings whose decision names
            no coder (a ``coder`` column in the codings, as ``qca import`` writes, and
            the ``coder`` of each decision in the overrides file win).
        texts: Document id -> text; by default re-read from the inputs run.json lists
            (or the ``sources/`` folder that ``qca import`` writes).

    Returns:
        The path written (``QdpxExport`` is path-like) and warnings.

    Raises:
        OutputError: When the folder holds no coded output or an input is missing.

    Examples:
        >>> export_qdpx("qca-out", "project.qdpx").users  # doctest: +SKIP
        ('qca auto-coder', 'Anna L')
    """
    from qca.outputs import read_output

    output = read_output(folder, check_project=False)
    if texts is None:
        texts = _stored_texts(output) or _document_texts(output)
    data, report = build_qdpx(output, texts, coder=coder)
    out = Path(path)
    atomic_write_bytes(out, data)
    return replace(report, path=out)


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
