"""Turn any exception that escapes a command into one line (and a crash report).

Known failures of the machine or the input map to one line saying what, where and
how to fix it (:func:`describe_failure`): a full disk, a permission, a missing
file, an unknown encoding, input nested too deep. Anything else is a bug in qca:
:func:`write_crash_report` writes the stack to a file whose path the one line names.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

#: Set to 1 to see the stack of an unexpected error on the terminal.
DEBUG_VARIABLE = "QCA_DEBUG"
#: The folder crash reports go to (default: the system's temporary folder).
CRASH_DIR_VARIABLE = "QCA_CRASH_DIR"


def _where(exc: OSError) -> str:
    name = exc.filename if exc.filename is not None else ""
    return f"{Path(os.fsdecode(name)).as_posix()}: " if name != "" else ""


def describe_failure(exc: BaseException) -> str | None:
    """Return one line for a failure of the machine or the input, or None for a bug.

    Examples:
        >>> describe_failure(OSError(errno.ENOSPC, "No space left on device", "out/hits.csv"))
        'out/hits.csv: the disk is full (No space left on device); free some space and run the command again'
        >>> describe_failure(LookupError("unknown encoding: usf-8"))
        'unknown encoding: usf-8; use a codec name such as utf-8, cp1252 or latin-1'
    """
    if isinstance(exc, OSError):
        where, reason = _where(exc), exc.strerror or str(exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"{where}the disk is full ({reason}); free some space and run the command again"
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return f"{where}permission denied ({reason}); choose a folder you can write, or fix its permissions"
        if exc.errno == errno.ENOENT:
            return f"{where}no such file or folder; check the path"
        return f"{where}cannot read or write ({reason}); check the path and the disk"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read; flatten it (fewer levels of lists, mappings or XML elements)"
    if isinstance(exc, MemoryError):
        return "out of memory; split the input into smaller files or code fewer files at once"
    if isinstance(exc, LookupError) and "encoding" in str(exc):
        return f"{exc}; use a codec name such as utf-8, cp1252 or latin-1"
    return None


def write_crash_report(exc: BaseException, argv: list[str] | None = None) -> Path | None:
    """Write the stack of *exc* to a new file; return its path (None when it cannot)."""
    from qca import __version__

    folder = Path(os.environ.get(CRASH_DIR_VARIABLE) or tempfile.gettempdir())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    text = "".join(
        [
            f"qca {__version__}, Python {sys.version.split()[0]}, {sys.platform}\n",
            f"command: {' '.join(argv if argv is not None else sys.argv)}\n\n",
            *traceback.format_exception(type(exc), exc, exc.__traceback__),
        ]
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f"qca-crash-{stamp}-", suffix=".txt", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError:
        return None
    return Path(name)


def crash_line(exc: BaseException, report: Path | None) -> str:
    """The one line shown for a bug: what happened and where the report is."""
    what = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:200]
    where = f"; please report it with the crash report {report.as_posix()}" if report else ""
    return f"qca hit an unexpected error ({what}){where} (QCA_DEBUG=1 shows the stack)"
