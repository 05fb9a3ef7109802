"""Is an output folder up to date? Compare a ``qca code`` request with the folder's run.json.

``qca code`` with the same inputs, codebook and options as the run that wrote the
output folder would write the same files (outputs are deterministic), so it need not
run at all. :func:`check_outputs` decides that before anything heavy is imported: it
reads run.json, finds the input files as the run does (:func:`qca.ingest.files.find_files`)
and hashes them, and never imports pandas, numpy, pyarrow or spaCy.

Up to date means all of these are as run.json recorded them:

- the qca version and the run.json format; the spaCy and spacy-lookups-data versions,
  read from their ``about.py`` without importing them; with ``--model``, the pipeline
  (an installed package's version, or the size and modification time of each file of
  a saved folder);
- the codebook's path and the sha256 of its bytes (a codebook includes no other file),
  compared last: when only the codebook differs, ``codebook_only`` says so;
- the input files found (the same list, in the same order) and the sha256 of each;
  the sha256 of the ``--participants`` sheet and of the overrides file;
- every option that decides the outputs (all of run.json's ``options`` but ``jobs``,
  ``cache`` and ``cache_dir``), with the coding unit resolved as the run resolves it;
- each output file: its size and modification time (``mtime_ns``) as recorded when
  it was written. Hashing outputs of hundreds of MB would cost more than the check
  saves; a file edited in place gets a new modification time, and one put back from
  elsewhere (a copy, a checkout) does too, unless the copy keeps times, in which case
  it is the same file.

:func:`run_stamps` and :func:`output_stamps` give what a run records for this check;
:func:`code_digests` (in ``run_stamps``) tells which codes an edit of the codebook changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca import __version__
from qca.models import RUN_FILE, RUN_FORMAT

if TYPE_CHECKING:
    from qca.codebook.model import Codebook
    from qca.errors import Problem
    from qca.options import CodeOptions

#: Options that change how a run works, never what it writes.
_RUN_ONLY_OPTIONS = frozenset({"jobs", "cache", "cache_dir", "scheduler"})
_CHANGED = {
    "participants_sha256": "the participants sheet changed",
    "overrides_sha256": "the overrides file changed",
    "lookups_version": "spacy-lookups-data changed",
    "model": "the spaCy pipeline (--model) changed",
}
_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.M)


@dataclass(frozen=True)
class OutputState:
    """Whether an output folder is up to date with a ``qca code`` request.

    Attributes:
        outdir: The output folder.
        up_to_date: True when coding again would write the same files.
        reason: What differs, e.g. ``"transcripts/a.txt changed"``; "" when up to date.
        documents: The documents the folder holds (from run.json).
        problems: What the run that wrote the folder reported: (severity, line) pairs,
            severity ``"error"`` or ``"warning"``.
        codebook_only: Not up to date only because the codebook's bytes (or its path)
            differ: inputs, options, versions and outputs are as recorded. The codebook's
            ``unit`` is taken as recorded; a caller that re-codes from the outputs must
            check that the codebook's ``unit``, ``language`` and ``exclude_speakers``
            are those of the recorded run.
    """

    outdir: Path
    up_to_date: bool
    reason: str = ""
    documents: int = 0
    problems: tuple[tuple[str, str], ...] = ()
    codebook_only: bool = False

    @property
    def skipped(self) -> bool:
        """Whether the run skipped a file with an error (``qca code`` exits 1 then)."""
        return any(severity == "error" for severity, _ in self.problems)


def file_sha256(path: str | Path) -> str:
    """Return the sha256 of *path*'s bytes, or "" when it cannot be read."""
    try:
        with open(path, "rb", buffering=0) as handle:  # unbuffered: file_digest reads into its own
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""


def _optional_sha256(path: str | Path | None) -> str | None:
    return file_sha256(path) if path is not None else None


def package_version(name: str) -> str:
    """Return the version in package *name*'s ``about.py``, without importing it ("" if none).

    Examples:
        >>> package_version("spacy")  # doctest: +SKIP
        '3.8.18'
    """
    from importlib.util import find_spec

    try:
        spec = find_spec(name)
        folders = list(spec.submodule_search_locations or []) if spec else []
        for folder in folders:
            about = Path(folder) / "about.py"
            if about.is_file():
                found = _VERSION.search(about.read_text(encoding="utf-8"))
                return found.group(1) if found else ""
    except (ImportError, OSError, ValueError):
        pass
    return ""


