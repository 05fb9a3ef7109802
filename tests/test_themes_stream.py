"""qca themes counted window by window (qca.themes_stream) against the whole read (#23 item 5).

Random output folders are written as qca code writes them (segments in document order,
hits by doc_id and segment_id, codings by segment_id) and read with record batches of
1 to 4 rows, so that windows end inside row groups and documents cross batch boundaries.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.errors import OutputError
from qca.models import (
    CODE,
    CODING_COLUMNS,
    CODINGS_FILE,
    DOC_ID,
    END,
    HIT_COLUMNS,
    HITS,
    HITS_FILE,
    IS_INTERVIEWER,
    MATCH,
    NEGATED,
    NEGATION_CUE,
    RULE,
    RULE_KIND,
    RUN_FILE,
    RUN_FORMAT,
    SEGMENT_ID,
    SEGMENTS_FILE,
    SOURCE,
    SPEAKER,
    START,
    TEXT,
    THEME,
    UNIT,
    WORDS,
)
from qca.outputs import read_output
from qca.outputs_stream import NotStreamable, iter_windows
from qca.themes import theme_columns, theme_table
from qca.themes_stream import stream_theme_table
from tests.conftest import ROOT

CODES = [{THEME: "t1", CODE: "a"}, {THEME: "t1", CODE: "b"}, {THEME: "t2", CODE: "c"}]
THEMES = [{THEME: "t0", "label": ""}, {THEME: "t1", "label": ""}, {THEME: "t2", "label": ""}]


@st.composite
def folders(draw: st.DrawFn) -> dict[str, Any]:
    """Segments of up to 5 documents in (doc_id, segment_id) order, hits and codings on them."""
    segments: list[dict[str, Any]] = []
    for d in range(draw(st.integers(1, 5))):
        for t in range(draw(st.integers(1, 5))):
            segments.append(
                {
                    DOC_ID: f"d{d}",
                    SEGMENT_ID: f"d{d}:t{t:04d}",
                    SPEAKER: draw(st.sampled_from([None, "", "A", "B"])),
                    IS_INTERVIEWER: draw(st.booleans()),
                    WORDS: draw(st.integers(0, 9)),
                    "role": draw(st.sampled_from([None, "x", "y", "10"])),
                    "age": draw(st.sampled_from([math.nan, 3.0, 4.5])),
                }
            )
    ids = [s[SEGMENT_ID] for s in segments]
    codes = [str(c[CODE]) for c in CODES]
    hits = sorted(
        draw(
            st.lists(
                st.tuples(st.sampled_from(ids), st.sampled_from(codes), st.booleans()),
                max_size=30,
            )
        )
    )
    codings = None
    if draw(st.booleans()):
        pairs = st.tuples(
            st.sampled_from(ids), st.sampled_from(codes), st.sampled_from(["auto", "manual"])
        )
        codings = sorted(set(draw(st.lists(pairs, max_size=20))))
    interviewer = draw(st.booleans())
    return {"segments": segments, "hits": hits, "codings": codings, "interviewer": interviewer}


def write_folder(folder: Path, data: dict[str, Any]) -> Path:
    """Write *data* as an output folder (run.json without output stamps: not checked)."""
    folder.mkdir(parents=True, exist_ok=True)
    segments = pd.DataFrame(data["segments"])
    segments.insert(2, UNIT, "turn")
    segments[START], segments[END], segments[TEXT] = 0, 1, "x"
    order = [DOC_ID, SEGMENT_ID, UNIT, SPEAKER, IS_INTERVIEWER, START, END, WORDS, TEXT]
    order += ["age", "role"]
    segments[[c for c in order if c in segments.columns]].to_parquet(folder / SEGMENTS_FILE)
    doc = {s[SEGMENT_ID]: s[DOC_ID] for s in data["segments"]}
    theme = {str(c[CODE]): str(c[THEME]) for c in CODES}
    hits = pd.DataFrame(
        [
            {
                DOC_ID: doc.get(s, s.split(":")[0]),
                SEGMENT_ID: s,
                SPEAKER: "A",
                THEME: theme[c],
                CODE: c,
                RULE_KIND: "term",
                RULE: "w",
                MATCH: "x",
                START: 0,
                END: 1,
                NEGATED: negated,
                NEGATION_CUE: "",
            }
            for s, c, negated in data["hits"]
        ],
        columns=list(HIT_COLUMNS),
    )
    hits[NEGATED] = hits[NEGATED].astype(bool)
    hits.to_parquet(folder / HITS_FILE)
    if data["codings"] is not None:
        rows = [
            {SEGMENT_ID: s, THEME: theme[c], CODE: c, SOURCE: src, HITS: 1}
            for s, c, src in data["codings"]
        ]
        pd.DataFrame(rows, columns=list(CODING_COLUMNS)).to_parquet(folder / CODINGS_FILE)
    options = {"include_interviewer": data.get("interviewer", False)}
    manifest = {"format": RUN_FORMAT, "codes": CODES, "themes": THEMES, "options": options}
    (folder / RUN_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def whole(folder: Path, **options: Any) -> pd.DataFrame:
    by = options.get("by")
    coded = read_output(folder, columns=theme_columns(by=by), check_project=False)
    themes = [str(t[THEME]) for t in coded.themes]
    return theme_table(
        coded.hits,
        coded.codings,
        coded.segments,
        coded.codes,
        themes=themes,
        include_interviewer=coded.include_interviewer,
        **options,
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=folders(),
    rows=st.integers(1, 4),
    by=st.sampled_from([None, "role", "age", DOC_ID, SPEAKER]),
    exclude_negated=st.booleans(),
    min_count=st.integers(0, 2),
)
def test_themes_stream_equals_whole_read(
    tmp_path_factory: pytest.TempPathFactory,
    data: dict[str, Any],
    rows: int,
    by: str | None,
    exclude_negated: bool,
    min_count: int,
) -> None:
    folder = write_folder(tmp_path_factory.mktemp("out"), data)
    options = {"by": by, "exclude_negated": exclude_negated, "min_count": min_count}
    streamed = stream_theme_table(folder, rows=rows, check_project=False, **options)
    assert streamed is not None
    expected = whole(folder, **options)
    assert streamed[0].to_csv(index=False) == expected.to_csv(index=False)


@pytest.mark.parametrize("rows", [1, 2, 3, 7])
def test_themes_stream_windows_hold_whole_documents(tmp_path: Path, rows: int) -> None:
    segments = [
        {DOC_ID: d, SEGMENT_ID: f"{d}:t{t:04d}", SPEAKER: "A", IS_INTERVIEWER: False, WORDS: 1}
        for d, n in (("d0", 3), ("d1", 1), ("d2", 4))
        for t in range(n)
    ]
    data = {"segments": segments, "hits": [("d2:t0003", "a", False)], "codings": None}
    folder = write_folder(tmp_path / "out", data)
    manifest = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    windows = list(iter_windows(folder, manifest, theme_columns(), rows=rows))
    documents = [sorted(set(w.segments[DOC_ID])) for w in windows]
    assert sorted(d for docs in documents for d in docs) == ["d0", "d1", "d2"]
    assert sum(len(w.segments) for w in windows) == 8
    assert [len(w.hits) for w in windows][-1] == 1  # the hit of the last segment is with it


def test_themes_stream_unsorted_segments_read_whole(tmp_path: Path, runner: CliRunner) -> None:
    """Segments out of segment_id order: no streaming, the whole read gives the table."""
    segments = [
        {DOC_ID: d, SEGMENT_ID: f"{d}:t0000", SPEAKER: "A", IS_INTERVIEWER: False, WORDS: 2}
        for d in ("d2", "d0", "d1")
    ]
    data = {"segments": segments, "hits": [("d0:t0000", "a", False)], "codings": None}
    folder = write_folder(tmp_path / "out", data)
    manifest = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    with pytest.raises(NotStreamable):
        list(iter_windows(folder, manifest, theme_columns(), rows=1))
    assert stream_theme_table(folder, check_project=False) is None
    result = runner.invoke(app, ["themes", "-d", str(folder), "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == whole(folder).to_csv(index=False)


@pytest.mark.parametrize("segment", ["d0:t0009", "zz:t0000", "a:t0000"])
def test_themes_stream_damaged_folder_same_message(
    tmp_path: Path, runner: CliRunner, segment: str
) -> None:
    """A hit naming a segment the folder lacks (inside a window, after the last, before the first)."""
    segments = [
        {DOC_ID: d, SEGMENT_ID: f"{d}:t{t:04d}", SPEAKER: "A", IS_INTERVIEWER: False, WORDS: 2}
        for d in ("d0", "d1")
        for t in range(2)
    ]
    hits = sorted([(segment, "a", False), ("d1:t0001", "b", False)])
    folder = write_folder(tmp_path / "out", {"segments": segments, "hits": hits, "codings": None})
    expected = (
        f"{(folder / HITS_FILE).as_posix()}: names segment(s) not in segments.parquet, "
        f"e.g. {segment}; the folder was damaged; run: qca code TRANSCRIPTS -c CODEBOOK "
        f"-d {folder.as_posix()}"
    )
    with pytest.raises(OutputError) as whole_error:
        whole(folder)
    assert str(whole_error.value) == expected
    with pytest.raises(OutputError) as streamed_error:
        stream_theme_table(folder, rows=1, check_project=False)
    assert str(streamed_error.value) == expected


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "qca-out"
    args = [str(ROOT / "transcripts"), "--participants"]
    args += [str(ROOT / "transcripts" / "participants.csv")]
    args += ["-c", str(ROOT / "codebooks" / "esther.yaml"), "-d", str(folder)]
    result = CliRunner().invoke(app, ["code", *args])
    assert result.exit_code == 0, result.stderr
    return folder


@pytest.mark.parametrize("rows", [1, 5, 64])
@pytest.mark.parametrize("by", [None, "role", SPEAKER])
def test_themes_stream_demo_tiny_batches(demo: Path, rows: int, by: str | None) -> None:
    """The demo is in one order (it streams), and any batch size gives the whole read's table."""
    streamed = stream_theme_table(demo, by=by, rows=rows, check_project=False)
    assert streamed is not None
    assert streamed[0].to_csv(index=False) == whole(demo, by=by).to_csv(index=False)


