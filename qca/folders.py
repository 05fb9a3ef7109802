"""An output folder is one run or the previous one, never a mix.

A run writes every file into a *staging* folder beside the output folder
(:func:`stage_folder`), records each file's size and sha256 in its manifest
(:func:`stamp_files`), then :func:`switch_folder` swaps the staging folder and the
output folder with one atomic ``renameat2(RENAME_EXCHANGE)`` (Linux). Files in the
output folder that the run does not write (an exported table, say) are carried over
as hard links first. A kill at any moment leaves the old folder or the new one;
what is left of the swap is a staging folder, which the next run removes
(:func:`remove_stale`).

Where the exchange is not available (macOS, Windows, some network file systems),
the files are renamed one by one, the manifest first removed and last put back,
so a kill in between leaves a folder without a manifest, which readers refuse.

:func:`verify_outputs` is what every reader calls: a file whose size or content is
not what the manifest records makes the folder refused, with one line saying to
re-run the command that wrote it.

``QCA_FAULT=<point>`` (tests only) kills the process with SIGKILL at the named
point: ``staged``, ``sealed``, ``linked``, ``switch``, ``switched``, ``removing``,
and ``rename:<name>`` in the file-by-file fallback.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
import shutil
import signal
import stat
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from qca.errors import OutputError, Problem

#: ``renameat2`` flag that swaps two paths atomically (linux/fs.h).
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
#: A staging folder: ``.<output name>.<pid>-<random>.tmp`` beside the output folder.
_STAGING = re.compile(r"^\.(?P<name>.+)\.(?:(?P<pid>\d+)-)?[A-Za-z0-9_]+\.tmp$")
#: A staging folder without a process id (older qca) is stale after this many seconds.
_STALE_SECONDS = 600.0
_CHUNK = 1 << 20


def fault_point(name: str) -> None:
    """Kill this process with SIGKILL when ``QCA_FAULT`` names *name* (tests only)."""
    if os.environ.get("QCA_FAULT") == name:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of *path*, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # os.kill(pid, 0) would send CTRL_C_EVENT on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale(outdir: Path) -> list[Path]:
    """Remove staging folders of *outdir* left by killed runs; return those removed.

    A folder whose process is gone is stale; one named without a process id (an
    older qca) is stale when unchanged for 10 minutes.
    """
    parent = outdir.parent
    removed: list[Path] = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        found = _STAGING.match(entry.name)
        if found is None or found["name"] != outdir.name:
            continue
        with contextlib.suppress(OSError):
            if not entry.is_dir(follow_symlinks=False):
                continue
            if found["pid"] is not None:
                stale = int(found["pid"]) != os.getpid() and not _alive(int(found["pid"]))
            else:
                stale = time.time() - entry.stat().st_mtime > _STALE_SECONDS
            if stale:
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
    return removed


def _real(outdir: Path) -> Path:
    """*outdir*, or the folder it links to: the swap replaces the folder, not the link."""
    return outdir.resolve() if outdir.is_symlink() else outdir


def stage_folder(outdir: Path) -> Path:
    """Remove stale staging folders, then create and return a new one beside *outdir*.

    Raises:
        OutputError: When *outdir* is a file or its parent cannot be written.
    """
    if outdir.exists() and not outdir.is_dir():
        raise OutputError(
            f"{outdir}: the output folder is a file; remove it or choose another folder with -d"
        )
    outdir = _real(outdir)
    try:
        outdir.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(outdir)
        temp = outdir.parent / f".{outdir.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp"
        temp.mkdir()
    except OSError as exc:
        raise OutputError(
            f"{outdir}: cannot write the output folder ({exc.strerror or exc}); "
            "choose a writable folder with -d"
        ) from None
    fault_point("staged")
    return temp


def stamp_files(folder: Path, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Fsync each file *names* in *folder*; return its size, ``mtime_ns`` and sha256.

    A rename keeps all three, so the stamps hold in the output folder too.
    """
    stamps: dict[str, dict[str, Any]] = {}
    for name in names:
        path = folder / name
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
        stat = path.stat()
        stamps[name] = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": file_sha256(path),
        }
    return stamps


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically; False when the system cannot (then nothing changed)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in {22, 38, 95}:  # EINVAL, ENOSYS, EOPNOTSUPP: not on this file system
        return False
    raise OSError(error, os.strerror(error), str(second))


