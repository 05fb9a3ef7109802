"""Give back the original files from pseudonymised copies and the key."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qca.errors import Problem
from qca.io import atomic_write_bytes
from qca.pseudonymise.keyfile import read_key
from qca.pseudonymise.streams import undo


def _changed(path: str) -> Problem:
    return Problem(
        path,
        "not written by qca pseudonymise with this key, or changed since; "
        "reverse needs the copy as it was written and the key that made it",
    )


def restore_bytes(
    data: bytes, entry: dict[str, Any], path: str
) -> tuple[bytes | None, list[Problem]]:
    """Return the original bytes of a pseudonymised copy (*data*) from its key *entry*."""
    if "frame" not in entry:
        raw = undo(data.decode(entry["encoding"]), entry["edits"])
        if raw is None:
            return None, [_changed(path)]
        return raw.encode(entry["encoding"]), []
    from qca.pseudonymise.zips import compress, read_parts, rebuild, write_archive

    members = []
    for part in read_parts(data):
        content, packed = part.content, part.raw
        edits = entry["edits"].get(part.info.filename)
        if edits:
            raw = undo(content.decode("utf-8"), edits)
            if raw is None:
                return None, [_changed(path)]
            content = raw.encode("utf-8")
            packed = compress(content, part.info.compress_type)
        members.append((part.info, packed, content))
    if "any" not in entry["recipe"]:
        return rebuild(entry["frame"], members, entry["recipe"]), []
    warning = Problem(
        path,
        "its text and parts are restored exactly, but not its zip bytes "
        "(the original was compressed by another program)",
        severity="warning",
    )
    return write_archive(members), [warning]


def reverse_files(
    paths: Iterable[str | Path], output: Path, key_path: Path
) -> tuple[list[tuple[str, str]], list[Problem]]:
    """Write the originals of the pseudonymised copies under *paths* into *output*.

    Each copy is found in the key by its SHA-256, so it must be unchanged since
    ``pseudonymise_files`` wrote it. A file that is not in the key is reported and
    the others go on.

    Returns:
        ``(copy, original written)`` pairs, and the problems.

    Raises:
        PseudonymiseError: When the key file is missing or invalid.

    Examples:
        >>> reverse_files(["shared"], Path("restored"), Path("study.key"))  # doctest: +SKIP
    """
    from qca.pseudonymise.run import list_sources

    key, problems = read_key(key_path, create=False)
    listed, missing = list_sources(paths)
    problems += missing
    written = []
    for path, _ in listed:
        name = path.as_posix()
        data = path.read_bytes()
        entry = key.files.get(hashlib.sha256(data).hexdigest())
        if entry is None:
            problems.append(_changed(name))
            continue
        original, found = restore_bytes(data, entry, name)
        problems += found
        if original is None:
            continue
        if not found and hashlib.sha256(original).hexdigest() != entry["sha256"]:
            problems.append(Problem(name, "restored bytes differ from the original; report this"))
        target = output / entry["name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, original)
        written.append((name, target.as_posix()))
    return written, problems
