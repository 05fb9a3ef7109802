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
    runner: CliRunner, tmp_path: Path, local_demo: Path, scheduler: str
) -> None:
    """Workers of a cluster share --cache-dir: a second run finds every batch tokenised."""
    cache = tmp_path / "shared-cache"
    participants = str(ROOT / "transcripts" / "participants.csv")
    args = [str(ROOT / "transcripts"), "--participants", participants, "-c", CODEBOOK]
    args += ["--cache-dir", str(cache), "--scheduler", scheduler, "--force"]
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


# URLs named by qca.yaml or QCA_* pass through settings as on the command line (#23).


def test_settings_urls_from_project_file_kept_as_given(tmp_path: Path) -> None:
    from qca.settings import resolve

    (tmp_path / "qca.yaml").write_text(
        "transcripts: [memory://in/transcripts, local]\n"
        "output: memory://bucket/out\n"
        "participants: file:///data/participants.csv\n"
        "codebook: book.yaml\n",
        encoding="utf-8",
    )
    settings = resolve(directory=tmp_path, environ={})
    assert settings.transcripts == ("memory://in/transcripts", tmp_path / "local")
    assert settings.output == "memory://bucket/out"
    assert settings.participants == "file:///data/participants.csv"
    assert settings.codebook == tmp_path / "book.yaml"


def test_settings_urls_from_environment_kept_as_given(tmp_path: Path) -> None:
    from qca.settings import resolve

    environ = {
        "QCA_OUTPUT": "s3://bucket/out",
        "QCA_PARTICIPANTS": "memory://in/participants.csv",
        "QCA_TRANSCRIPTS": "memory://in/a:local:s3://b/c",
    }
    settings = resolve(directory=tmp_path, environ=environ)
    assert settings.output == "s3://bucket/out"
    assert settings.participants == "memory://in/participants.csv"
    assert settings.transcripts == ("memory://in/a", Path("local"), "s3://b/c")


def _demo_outputs_equal(memory: Any, local_demo: Path) -> None:
    for name in OUTPUTS:
        assert memory.cat_file(f"/bucket/out/{name}") == (local_demo / name).read_bytes(), name


def test_settings_urls_project_file_code_then_themes(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory: Any,
    local_demo: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QCA_OUTPUT", raising=False)
    (tmp_path / "qca.yaml").write_text(
        "transcripts: memory://in/transcripts\n"
        "participants: memory://in/transcripts/participants.csv\n"
        f"codebook: {CODEBOOK}\n"
        "output: memory://bucket/out\n",
        encoding="utf-8",
    )
    code, err = _invoke(runner, "--no-cache")
    assert code == 0, err
    assert "-> memory://bucket/out\n" in err
    _demo_outputs_equal(memory, local_demo)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["qca.yaml"]  # no "memory:" folder
    themes = runner.invoke(app, ["themes", "--format", "csv"])
    local = runner.invoke(app, ["themes", "-d", str(local_demo), "--format", "csv"])
    assert themes.exit_code == 0, themes.stderr
    assert themes.stdout == local.stdout


def test_settings_urls_environment_code_then_report(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory: Any,
    local_demo: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QCA_OUTPUT", "memory://bucket/out")
    monkeypatch.setenv("QCA_PARTICIPANTS", "memory://in/transcripts/participants.csv")
    code, err = _invoke(runner, "memory://in/transcripts", "-c", CODEBOOK, "--no-cache")
    assert code == 0, err
    _demo_outputs_equal(memory, local_demo)
    result = runner.invoke(app, ["report", "-o", "report.html"])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_settings_urls_environment_refused_where_no_url_is_read(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QCA_OUTPUT", "memory://bucket/out")
    monkeypatch.setenv("QCA_PARTICIPANTS", "memory://in/participants.csv")
    result = runner.invoke(app, ["sample", "-n", "5"])
    assert result.exit_code == 1
    assert result.stderr == (
        "output memory://bucket/out ($QCA_OUTPUT or qca.yaml) is a URL, which only qca "
        "code, themes, show, cooccur, explain and report take; give a local folder with -d DIR\n"
    )
    (tmp_path / "a.txt").write_text("P1: hello\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "a.txt", "--format", "csv"])
    assert result.exit_code == 1
    assert result.stderr == (
        "participants memory://in/participants.csv is a URL, which only qca code "
        "reads; download the sheet and give its path\n"
    )
