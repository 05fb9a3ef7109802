"""read_output: the coded output folder, and its errors. Also the folder-building helpers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from qca.errors import OutputError
from qca.models import (
    CODINGS_FILE,
    END,
    HITS,
    HITS_FILE,
    IS_INTERVIEWER,
    NEGATED,
    RUN_FILE,
    SEGMENT_COLUMNS,
    SEGMENTS_FILE,
    START,
    WORDS,
)
from qca.outputs import read_output
from qca.outputs_manifest import manifest_frame
from tests.conftest import ROOT

CASES = ROOT / "tests" / "cases"
#: The hand-made input every themes-* case starts from (see docs/themes.md).
BASIC_INPUT = CASES / "themes-basic" / "input"


def _bools(series: pd.Series) -> pd.Series:
    return series.str.lower().map({"true": True, "false": False}).astype(bool)


def write_output(source: Path, folder: Path) -> Path:
    """Turn a case's input folder (CSV files + run.json) into a coded output folder."""
    folder.mkdir(parents=True, exist_ok=True)
    segments = pd.read_csv(source / "segments.csv", dtype=str, keep_default_na=False)
    segments[IS_INTERVIEWER] = _bools(segments[IS_INTERVIEWER])
    for column in (START, END, WORDS):
        segments[column] = segments[column].astype("int64")
    for column in segments.columns:
        if column not in SEGMENT_COLUMNS:
            segments[column] = segments[column].replace("", None)
    segments.to_parquet(folder / SEGMENTS_FILE, index=False)
    hits = pd.read_csv(source / "hits.csv", dtype=str, keep_default_na=False)
    hits[NEGATED] = _bools(hits[NEGATED])
    for column in (START, END):
        hits[column] = hits[column].astype("int64")
    hits.to_parquet(folder / HITS_FILE, index=False)
    if (source / "codings.csv").is_file():
        codings = pd.read_csv(source / "codings.csv", dtype=str, keep_default_na=False)
        codings[HITS] = codings[HITS].astype("int64")
        codings.to_parquet(folder / CODINGS_FILE, index=False)
    shutil.copyfile(source / RUN_FILE, folder / RUN_FILE)
    return folder


@pytest.fixture
def coded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_output(BASIC_INPUT, tmp_path / "qca-out")


def test_outputs_reads_folder(coded: Path) -> None:
    out = read_output(coded)
    assert len(out.segments) == 11
    assert len(out.hits) == 10
    assert out.codings is None
    assert out.code_ids == ["motivation", "commitment", "idea_sharing", "routines"]
    assert [t["theme"] for t in out.themes] == ["will", "ideas", "sustain"]
    assert out.attributes == ["role"]
    assert out.include_interviewer is False


@pytest.mark.parametrize("name", ["qca-out", "missing"])
def test_outputs_no_coded_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "qca-out").mkdir()
    with pytest.raises(OutputError) as info:
        read_output(name)
    assert info.value.lines() == [
        f"no coded output in {name}/; run: qca code TRANSCRIPTS -c CODEBOOK -d {name}"
    ]


@pytest.mark.parametrize(
    ("value", "said"),
    [(None, "an older qca (no format key)"), (0, "format 0")],
)
def test_outputs_old_format(coded: Path, value: int | None, said: str) -> None:
    run = json.loads((coded / RUN_FILE).read_text())
    if value is None:
        del run["format"]
    else:
        run["format"] = value
    (coded / RUN_FILE).write_text(json.dumps(run))
    with pytest.raises(OutputError) as info:
        read_output(coded)
    assert info.value.lines() == [
        f"{coded.as_posix()}/run.json: format: output folder written by {said}; this qca "
        f"reads format 1; re-run: qca code TRANSCRIPTS -c CODEBOOK -d {coded.as_posix()}"
    ]


def test_outputs_missing_column(coded: Path) -> None:
    hits = pd.read_parquet(coded / HITS_FILE).drop(columns=[NEGATED])
    hits.to_parquet(coded / HITS_FILE, index=False)
    with pytest.raises(OutputError) as info:
        read_output(coded)
    assert info.value.lines() == [
        f"{coded.as_posix()}/hits.parquet: missing column(s) negated; the folder was written "
        f"by another qca version; run: qca code TRANSCRIPTS -c CODEBOOK -d {coded.as_posix()}"
    ]


def test_outputs_codebook_differs_from_project(coded: Path, tmp_path: Path) -> None:
    (tmp_path / "esther.yaml").write_text("name: x\n")
    (tmp_path / "qca.yaml").write_text("codebook: esther.yaml\n")
    with pytest.raises(OutputError) as info:
        read_output("qca-out")
    assert info.value.lines() == [
        "qca-out/run.json: codebook: coded with codebook codebook.yaml, but qca.yaml names "
        "esther.yaml; re-run: qca code TRANSCRIPTS -c esther.yaml -d qca-out"
    ]


def test_outputs_codebook_changed(coded: Path, tmp_path: Path) -> None:
    (tmp_path / "codebook.yaml").write_text("name: x\n")
    (tmp_path / "qca.yaml").write_text("codebook: codebook.yaml\n")
    with pytest.raises(OutputError) as info:
        read_output("qca-out")
    assert info.value.lines() == [
        "qca-out/run.json: codebook: codebook.yaml changed since this output was coded "
        "(sha256 000000000000 -> a2a79ea37edb); re-run: qca code TRANSCRIPTS -c codebook.yaml "
        "-d qca-out"
    ]


def test_outputs_manifest_frame() -> None:
    frame = manifest_frame({"format": 1, "codebook": {"path": "cb.yaml"}, "problems": []})
    assert frame.values.tolist() == [
        ["format", "1"],
        ["codebook.path", "cb.yaml"],
        ["problems", "[]"],
    ]