@pytest.mark.parametrize("scheme", ["memory", "file"])
@pytest.mark.parametrize(
    "command",
    [
        ["themes", "--format", "csv"],
        ["themes", "--by", "role", "--quotes", "1", "--format", "csv"],
        ["cooccur", "--format", "csv"],
        ["show", "motivation", "--format", "csv"],
        ["explain", "fg-coaches:t0002"],
    ],
)
def test_readers_take_an_output_url(
    demo: Path,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scheme: str,
    command: list[str],
) -> None:
    fsspec = pytest.importorskip("fsspec")
    monkeypatch.chdir(tmp_path)
    if scheme == "memory":
        fs = fsspec.filesystem("memory")
        for file in demo.iterdir():
            fs.pipe_file(f"/bucket/out/{file.name}", file.read_bytes())
        url = "memory://bucket/out"
    else:
        shutil.copytree(demo, tmp_path / "copy")  # copy2 keeps the times run.json records
        url = (tmp_path / "copy").as_uri()
    try:
        local = runner.invoke(app, [*command, "-d", str(demo)])
        remote = runner.invoke(app, [*command, "-d", url])
    finally:
        if scheme == "memory":
            fsspec.filesystem("memory").rm("/bucket", recursive=True)
    assert local.exit_code == 0, local.stderr
    assert (remote.exit_code, remote.stderr) == (0, local.stderr)
    assert remote.stdout == local.stdout
    assert not list(tmp_path.glob(".qca-urls-*"))  # the download is removed


