"""`qca report` (#20, items 3-4): one self-contained, reproducible HTML page whose numbers are
those of `qca themes` / `qca cooccur`; every chart renders in a real browser, offline."""

from __future__ import annotations

import io
import re
import shlex
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from qca.cli import app
from tests.browser import Browser, find_browser
from tests.conftest import ROOT

DEMO = ["code", "transcripts", "--participants", "transcripts/participants.csv"]
DEMO += ["-c", "codebooks/esther.yaml", "-d", "qca-out"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus coded once (as `make demo` does), in a scratch folder."""
    folder = tmp_path_factory.mktemp("demo")
    for name in ("transcripts", "codebooks"):
        (folder / name).symlink_to(ROOT / name)
    here = Path.cwd()
    try:
        import os

        os.chdir(folder)
        result = CliRunner().invoke(app, DEMO)
        assert result.exit_code == 0, result.stderr
    finally:
        os.chdir(here)
    return folder


@pytest.fixture(scope="module")
def report(demo: Path) -> str:
    import os

    here = Path.cwd()
    try:
        os.chdir(demo)
        result = CliRunner().invoke(app, ["report", "qca-out", "--by", "role", "-o", "report.html"])
        assert result.exit_code == 0, result.stderr
        assert re.fullmatch(r"wrote report\.html \(\d+ KiB\)\n", result.stderr)
    finally:
        os.chdir(here)
    return (demo / "report.html").read_text(encoding="utf-8")


class Tables(HTMLParser):
    """Collect every ``<table data-table=NAME>`` as rows of cell strings (data-value first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.name: str | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.exact: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("data-table"):
            self.name = str(found["data-table"])
            self.tables[self.name] = []
        elif self.name and tag == "tr":
            self.row = []
        elif self.row is not None and tag in ("td", "th"):
            self.cell, self.exact = [], found.get("data-value")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(self.exact if self.exact is not None else "".join(self.cell))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.name:
            self.tables[self.name].append(self.row)
            self.row = None
        elif tag == "table":
            self.name = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _tables(html: str) -> dict[str, pd.DataFrame]:
    parser = Tables()
    parser.feed(html)
    return {name: pd.DataFrame(rows[1:], columns=rows[0]) for name, rows in parser.tables.items()}


def _csv(demo: Path, command: str, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    monkeypatch.chdir(demo)
    result = CliRunner().invoke(app, shlex.split(command))
    assert result.exit_code == 0, result.stderr
    return pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)


def test_report_same_bytes_twice(demo: Path, report: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo)
    result = CliRunner().invoke(
        app, ["report", "-d", "qca-out", "--by", "role", "-o", "again.html"]
    )
    assert result.exit_code == 0, result.stderr
    assert (demo / "again.html").read_bytes() == (demo / "report.html").read_bytes()


def test_report_names_no_network_address(report: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//|ftp:)""", report, flags=re.I)
    assert not re.search(r"url\((?!#)|@import|<script|<link|<iframe|<img", report, flags=re.I)
    assert "http://" not in report and "https://" not in report
    # every in-page link has its target
    ids = set(re.findall(r'\bid="([^"]+)"', report))
    links = re.findall(r'href="#([^"]+)"', report)
    assert links and [link for link in links if link not in ids] == []


def test_report_has_every_section(report: str) -> None:
    for section in ("run", "frequencies", "groups", "presence", "cooccurrence", "codelines"):
        assert f'<section id="{section}"' in report
    assert '<section id="codes"' in report and '<section id="transcripts"' in report
    # every chart has a title, an accessible name and a table (or details) beside it
    figures = re.findall(r"<figure.*?</figure>", report, flags=re.S)
    assert len(figures) >= 5
    for figure in figures:
        assert "<figcaption" in figure and '<svg role="img" aria-label="' in figure
        assert "<title>" in figure
    # the run: codebook hash, inputs with hashes, options
    assert "esther.yaml" in report and "sha256" in report and "options.unit" in report
    # the codebook's definitions and quotes with links to the transcript
    assert "Definition</dt>" in report and "Include</dt>" in report
    assert re.search(r'<a href="#seg-fg-coaches:t\d{4}">', report)
    assert '<mark title="motivation">' in report
    assert "@page { size: A4" in report
    # Codelines: seconds for the .vtt focus group, turns for the .docx and .txt ones
    assert "Codeline of fg-coaches: codes along the time, speakers as bands" in report
    assert "Codeline of fg-faculty: codes along the turns, speakers as bands" in report


def test_report_numbers_equal_themes_and_cooccur(
    demo: Path, report: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = _tables(report)
    themes = _csv(demo, "themes qca-out -f csv", monkeypatch)
    pd.testing.assert_frame_equal(tables["themes"], themes)
    stats = _csv(
        demo, "themes qca-out --by role --stats -m segments,pct_segments -f csv", monkeypatch
    )
    pd.testing.assert_frame_equal(tables["group-stats"], stats)
    presence = _csv(demo, "themes qca-out --presence -f csv", monkeypatch)
    pd.testing.assert_frame_equal(tables["presence"], presence)
    pairs = _csv(demo, "cooccur qca-out -f csv", monkeypatch)
    pairs = pairs[pairs["units_both"] != "0"].reset_index(drop=True)
    pd.testing.assert_frame_equal(tables["cooccur"], pairs)


def test_report_agreement_and_figures(
    demo: Path, report: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(demo)
    agreement = demo / "agree.csv"
    agreement.write_text(
        "code,units,percent_agreement,cohen_kappa\nmotivation,12,0.9166666666666666,0.8\n",
        encoding="utf-8",
    )
    args = ["report", "qca-out", "-o", "with.html", "--agreement", "agree.csv", "--figures", "figs"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    tables = _tables((demo / "with.html").read_text(encoding="utf-8"))
    assert tables["agreement"].values.tolist() == [
        ["motivation", "12", "0.9166666666666666", "0.8"]
    ]
    names = sorted(p.name for p in (demo / "figs").iterdir())
    for chart in ("frequencies", "presence", "cooccurrence"):
        assert {f"{chart}.{s}" for s in ("svg", "png", "pdf", "csv")} <= set(names)
    assert any(n.startswith("codeline-") for n in names)
    png = (demo / "figs" / "frequencies.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"pHYs" in png  # 300 dpi = 11811 px/m
    assert (11811).to_bytes(4, "big") in png[png.index(b"pHYs") : png.index(b"pHYs") + 12]
    counts = pd.read_csv(demo / "figs" / "frequencies.csv")
    assert list(counts.columns) == [
        "theme",
        "code",
        "mentions",
        "segments",
        "documents",
        "speakers",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--by", "rol"],
            "by: unknown attribute 'rol'; use one of: role, group, start_seconds, gender, doc_id, "
            "speaker, language, end_seconds, site, date\n",
        ),
        (
            ["--agreement", "missing.csv"],
            "missing.csv: agreement: cannot read this agreement table (FileNotFoundError); "
            "write one with qca agree ... --format csv -o missing.csv\n",
        ),
    ],
)
def test_report_bad_input(
    demo: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(demo)
    result = CliRunner().invoke(app, ["report", "qca-out", "-o", "bad.html", *args])
    assert result.exit_code == 1
    assert result.stderr == message
    assert not (demo / "bad.html").exists()


BROWSER = find_browser()


@pytest.mark.skipif(
    BROWSER is None, reason="no Chromium on PATH; install one: README.md, Requirements"
)
def test_report_renders_in_headless_chromium(demo: Path, report: str, tmp_path: Path) -> None:
    assert BROWSER is not None
    browser = Browser(BROWSER)
    try:
        session = browser.open((demo / "report.html").as_uri())
        sizes = browser.evaluate(
            session,
            "Array.from(document.querySelectorAll('figure svg')).map(s => {"
            " const r = s.getBoundingClientRect();"
            " return [r.width, r.height, s.querySelectorAll('path,use').length]; })",
        )
        browser.screenshot(session, tmp_path / "report.png")
        requests = browser.requests()
    finally:
        browser.close()
    assert len(sizes) == report.count("<figure")
    assert all(width > 100 and height > 50 and shapes > 10 for width, height, shapes in sizes)
    # the page itself, and the heat maps' pixels inlined as data: URIs; nothing else
    assert [r for r in requests if not r.startswith("data:image/png;base64,")] == [
        (demo / "report.html").as_uri()
    ]
    png = (tmp_path / "report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_report_large_survey_stays_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """10^5 survey comments (#20, item 5): no presence map, no Codeline, quotes capped, < 20 MB."""
    import json

    import numpy as np

    from qca.models import (
        HIT_COLUMNS,
        HITS_FILE,
        RUN_FILE,
        SEGMENT_COLUMNS,
        SEGMENTS_FILE,
    )

    n, codes = 100_000, [f"code{i:02d}" for i in range(20)]
    rng = np.random.default_rng(20)
    ids = [f"r{i:06d}" for i in range(n)]
    segments = pd.DataFrame(
        {
            "doc_id": ids,
            "segment_id": [f"{d}:d0000" for d in ids],
            "unit": "document",
            "speaker": ids,
            "is_interviewer": False,
            "start": 0,
            "end": 40,
            "words": 8,
            "text": "the staff were kind and the wait was long",
            "site": rng.choice(["north", "south", "east"], n),
        }
    )
    assert list(segments.columns[: len(SEGMENT_COLUMNS)]) == list(SEGMENT_COLUMNS)
    hit_rows = rng.integers(0, n, 150_000)
    hit_codes = rng.integers(0, len(codes), len(hit_rows))
    hits = pd.DataFrame(
        {
            "doc_id": segments["doc_id"].to_numpy()[hit_rows],
            "segment_id": segments["segment_id"].to_numpy()[hit_rows],
            "speaker": segments["speaker"].to_numpy()[hit_rows],
            "theme": "experience",
            "code": np.array(codes)[hit_codes],
            "rule_kind": "term",
            "rule": "kind",
            "match": "kind",
            "start": 15,
            "end": 19,
            "negated": False,
            "negation_cue": "",
        }
    ).sort_values(["segment_id", "code"])
    assert list(hits.columns) == list(HIT_COLUMNS)
    folder = tmp_path / "survey-out"
    folder.mkdir()
    segments.to_parquet(folder / SEGMENTS_FILE, index=False)
    hits.to_parquet(folder / HITS_FILE, index=False)
    manifest = {
        "format": 1,
        "codebook": {"path": "missing.yaml", "name": "synthetic"},
        "themes": [{"theme": "experience", "label": ""}],
        "codes": [{"theme": "experience", "code": c, "label": "", "parent": None} for c in codes],
        "options": {"unit": "document"},
        "counts": {"documents": n, "segments": n, "hits": len(hits)},
        "problems": [],
        "started": "2026-12-03T00:00:00Z",
        "finished": "2026-12-03T00:01:00Z",
    }
    (folder / RUN_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["report", "survey-out", "--by", "site", "-o", "survey.html"])
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "survey.html").read_text(encoding="utf-8")
    assert len(html.encode("utf-8")) < 20 * 1024 * 1024
    assert "Left out: 100000 documents are more than 100" in html
    assert "No document has two or more segments" in html
    assert html.count("<blockquote>") == 3 * len(codes)
    assert "The codebook could not be read, so definitions are missing: pass -c CODEBOOK." in html


@pytest.mark.parametrize(
    "options",
    [
        {"by": "role"},
        {"quotes": 0, "exclude_negated": True},
        {"by": "speaker", "max_cases": 2, "max_codelines": 1, "quotes": 1},
        {"max_cases": 1000, "max_codelines": 1000, "quotes": 50},
    ],
)
def test_report_streamed_same_page_as_whole_read(
    demo: Path, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """#23: the report read window by window is the page of the whole read, at any batch size.

    Drawing the charts is most of a build and depends only on their numbers, which are
    compared instead.
    """
    from qca.report import ReportOptions, build_report
    from qca.report import numbers as report_numbers
    from qca.report import sections as report_sections

    monkeypatch.setattr(report_sections, "to_svg", lambda figure, name, title: f"<svg>{name}</svg>")
    chosen = ReportOptions(**options)
    folder = demo / "qca-out"
    whole, whole_figures = build_report(folder, chosen, stream=False)

    def read_whole(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the demo folder was read whole, not streamed")

    monkeypatch.setattr(report_numbers, "whole_numbers", read_whole)
    for rows in (1, None):  # windows of one row, and the default
        streamed, figures = build_report(folder, chosen, rows=rows)
        assert streamed == whole, rows
        assert figures.keys() == whole_figures.keys()
        for name, (_, numbers) in figures.items():
            pd.testing.assert_frame_equal(numbers, whole_figures[name][1], obj=name)


def test_report_unsorted_folder_read_whole(demo: Path, tmp_path: Path, runner: CliRunner) -> None:
    """#23: segments out of segment_id order do not stream; the report reads them whole."""
    import json
    import shutil

    import pyarrow.parquet as pq

    from qca.folders import stamp_files
    from qca.report import ReportOptions
    from qca.report.numbers import stream_numbers

    folder = tmp_path / "out"
    shutil.copytree(demo / "qca-out", folder)
    table = pq.read_table(folder / "segments.parquet")
    pq.write_table(table.take(list(range(table.num_rows))[::-1]), folder / "segments.parquet")
    manifest = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    manifest["outputs"].update(stamp_files(folder, ["segments.parquet"]))
    (folder / "run.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert stream_numbers(folder, ReportOptions(), check_project=False) is None
    result = runner.invoke(app, ["report", str(folder), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.stderr
    assert "Codelines" in (tmp_path / "r.html").read_text(encoding="utf-8")