def _carry_over(outdir: Path, temp: Path) -> None:
    """Hard-link (else copy) into *temp* what *outdir* holds and the run does not write."""
    written = {p.name for p in temp.iterdir()}
    for entry in sorted(outdir.iterdir()):
        if entry.name in written:
            continue
        target = temp / entry.name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, target)


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def switch_folder(
    temp: Path, outdir: Path, manifest: str, keep: Iterable[str] | None = None
) -> None:
    """Make the staging folder *temp* the output folder *outdir*, atomically.

    *manifest* names the file a reader checks first (run.json); it moves last in the
    file-by-file fallback. With *keep*, other entries of *temp* (scratch files) are
    removed first. *temp* is removed afterwards (it then holds the old run).

    Raises:
        OutputError: When the output folder cannot be written.
    """
    outdir = _real(outdir)
    try:
        if keep is not None:
            kept = set(keep) | {manifest}
            for entry in list(temp.iterdir()):
                if entry.name not in kept:
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.rmtree(entry)
                    else:
                        entry.unlink()
        _fsync_folder(temp)
        with contextlib.suppress(OSError):  # the output folder keeps its mode
            os.chmod(temp, stat.S_IMODE(outdir.stat().st_mode))
        if not outdir.exists():
            fault_point("switch")
            os.rename(temp, outdir)
            fault_point("switched")
        else:
            _carry_over(outdir, temp)
            fault_point("linked")
            fault_point("switch")
            if _exchange(temp, outdir):
                fault_point("switched")
            else:
                _rename_each(temp, outdir, manifest)
        _fsync_folder(outdir.parent)
    except OSError as exc:
        raise OutputError(
            f"{outdir}: cannot write the outputs ({exc.strerror or exc}); "
            "choose a writable folder with -d"
        ) from None
    fault_point("removing")
    shutil.rmtree(temp, ignore_errors=True)


def _rename_each(temp: Path, outdir: Path, manifest: str) -> None:
    """The fallback: manifest out first, every file in, manifest in last."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(outdir / manifest)
    names = sorted(p.name for p in temp.iterdir() if p.name != manifest)
    for name in names:
        target = outdir / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(temp / name, target)
        fault_point(f"rename:{name}")
    os.replace(temp / manifest, outdir / manifest)


def _mismatch(folder: Path, name: str, stamp: Any) -> str:
    """Say how *folder*/*name* differs from its *stamp*, or "" when it is the same."""
    if not isinstance(stamp, Mapping):
        return "has no valid record"
    path = folder / name
    try:
        stat = path.stat()
    except OSError:
        return "is missing"
    if stat.st_size != stamp.get("size"):
        return "has another size than recorded"
    sha = stamp.get("sha256")
    if stat.st_mtime_ns == stamp.get("mtime_ns"):
        return ""  # renamed into place untouched: what the run wrote
    if not isinstance(sha, str):
        return "changed since the run (no sha256 recorded)"
    try:
        same = file_sha256(path) == sha
    except OSError:
        return "cannot be read"
    return "" if same else "has other content than recorded"


def verify_outputs(
    folder: Path, manifest: Mapping[str, Any], manifest_name: str, rerun: str
) -> None:
    """Check that every output *manifest* records is in *folder* as recorded.

    A file with the recorded size and modification time is taken as is; any other is
    hashed and compared. A manifest without ``outputs`` (written by hand or by an
    older qca) is not checked.

    Raises:
        OutputError: One line naming the first file that differs and saying *rerun*.
    """
    outputs = manifest.get("outputs")
    if outputs is None:
        return
    where = (folder / manifest_name).as_posix()
    if not isinstance(outputs, Mapping):
        raise OutputError(
            problems=[Problem(where, f"'outputs' is not a mapping; {rerun}", where="outputs")]
        )
    for name, stamp in sorted(outputs.items(), key=lambda item: str(item[0])):
        unsafe = not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts
        found = "is not a file of the folder" if unsafe else _mismatch(folder, str(name), stamp)
        if found:
            raise OutputError(
                problems=[
                    Problem(
                        (folder / str(name)).as_posix(),
                        f"{found} in {manifest_name}: the folder mixes two runs or was "
                        f"damaged; {rerun}",
                    )
                ]
            )