def _model_stamp(model: str | None) -> str | None:
    """Return what identifies the spaCy pipeline *model*: a folder's files, or a package version."""
    if not model:
        return None
    folder = Path(model)
    if folder.is_dir():
        digest = hashlib.sha256()
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = path.stat()
            name = path.relative_to(folder).as_posix()
            digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return f"folder:{digest.hexdigest()}"
    return f"package:{package_version(model)}"


def _output_options(options: CodeOptions) -> dict[str, Any]:
    """Return run.json's ``options`` of *options* (flattened as the run writes them),
    without those that change how a run works but not what it writes."""
    from qca.options import options_manifest

    return {k: v for k, v in options_manifest(options).items() if k not in _RUN_ONLY_OPTIONS}


def run_stamps(
    options: CodeOptions, codebook: Codebook, inputs: Iterable[str], problems: Iterable[Problem]
) -> dict[str, Any]:
    """Return run.json's ``rerun`` entry: what :func:`check_outputs` compares besides
    run.json's other keys.

    Args:
        options: The run's options, as :func:`qca.coding.code` resolved them.
        codebook: The codebook coded with.
        inputs: The input paths in the order read (run.json's ``inputs`` are sorted).
        problems: The run's problems (run.json's ``problems`` has their lines only).
    """
    return {
        **_stamps(options, codebook.unit),
        "codebook_exclude_speakers": list(codebook.exclude_speakers),
        "code_digests": code_digests(codebook),
        "inputs": list(inputs),
        "severities": [problem.severity for problem in problems],
    }


def _jsonable(value: Any) -> Any:
    """Return *value* with mappings, tuples and sets as plain JSON values (keys sorted on dump)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    return value


def code_digests(codebook: Codebook) -> dict[str, str]:
    """Return a sha256 per code id of everything in *codebook* that decides the code's hits.

    A code's digest covers its theme and id, its terms per language, ``not``
    phrases, patterns and regexes, and what every code shares: the codebook's
    language and languages, unit, ``exclude_speakers`` and negation settings.
    Labels, definitions and examples are left out. Two codebooks that give a code
    the same digest give it the same hits on the same segments with the same qca,
    spaCy and pipeline (which :func:`check_outputs` compares), so a re-code after
    an edit need match only the codes whose digest changed. Unlike
    :meth:`qca.engine.rules.Rules.code_keys` it needs no spaCy tokenizer.

    Examples:
        >>> from qca.codebook.model import Code, Codebook, Theme
        >>> book = Codebook("b", (Theme("t", codes=(Code("c", "t", terms={"en": ("x",)}),)),))
        >>> list(code_digests(book)) == ["c"]
        True
    """
    shared = {
        "language": codebook.language,
        "languages": list(codebook.languages()),
        "unit": codebook.unit,
        "exclude_speakers": list(codebook.exclude_speakers),
        "negation": {"cues": codebook.negation.cues, "window": codebook.negation.window},
    }
    digests = {}
    for code in codebook.codes():
        rules: dict[str, Any] = {
            "theme": code.theme,
            "code": code.id,
            "terms": code.terms,
            "not": code.not_,
            "patterns": code.patterns,
            "regex": code.regex,
        }
        if code.fallback or code.max_words:  # only then, so older digests stay as they were
            rules.update(fallback=code.fallback, max_words=code.max_words)
        text = json.dumps(_jsonable([shared, rules]), sort_keys=True, ensure_ascii=False)
        digests[code.id] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return digests


def _stamps(options: CodeOptions, unit: str | None) -> dict[str, Any]:
    return {
        "codebook_unit": unit,
        "participants_sha256": _optional_sha256(options.ingest.participants),
        "overrides_sha256": _optional_sha256(options.overrides),
        "lookups_version": package_version("spacy_lookups_data"),
        "model": _model_stamp(options.model),
    }


def output_stamps(folder: Path, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Return run.json's ``outputs`` entry: each output file's size, ``mtime_ns`` and sha256.

    Take them from the written files (fsynced here): a rename into the output folder
    keeps all three. Readers check the sha256 (:func:`qca.folders.verify_outputs`).
    """
    from qca.folders import stamp_files

    return stamp_files(folder, names)


