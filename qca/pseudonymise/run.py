"""Pseudonymise files into an output folder, and reverse them with the key.

One pass reads every file (plain text as it is, Office files part by part), gathers
the names (speaker labels, participants sheet, names file, spaCy entities) and the
identifiers found by pattern, gives each a pseudonym from the key, and writes a copy
of each file in which only those spans differ. The key records, per copy, what each
replacement replaced, so ``reverse_files`` gives back the original bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import Problem, QcaError
from qca.ingest.base import DEFAULT_INTERVIEWER_LABELS
from qca.io import atomic_write_bytes
from qca.pseudonymise.keyfile import LABELS, Key, PseudonymiseError, read_key, write_key
from qca.pseudonymise.names import Name, lowercase_words, name_forms, names_pattern
from qca.pseudonymise.patterns import Finding, find_identifiers, normal_value, without_overlaps
from qca.pseudonymise.streams import Stream, plain_stream, replace_spans, xml_stream
from qca.pseudonymise.zips import Part, read_parts

if TYPE_CHECKING:
    import pandas as pd

TEXT_SUFFIXES = (".txt", ".md", ".vtt", ".srt", ".csv", ".jsonl")
_W = frozenset({"w:t"})
_W_BLOCKS = frozenset({"w:p", "w:tab", "w:br", "w:cr"})
_CORE = frozenset({"dc:creator", "cp:lastModifiedBy", "dc:title", "dc:subject", "dc:description"})
#: Per Office suffix: the parts read, their text elements and block elements.
OFFICE_PARTS: dict[str, tuple[tuple[re.Pattern[str], frozenset[str], frozenset[str]], ...]] = {
    ".docx": (
        (
            re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml"),
            _W,
            _W_BLOCKS,
        ),
        (re.compile(r"docProps/core\.xml"), _CORE, _CORE),
    ),
    ".xlsx": (
        (
            re.compile(r"xl/(sharedStrings|worksheets/sheet\d+)\.xml"),
            frozenset({"t"}),
            frozenset({"si", "is"}),
        ),
        (re.compile(r"docProps/core\.xml"), _CORE, _CORE),
    ),
}


@dataclass(frozen=True)
class PseudonymiseOptions:
    """Where names come from (``qca pseudonymise`` options)."""

    names: Path | None = None
    participants: Path | None = None
    name_columns: tuple[str, ...] = ("speaker",)
    model: str | None = None
    interviewer_labels: tuple[str, ...] = DEFAULT_INTERVIEWER_LABELS
    encoding: str | None = None
    #: A codebook whose rules must code no pseudonym (else nothing is written).
    codebook: Path | None = None


@dataclass(frozen=True)
class PseudonymiseResult:
    """What a run did: files written (source, output), the review table, problems, counts."""

    written: tuple[tuple[str, str], ...]
    review: pd.DataFrame
    problems: tuple[Problem, ...]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Source:
    path: Path
    relative: str
    codec: str
    data: bytes
    streams: dict[str, Stream]
    parts: list[Part]


class _Skip(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def list_sources(paths: Iterable[str | Path]) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """Return each file under *paths* with its path relative to the folder given, and problems."""
    from qca.ingest.files import find_files

    found: list[tuple[Path, str]] = []
    problems: list[Problem] = []
    for given in paths:
        root = Path(given)
        files, missing, _ = find_files([root])
        problems.extend(missing)
        for file in files:
            relative = file.relative_to(root).as_posix() if root.is_dir() else file.name
            found.append((file, relative))
    return found, problems


def _text_codec(data: bytes, path: str, encoding: str | None) -> str:
    from qca.ingest.encodings import detect_encoding
    from qca.ingest.text import SkipFile

    if encoding is None:
        try:
            encoding = detect_encoding(data, path)[0]
        except SkipFile as skip:
            raise _Skip(skip.args[0]) from None
    boms = {b"\xff\xfe\x00\x00": "utf-32-le", b"\x00\x00\xfe\xff": "utf-32-be"}
    boms |= {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be", b"\xef\xbb\xbf": "utf-8"}
    for bom, codec in boms.items():
        if data.startswith(bom) and codec.startswith(encoding.lower().replace("-sig", "")[:6]):
            return codec
    return encoding


def _load(path: Path, relative: str, encoding: str | None) -> _Source:
    name = path.as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _Skip(Problem(name, f"cannot read the file ({exc.strerror}); check it")) from None
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        codec = _text_codec(data, name, encoding)
        try:
            raw = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            raise _Skip(Problem(name, f"cannot decode as {codec}; pass its --encoding")) from None
        if raw.encode(codec) != data:
            raise _Skip(Problem(name, f"{codec} does not give back its bytes; save it as UTF-8"))
        return _Source(path, relative, codec, data, {"": plain_stream(raw)}, [])
    if suffix in OFFICE_PARTS:
        import zipfile

        try:
            parts = read_parts(data)
        except (zipfile.BadZipFile, ValueError, OSError):
            raise _Skip(
                Problem(name, f"is not a valid {suffix} file; open and save it again")
            ) from None
        streams = {}
        for part in parts:
            for pattern, texts, blocks in OFFICE_PARTS[suffix]:
                if pattern.fullmatch(part.info.filename):
                    try:
                        raw = part.content.decode("utf-8")
                    except UnicodeDecodeError:
                        message = f"part {part.info.filename} is not UTF-8 XML; save the file again"
                        raise _Skip(Problem(name, message)) from None
                    streams[part.info.filename] = xml_stream(raw, texts, blocks)
        return _Source(path, relative, "", data, streams, parts)
    raise _Skip(
        Problem(name, f"cannot write {suffix} files; convert it to .docx or .txt and run again")
    )


def _names(sources: Sequence[_Source], options: PseudonymiseOptions, lower: set[str]) -> list[Name]:
    from qca.ingest import IngestOptions, read_corpus
    from qca.models import DOC_ID, FORMAT, SPEAKER, TEXT
    from qca.pseudonymise import names as sources_of

    labels = tuple(label.lower() for label in options.interviewer_labels)
    corpus = read_corpus(
        [s.path for s in sources],
        IngestOptions(interviewer_labels=labels, encoding=options.encoding),
    )
    # Survey rows have respondent ids or attributes as speakers, not labels: transcripts only.
    documents = corpus.documents
    surveys = set(documents[DOC_ID][documents[FORMAT].isin(["csv", "xlsx", "jsonl"])])
    segments = corpus.segments
    speakers = segments[SPEAKER][~segments[DOC_ID].isin(surveys)].dropna().astype(str)
    found = sources_of.speaker_names(speakers, labels, lower)
    if options.participants is not None:
        found += sources_of.column_names(options.participants, options.name_columns, labels, lower)
    if options.names is not None:
        found += sources_of.read_names_file(options.names)
    if options.model is not None:
        found += sources_of.model_names(corpus.documents[TEXT].astype(str), options.model)
    return sources_of.merge_names(found)


def _find(text: str, pattern: re.Pattern[str] | None, forms: dict[str, Name]) -> list[Finding]:
    found = find_identifiers(text)
    if pattern is not None:
        for match in pattern.finditer(text):
            name = forms[match.group()]
            found.append(
                Finding(f"name:{name.original}", match.start(), match.end(), match.group())
            )
    return without_overlaps(found)


def _pseudonym(key: Key, finding: Finding, forms: dict[str, Name]) -> str:
    if finding.kind.startswith("name:"):
        name = forms[finding.value]
        return key.pseudonym(name.kind, name.label, name.original)
    return key.pseudonym(
        finding.kind, LABELS[finding.kind], normal_value(finding.kind, finding.value)
    )


def pseudonymise_files(
    paths: Iterable[str | Path],
    output: Path,
    key_path: Path,
    options: PseudonymiseOptions = PseudonymiseOptions(),  # noqa: B008
    *,
    dry_run: bool = False,
) -> PseudonymiseResult:
    """Write pseudonymised copies of the files under *paths* into *output*; keep the key.

    Args:
        paths: Files and folders (folders are read recursively).
        output: The folder for the copies (same relative paths, names pseudonymised too).
        key_path: The key file; made (mode 0600) when missing, else reused.
        options: Where names come from.
        dry_run: Write no copies; only return the review table. A missing key file
            is made (its secret only), so the pseudonyms listed are the ones a run gives.

    Raises:
        PseudonymiseError: For a bad key path or key file, names file or --model.

    Examples:
        >>> result = pseudonymise_files(["transcripts"], Path("shared"), Path("study.key"))  # doctest: +SKIP
    """
    from qca.pseudonymise.review import context, review_table, unlisted_words

    listed, problems = list_sources(paths)
    if not listed:  # nothing to read: make no key and no folder
        problems = problems or [Problem("", "no files to pseudonymise; name files or folders")]
        raise PseudonymiseError(problems=problems)
    if not dry_run:
        _check_places(listed, output, key_path)
    key, warnings = read_key(key_path, create=True)
    if dry_run and not key_path.exists():
        write_key(key_path, key)  # the secret only: no names are stored by a dry run
    problems += warnings
    sources = []
    taken: dict[str, Path] = {}
    for path, relative in listed:
        if relative in taken:
            problems.append(_collision(path, taken[relative]))
            continue
        taken[relative] = path
        try:
            sources.append(_load(path, relative, options.encoding))
        except _Skip as skip:
            problems.append(skip.problem)
    texts = [st.text for s in sources for st in s.streams.values()]
    lower = lowercase_words(texts)
    names = _names(sources, options, lower)
    forms, shared = name_forms(names, lower)
    pattern = names_pattern(forms)
    found = {
        (s.relative, part): _find(st.text, pattern, forms)
        for s in sources
        for part, st in s.streams.items()
    }
    renamed = {s.relative: _find(s.relative, pattern, forms) for s in sources}
    every = [f for fs in [*found.values(), *renamed.values()] for f in fs]
    given = {_pseudonym(key, f, forms) for f in sorted(every, key=lambda f: (f.kind, f.value))}
    if options.codebook is not None:
        from qca.pseudonymise.collisions import pseudonym_collisions

        clashes = pseudonym_collisions(given, options.codebook)
        if clashes:
            raise PseudonymiseError(problems=clashes)
    rows: list[tuple[str, str, str, str, str]] = []
    copies: list[tuple[Path, Path, bytes]] = []
    written = []
    for source in sources:
        edits: dict[str, list[Any]] = {}
        new_raw: dict[str, str] = {}
        for part, stream in source.streams.items():
            spans = []
            for f in found[(source.relative, part)]:
                new = _pseudonym(key, f, forms)
                spans.append((f.start, f.end, new))
                kind = forms[f.value].kind if f.kind.startswith("name:") else f.kind
                rows.append(
                    (kind, f.value, new, source.relative, context(stream.text, f.start, f.end))
                )
            new_raw[part], edits[part] = replace_spans(stream, spans)
        name_spans = [(f.start, f.end, _pseudonym(key, f, forms)) for f in renamed[source.relative]]
        relative = replace_spans(plain_stream(source.relative), name_spans)[0]
        data, entry = _rebuild(source, new_raw, edits)
        entry["name"] = source.relative
        key.files[hashlib.sha256(data).hexdigest()] = entry
        copies.append((source.path, output / relative, data))
    if not dry_run:
        # The key first: a copy on disk can always be reversed, even after a crash.
        write_key(key_path, key)
        for path, target, data in copies:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(target, data)
            except QcaError as exc:
                problems.append(Problem(target.as_posix(), exc.message))
                continue
            except OSError as exc:
                message = f"cannot write the copy ({exc.strerror}); check the -o folder"
                problems.append(Problem(target.as_posix(), message))
                continue
            written.append((path.as_posix(), target.as_posix()))
    flagged = unlisted_words(texts, set(forms), shared, options.interviewer_labels, lower)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[0]] = counts.get(row[0], 0) + 1
    return PseudonymiseResult(tuple(written), review_table(rows, flagged), tuple(problems), counts)


def _collision(path: Path, first: Path) -> Problem:
    return Problem(
        path.as_posix(),
        f"has the same name as {first.as_posix()} in the output folder; "
        "pseudonymise the two in separate runs with different -d folders",
    )


def _check_places(listed: list[tuple[Path, str]], output: Path, key_path: Path) -> None:
    out = output.resolve()
    if key_path.resolve().is_relative_to(out):
        raise PseudonymiseError(
            problems=[
                Problem(
                    key_path.as_posix(),
                    "the key must not go into the output folder (it holds the originals); "
                    "keep it elsewhere, e.g. --key ../study.key",
                    where="--key",
                )
            ]
        )
    for path, relative in listed:
        if (out / relative).resolve() == path.resolve():
            raise PseudonymiseError(
                problems=[
                    Problem(
                        path.as_posix(),
                        "would be overwritten by its pseudonymised copy; choose another -d folder",
                        where="-o",
                    )
                ]
            )


def _rebuild(
    source: _Source, new_raw: dict[str, str], edits: dict[str, list[Any]]
) -> tuple[bytes, dict[str, Any]]:
    """Return the new file's bytes and its key entry (how to give back the original)."""
    entry: dict[str, Any] = {"sha256": hashlib.sha256(source.data).hexdigest()}
    if not source.parts:
        entry |= {"encoding": source.codec, "edits": edits[""]}
        return new_raw[""].encode(source.codec), entry
    from qca.pseudonymise.zips import compress, find_setting, frame, write_archive

    members = []
    recipe: list[Any] = []
    for part in source.parts:
        name = part.info.filename
        if not edits.get(name):
            members.append((part.info, part.raw, part.content))
            recipe.append(None)
            continue
        setting = find_setting(part)
        recipe.append(list(setting) if setting is not None else "any")
        content = new_raw[name].encode("utf-8")
        members.append((part.info, compress(content, part.info.compress_type), content))
    entry |= {
        "edits": {k: v for k, v in edits.items() if v},
        "frame": frame(source.data, source.parts),
        "recipe": recipe,
    }
    return write_archive(members), entry
