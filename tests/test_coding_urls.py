"""`qca code` with fsspec URLs for inputs and outputs, the Dask dashboard link, a shared cache (#23)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.errors import CodingError
from qca.run.urls import INSTALL_HINT, is_url, publish
from tests.conftest import ROOT

fsspec = pytest.importorskip("fsspec")
distributed = pytest.importorskip("distributed")

OUTPUTS = ("hits.csv", "codings.csv", "segments.parquet", "hits.parquet", "codings.parquet")
DEMO_FILES = ("fg-coaches.vtt", "fg-faculty.docx", "fg-seniors.txt", "participants.csv")
CODEBOOK = str(ROOT / "codebooks" / "esther.yaml")


@pytest.fixture
def memory() -> Iterator[Any]:
    """fsspec's in-memory filesystem holding the demo transcripts under memory://in/."""
    fs = fsspec.filesystem("memory")
    for name in DEMO_FILES:
        fs.pipe_file(f"/in/transcripts/{name}", (ROOT / "transcripts" / name).read_bytes())
    yield fs
    for root in ("/in", "/bucket"):
        if fs.exists(root):
            fs.rm(root, recursive=True)


@pytest.fixture
def local_demo(runner: CliRunner, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo coded from local paths with --jobs 1."""
    out = tmp_path_factory.mktemp("local") / "out"
    participants = str(ROOT / "transcripts" / "participants.csv")
    args = [str(ROOT / "transcripts"), "--participants", participants, "-c", CODEBOOK]
    result = runner.invoke(app, ["code", *args, "-d", str(out), "--no-cache"])
    assert result.exit_code == 0, result.stderr
    return out


def _invoke(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["code", *args])
    return result.exit_code, result.stderr


@pytest.mark.parametrize("scheduler", [None, "local:2"])
def test_urls_memory_in_and_out_same_bytes(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory: Any,
    local_demo: Path,
    scheduler: str | None,
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["memory://in/transcripts", "--participants", "memory://in/transcripts/participants.csv"]
    args += ["-c", CODEBOOK, "-d", "memory://bucket/out", "--no-cache"]
    args += ["--scheduler", scheduler] if scheduler else []
    code, err = _invoke(runner, *args)
    assert code == 0, err
    assert err.splitlines()[0] == (
        "warning: memory://in/transcripts/fg-faculty.docx:1: "
        "text before the first speaker label is kept as an unattributed segment"
    )
    assert "-> memory://bucket/out\n" in err
    for name in OUTPUTS:
        assert memory.cat_file(f"/bucket/out/{name}") == (local_demo / name).read_bytes(), name
    run = json.loads(memory.cat_file("/bucket/out/run.json"))
    local = json.loads((local_demo / "run.json").read_text(encoding="utf-8"))
    assert run["counts"] == local["counts"]
    assert [i["path"] for i in run["inputs"]] == [
        f"memory://in/transcripts/{name}" for name in DEMO_FILES[:3]
    ]
    assert run["options"]["participants"] == "memory://in/transcripts/participants.csv"
    assert list(tmp_path.iterdir()) == []  # no working copy left (--no-cache: no cache)


def test_urls_file_inputs_local_output(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_demo: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    url = (ROOT / "transcripts").as_uri()
    participants = f"{url}/participants.csv"
    code, err = _invoke(runner, url, "--participants", participants, "-c", CODEBOOK, "-d", "out")
    assert code == 0, err
    for name in OUTPUTS:
        assert (tmp_path / "out" / name).read_bytes() == (local_demo / name).read_bytes(), name
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert run["inputs"][0]["path"] == f"{url}/fg-coaches.vtt"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".qca-cache", "out"]


def test_urls_publish_run_json_removed_first_put_last(tmp_path: Path, memory: Any) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    for name in ("run.json", "hits.csv", "codings.csv"):
        (folder / name).write_text(name, encoding="utf-8")
    memory.pipe_file("/bucket/out/run.json", b"old")
    memory.pipe_file("/bucket/out/export.csv", b"kept")
    order: list[str] = []
    put = memory.put_file

    def recording(local: str, remote: str, **kwargs: Any) -> None:
        order.append(f"{Path(remote).name} run.json={memory.exists('/bucket/out/run.json')}")
        put(local, remote, **kwargs)

    memory.put_file = recording
    try:
        publish(folder, "memory://bucket/out")
    finally:
        del memory.put_file
    assert order == [
        "codings.csv run.json=False",
        "hits.csv run.json=False",
        "run.json run.json=False",
    ]
    assert memory.cat_file("/bucket/out/run.json") == b"run.json"
    assert memory.cat_file("/bucket/out/export.csv") == b"kept"


def test_urls_publish_stopped_half_way_leaves_no_run_json(tmp_path: Path, memory: Any) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    for name in ("run.json", "hits.csv", "codings.csv"):
        (folder / name).write_text(name, encoding="utf-8")
    memory.pipe_file("/bucket/out/run.json", b"old")

    def failing(local: str, remote: str, **kwargs: Any) -> None:
        raise OSError("connection reset")

    memory.put_file = failing
    try:
        with pytest.raises(CodingError) as info:
            publish(folder, "memory://bucket/out")
    finally:
        del memory.put_file
    assert info.value.lines() == [
        f"memory://bucket/out: cannot upload the outputs (connection reset); "
        f"the local copy is in {folder}"
    ]
    assert not memory.exists("/bucket/out/run.json")  # readers see no output folder


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("memory://nothing/here", "memory://nothing/here: no such file or folder; check the URL"),
        (
            "nope://x/y",
            "nope://x/y: cannot open this URL (Protocol not known: nope); "
            "install the fsspec package for its protocol",
        ),
    ],
)
def test_urls_bad_input_one_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _invoke(runner, url, "-c", CODEBOOK, "-d", "out") == (1, message + "\n")
    assert list(tmp_path.iterdir()) == []


def test_urls_without_fsspec_say_how_to_install(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "fsspec", None)
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    assert _invoke(runner, "s3://bucket/transcripts", "-c", CODEBOOK, "-d", "out") == (
        1,
        f"s3://bucket/transcripts: {INSTALL_HINT}\n",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("s3://b/x", True), ("file:///tmp/x", True), ("transcripts", False), ("C:/x", False)],
)
def test_is_url(text: str, expected: bool) -> None:
    assert is_url(text) is expected


class _Client:
    def __init__(self, link: object, bokeh: str | None = "3.4.1") -> None:
        self.link = link
        self.bokeh = bokeh

    @property
    def dashboard_link(self) -> object:
        if isinstance(self.link, Exception):
            raise self.link
        return self.link

    def get_versions(self, packages: list[str]) -> dict[str, Any]:
        assert packages == ["bokeh"]
        return {"scheduler": {"packages": {"bokeh": self.bokeh}}}


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        (_Client("http://127.0.0.1:8787/status"), "http://127.0.0.1:8787/status"),
        (_Client("http://127.0.0.1:8787/status", bokeh=None), None),  # a page: "install bokeh"
        (_Client(""), None),  # a LocalCluster whose scheduler has no dashboard
        (_Client(KeyError("dashboard")), None),  # a remote scheduler without one
    ],
)
def test_dashboard_link(client: _Client, expected: str | None) -> None:
    from qca.run.cluster import dashboard_link

    assert dashboard_link(client) == expected


def test_dashboard_link_printed_when_bokeh(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A LocalCluster serves a dashboard only with bokeh installed: the line says so or is absent."""
    monkeypatch.chdir(tmp_path)
    tr = tmp_path / "tr"
    tr.mkdir()
    (tr / "a.txt").write_text("P1: an idea\n", encoding="utf-8")
    code, err = _invoke(runner, str(tr), "-c", CODEBOOK, "-d", "out", "--scheduler", "local:1")
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("Dask dashboard: ")]
    if importlib.util.find_spec("bokeh") is None:
        assert lines == []
    else:
        assert len(lines) == 1
        assert lines[0].startswith("Dask dashboard: http://")
        assert lines[0].endswith("/status")


def test_shared_cache_dir_reused_by_every_worker(
    runner: CliRunner, tmp_path: Path, local_demo: Path
) -> None:
    """Workers of a cluster share --cache-dir: a second run finds every batch tokenised."""
    cache = tmp_path / "shared-cache"
    participants = str(ROOT / "transcripts" / "participants.csv")
    args = [str(ROOT / "transcripts"), "--participants", participants, "-c", CODEBOOK]
    args += ["--cache-dir", str(cache), "--scheduler", "local:2", "--force"]
    assert _invoke(runner, *args, "-d", str(tmp_path / "first"))[0] == 0
    entries = sorted(p.relative_to(cache) for p in cache.rglob("*.tok"))
    assert entries  # the workers wrote token entries
    stamps = {p: p.stat().st_mtime_ns for p in cache.rglob("*.tok")}
    assert _invoke(runner, *args, "-d", str(tmp_path / "second"))[0] == 0
    assert sorted(p.relative_to(cache) for p in cache.rglob("*.tok")) == entries  # none new
    assert all(p.stat().st_mtime_ns >= stamps[p] for p in stamps)
    for folder in ("first", "second"):
        for name in OUTPUTS:
            assert (tmp_path / folder / name).read_bytes() == (local_demo / name).read_bytes()
