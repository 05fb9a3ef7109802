"""qca themes on the demo corpus (transcripts/ + codebooks/esther.yaml), checked against pandas."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.models import (
    CODE,
    CODINGS_FILE,
    HITS_FILE,
    IS_INTERVIEWER,
    MENTIONS,
    MISSING_GROUP,
    RUN_FILE,
    SEGMENT_ID,
    SEGMENTS,
    SEGMENTS_FILE,
    THEME,
    TOTAL_GROUP,
)
from tests.conftest import ROOT

ROLE = "role"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Code the demo corpus once for this module."""
    folder = tmp_path_factory.mktemp("demo") / "qca-out"
    result = CliRunner().invoke(
        app,
        [
            "code",
            str(ROOT / "transcripts"),
            "--participants",
            str(ROOT / "transcripts" / "participants.csv"),
            "-c",
            str(ROOT / "codebooks" / "esther.yaml"),
            "-d",
            str(folder),
        ],
    )
    assert result.exit_code == 0, result.stderr
    return folder


def test_themes_demo_by_role_matches_pandas(
    demo: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(demo.parent)
    result = runner.invoke(app, ["themes", "-d", str(demo), "--by", ROLE, "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    run = json.loads((demo / RUN_FILE).read_text(encoding="utf-8"))
    assert set(table[CODE]) - {""} == {c[CODE] for c in run["codes"]}

    segments = pd.read_parquet(demo / SEGMENTS_FILE)
    codable = segments[~segments[IS_INTERVIEWER]][[SEGMENT_ID, ROLE]]
    codable = codable.assign(**{ROLE: codable[ROLE].fillna(MISSING_GROUP)})
    hits = pd.read_parquet(demo / HITS_FILE).merge(codable, on=SEGMENT_ID)
    codings = pd.read_parquet(demo / CODINGS_FILE).merge(codable, on=SEGMENT_ID)
    expected_mentions = hits.groupby([THEME, ROLE]).size()
    expected_segments = codings.groupby([THEME, ROLE])[SEGMENT_ID].nunique()
    assert expected_mentions.sum() > 0

    themes = table[(table[CODE] == "") & (table[ROLE] != TOTAL_GROUP)].set_index([THEME, ROLE])
    got_mentions = themes[MENTIONS][themes[MENTIONS] > 0]
    assert got_mentions.sort_index().to_dict() == expected_mentions.sort_index().to_dict()
    got_segments = themes[SEGMENTS][themes[SEGMENTS] > 0]
    assert got_segments.sort_index().to_dict() == expected_segments.sort_index().to_dict()
    totals = table[(table[CODE] == "") & (table[ROLE] == TOTAL_GROUP)].set_index(THEME)
    assert totals[MENTIONS].to_dict() == {
        t["theme"]: int(hits[THEME].eq(t["theme"]).sum()) for t in run["themes"]
    }