def test_readers_url_not_found_and_report_needs_output(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("fsspec")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["themes", "-d", "memory://nothing/here", "--format", "csv"])
    assert (result.exit_code, result.stderr) == (
        1,
        "memory://nothing/here: no such file or folder; check the URL\n",
    )
    result = runner.invoke(app, ["report", "-d", "memory://nothing/here"])
    assert (result.exit_code, result.stderr) == (
        1,
        "-d memory://nothing/here is a URL; name the report file with -o FILE\n",
    )


@pytest.mark.parametrize("name", [SEGMENTS_FILE, HITS_FILE])
def test_themes_stream_damaged_parquet_same_message(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    segments = [
        {DOC_ID: "d0", SEGMENT_ID: "d0:t0000", SPEAKER: "A", IS_INTERVIEWER: False, WORDS: 2}
    ]
    data = {"segments": segments, "hits": [("d0:t0000", "a", False)], "codings": None}
    folder = write_folder(tmp_path / "out", data)
    (folder / name).write_bytes(b"PAR1 not parquet")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["themes", "-d", str(folder), "--format", "csv"])
    assert (result.exit_code, result.stderr) == (
        1,
        f"{(folder / name).as_posix()}: cannot read this parquet file (ArrowInvalid); "
        f"re-create it, run: qca code TRANSCRIPTS -c CODEBOOK -d {folder.as_posix()}\n",
    )
