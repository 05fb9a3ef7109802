"""Atomic file writes: a crash or Ctrl-C never leaves a half-written file."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from qca.errors import OutputError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write *data* to *path* through a temporary file, fsync and rename.

    Raises:
        OutputError: When the folder does not exist or is not writable.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: folder {folder} does not exist; create it first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(
            f"cannot write {path}: {exc.strerror}; choose a writable folder with -o"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, file_mode(path))  # mkstemp makes 0600: keep the file's, else the umask's
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def file_mode(path: Path) -> int:
    """The mode to give *path* when (re)writing it: its own if it exists, else the umask's.

    Examples:
        >>> oct(file_mode(Path("/nonexistent/x")) & 0o600)
        '0o600'
    """
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        pass
    mask = os.umask(0o022)  # reading the umask means setting it: put it back at once
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write *text* as UTF-8 to *path* atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def touch(path: Path) -> None:
    """Mark a cache entry used now (``qca cache prune`` removes entries unused for long)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def json_plain(value: Any) -> Any:
    """Return *value* as JSON can hold it: paths as strings, tuples as lists (recursively).

    Examples:
        >>> json_plain((Path("a"), ("b",)))
        ['a', ['b']]
    """
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [json_plain(v) for v in value]
    return value
