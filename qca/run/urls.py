"""Inputs and outputs given as fsspec URLs (``s3://``, ``gs://``, ``memory://``, ...), #23.

qca reads files and writes its output folder on a local (or shared, mounted)
filesystem: the switch of :mod:`qca.folders` swaps two folders with one rename,
which an object store cannot do. So a URL is passed through by copying:

- an input URL (a file or a folder) is downloaded into a working folder
  (:func:`fetch_inputs`), and the run reads that copy;
- an output URL: the run writes a local output folder as usual (atomically),
  then :func:`publish` uploads it file by file: it first deletes ``run.json`` at
  the URL, uploads the other files, and uploads ``run.json`` last. ``run.json`` is
  the commit marker: it records the size and sha256 of every file, so a reader
  that checks them (``qca.folders.verify_outputs`` once downloaded) refuses a
  folder whose upload stopped half-way, and a folder without ``run.json`` is no
  output folder.

fsspec comes with Dask (``pip install 'qca[dask]'``); each protocol may need its
own package (``s3fs`` for ``s3://``, ``gcsfs`` for ``gs://``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import posixpath
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qca.errors import CodingError, Problem
from qca.io import atomic_write_text
from qca.models import RUN_FILE

#: A URL: a protocol, then ``://`` (a Windows drive ``C:\\`` is not one).
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")

INSTALL_HINT = "URLs need fsspec, which is not installed: pip install 'qca[dask]'"


def is_url(text: str | Path) -> bool:
    """Whether *text* is a URL (``s3://bucket/x``, ``file:///tmp/x``), not a path.

    Examples:
        >>> is_url("s3://bucket/transcripts"), is_url("transcripts"), is_url("C:/data")
        (True, False, False)
    """
    return isinstance(text, str) and _URL.match(text) is not None


def filesystem(url: str) -> tuple[Any, str]:
    """Return the fsspec filesystem of *url* and the path on it.

    Raises:
        CodingError: When fsspec, or the package of the URL's protocol, is missing.
    """
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise CodingError(f"{url}: {INSTALL_HINT}") from None
    try:
        fs, path = url_to_fs(url)
    except (ImportError, ValueError) as exc:  # "Install s3fs to access S3", "Protocol not known"
        raise CodingError(
            f"{url}: cannot open this URL ({exc}); install the fsspec package for its protocol"
        ) from None
    return fs, str(path)


def fetch_inputs(items: Sequence[str], folder: Path) -> tuple[list[str], dict[str, str]]:
    """Download the URLs among *items* (files or folders) into *folder*; keep paths as given.

    Returns the items with each URL replaced by the path of its copy, and a mapping
    from each copy's path to its URL (for :func:`publish` to name the inputs).

    Raises:
        CodingError: When a URL names nothing, or cannot be read.
    """
    local: list[str] = []
    copies: dict[str, str] = {}
    for number, item in enumerate(items):
        if not is_url(item):
            local.append(item)
            continue
        fs, path = filesystem(item)
        base = posixpath.basename(path.rstrip("/")) or "input"
        target = folder / f"{number}" / base
        try:
            if fs.isdir(path):
                for name in sorted(fs.find(path)):
                    relative = posixpath.relpath(name, path.rstrip("/"))
                    (target / relative).parent.mkdir(parents=True, exist_ok=True)
                    fs.get_file(name, str(target / relative))
            elif fs.isfile(path):
                target.parent.mkdir(parents=True, exist_ok=True)
                fs.get_file(path, str(target))
            else:
                raise CodingError(f"{item}: no such file or folder; check the URL")
        except OSError as exc:
            raise CodingError(f"{item}: cannot download ({exc}); check the URL") from None
        local.append(str(target))
        copies[str(target)] = item.rstrip("/")
    return local, copies


def _named(text: str, copies: Mapping[str, str]) -> str:
    """Return *text* with each copy's path in it replaced by the URL it came from."""
    for copy, url in copies.items():
        if copy in text:
            text = text.replace(copy, url)
    return text


def _rename(value: Any, copies: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _named(value, copies)
    if isinstance(value, list):
        return [_rename(v, copies) for v in value]
    if isinstance(value, dict):
        return {k: _rename(v, copies) for k, v in value.items()}
    return value


def name_inputs(folder: Path, copies: Mapping[str, str]) -> None:
    """Rewrite ``run.json`` in *folder* so that it names the URLs, not their local copies."""
    if not copies:
        return
    run = folder / RUN_FILE
    manifest = _rename(json.loads(run.read_text(encoding="utf-8")), copies)
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(run, text)


def _files(folder: Path) -> Iterable[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != RUN_FILE)


def publish(folder: Path, url: str) -> None:
    """Upload the output folder *folder* to *url*, ``run.json`` deleted first and put last.

    Files at *url* that the run did not write are left as they are.

    Raises:
        CodingError: When the URL cannot be written.
    """
    fs, root = filesystem(url)
    root = root.rstrip("/")
    marker = f"{root}/{RUN_FILE}"
    try:
        fs.makedirs(root, exist_ok=True)
        if fs.exists(marker):
            fs.rm_file(marker)
        for file in _files(folder):
            name = file.relative_to(folder).as_posix()
            if "/" in name:
                fs.makedirs(posixpath.dirname(f"{root}/{name}"), exist_ok=True)
            fs.put_file(str(file), f"{root}/{name}")
        fs.put_file(str(folder / RUN_FILE), marker)
    except OSError as exc:
        raise CodingError(
            f"{url}: cannot upload the outputs ({exc}); the local copy is in {folder}"
        ) from None


@dataclass
class LocalRun:
    """The local paths a run reads and writes, and where its outputs go after it."""

    paths: list[str]
    outdir: str | None
    participants: str | None = None
    url: str | None = None
    copies: dict[str, str] = field(default_factory=dict)

    def name(self, problem: Problem) -> Problem:
        """Return *problem* naming the URL of the file, not its local copy."""
        return dataclasses.replace(problem, path=_named(problem.path, self.copies))

    def publish(self, folder: Path | None) -> None:
        """Name the URLs in run.json's inputs in the output *folder*; upload it to its URL."""
        if folder is not None:
            name_inputs(folder, self.copies)
            if self.url is not None:
                publish(folder, self.url)


@contextlib.contextmanager
def local_run(
    paths: Sequence[str], outdir: str | None, participants: str | None = None
) -> Iterator[LocalRun]:
    """Yield the local inputs and output folder of a run whose *paths*, *outdir* or
    *participants* may be URLs (a participants sheet inside an input folder keeps its place).

    Without URLs, the paths as given. With URLs, a working folder ``.qca-urls-*`` in the
    working folder (which workers of a cluster must share) holds the downloaded inputs
    and the local output folder; it is removed at the end.

    Raises:
        CodingError: When fsspec is missing, or a URL cannot be read.
    """
    urls = [p for p in (*paths, outdir, participants) if p is not None and is_url(p)]
    if not urls:
        yield LocalRun(list(paths), outdir, participants)
        return
    for url in urls:
        filesystem(url)  # fsspec and the protocol's package, before anything is read
    work = Path(tempfile.mkdtemp(prefix=".qca-urls-", dir=Path.cwd()))
    try:
        local, copies = fetch_inputs(paths, work / "inputs")
        if participants is not None and is_url(participants):
            inside = {url: copy for copy, url in copies.items()}
            found = next((u for u in inside if participants.startswith(u + "/")), None)
            if found is not None:
                participants = inside[found] + participants[len(found) :]
            else:
                [participants], more = fetch_inputs([participants], work / "participants")
                copies.update(more)
        out_url = outdir if outdir is not None and is_url(outdir) else None
        target = str(work / "out") if out_url is not None else outdir
        yield LocalRun(local, target, participants, out_url, copies)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def local_outputs(folder: str | Path) -> Iterator[Path]:
    """Yield the output *folder*; a URL is first downloaded into a working folder.

    The copy (in ``.qca-urls-*`` in the working folder, removed at the end) is checked
    by the reader as a local folder is: every file against the sizes and sha256 of its
    ``run.json``, so a folder whose upload stopped half-way is refused.

    Raises:
        CodingError: When fsspec is missing, or the URL cannot be read.
    """
    if not is_url(str(folder)):
        yield Path(folder)
        return
    url = str(folder)
    filesystem(url)
    work = Path(tempfile.mkdtemp(prefix=".qca-urls-", dir=Path.cwd()))
    try:
        [local], _ = fetch_inputs([url], work)
        yield Path(local)
    finally:
        shutil.rmtree(work, ignore_errors=True)