def _read_manifest(outdir: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((outdir / RUN_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _outputs_changed(outdir: Path, outputs: Any) -> str:
    if not isinstance(outputs, dict) or not outputs:
        return f"{RUN_FILE} records no output files (written by an older qca)"
    for name, stamp in sorted(outputs.items()):
        try:
            stat = (outdir / name).stat()
        except OSError:
            return f"{(outdir / name).as_posix()} is missing"
        if not isinstance(stamp, dict) or [stat.st_size, stat.st_mtime_ns] != [
            stamp.get("size"),
            stamp.get("mtime_ns"),
        ]:
            return f"{(outdir / name).as_posix()} changed"
    return ""


def _inputs_changed(
    paths: Sequence[str | Path], options: CodeOptions, recorded: Any, order: Any
) -> str:
    """Find the input files as the run does (problems first, then files); compare them."""
    from qca.ingest.files import find_files

    files, problems, _unread = find_files(paths, options.ingest.participants)
    found = list(dict.fromkeys([p.path for p in problems] + [str(path) for path in files]))
    if not isinstance(recorded, list) or not all(isinstance(i, dict) for i in recorded):
        return f"{RUN_FILE} has no list of inputs"
    before = {str(i.get("path")): i.get("sha256") for i in recorded}
    if found != order or set(found) != set(before):
        return "the input files are not those coded"
    for path in found:
        if file_sha256(path) != before[path]:
            return f"{path} changed"
    return ""


def check_outputs(
    paths: Sequence[str | Path],
    codebook: str | Path,
    outdir: str | Path,
    *,
    options: CodeOptions,
) -> OutputState:
    """Say whether ``code(paths, codebook, outdir=outdir, options=options)`` would
    write what *outdir* holds already.

    Imports neither pandas, numpy, pyarrow nor spaCy, so a re-run with nothing
    changed costs the hashing of the inputs and little else.

    Args:
        paths: Transcript files or folders, as :func:`qca.coding.code` takes them.
        codebook: The codebook file.
        outdir: The output folder.
        options: The options, as given to :func:`qca.coding.code`.

    Returns:
        An :class:`OutputState`; ``reason`` says what differs when it is not up to date.

    Examples:
        >>> state = check_outputs(["transcripts"], "codebooks/esther.yaml", "qca-out",
        ...                       options=CodeOptions())  # doctest: +SKIP
        >>> state.up_to_date, state.reason  # doctest: +SKIP
        (False, 'transcripts/fg-seniors.txt changed')
    """
    folder = Path(outdir)
    manifest = _read_manifest(folder)
    if manifest is None:
        return OutputState(folder, False, f"no readable {RUN_FILE} in {folder.as_posix()}")
    reason = _differs(paths, folder, options, manifest)
    if reason:
        return OutputState(folder, False, reason)
    counts = manifest.get("counts") or {}
    lines = [str(line) for line in manifest.get("problems") or []]
    severities = [str(s) for s in manifest["rerun"].get("severities") or []]
    if len(severities) != len(lines):
        return OutputState(folder, False, f"{RUN_FILE} has problems without severities")
    recorded = manifest.get("codebook") or {}
    path = Path(codebook)
    edited = recorded.get("path") != str(path) or recorded.get("sha256") != file_sha256(path)
    return OutputState(
        folder,
        not edited,
        f"{path.as_posix()} changed" if edited else "",
        documents=int(counts.get("documents", 0)),
        problems=tuple(zip(severities, lines, strict=True)),
        codebook_only=edited,
    )


def _differs(
    paths: Sequence[str | Path],
    outdir: Path,
    options: CodeOptions,
    manifest: dict[str, Any],
) -> str:
    """Return the first thing besides the codebook that differs from *manifest*, or ""."""
    if manifest.get("format") != RUN_FORMAT or manifest.get("qca_version") != __version__:
        return "written by another qca version"
    stamps = manifest.get("rerun")
    if not isinstance(stamps, dict):
        return f"{RUN_FILE} has no rerun stamps (written by an older qca)"
    unit = str(options.unit or stamps.get("codebook_unit") or "")
    resolved = dataclasses.replace(options, ingest=dataclasses.replace(options.ingest, unit=unit))
    resolved = dataclasses.replace(resolved, unit=unit)
    # The run adds the codebook's exclude_speakers to the document unit's options.
    excluded = [str(s) for s in stamps.get("codebook_exclude_speakers") or ()]
    ingest = resolved.ingest.excluding(excluded, include_interviewer=options.include_interviewer)
    resolved = dataclasses.replace(resolved, ingest=ingest)
    before = {
        k: v for k, v in (manifest.get("options") or {}).items() if k not in _RUN_ONLY_OPTIONS
    }
    if _output_options(resolved) != before:
        return "the options differ"
    for key, value in _stamps(resolved, unit).items():
        if key != "codebook_unit" and stamps.get(key) != value:
            return _CHANGED[key]
    if manifest.get("spacy_version") != package_version("spacy"):
        return "spaCy changed"
    return _outputs_changed(outdir, manifest.get("outputs")) or _inputs_changed(
        paths, resolved, manifest.get("inputs"), stamps.get("inputs")
    )
