"""qca explain and qca.explain.explain_segment."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.explain import explain_segment
from qca.models import CODINGS_FILE, RUN_FILE
from qca.outputs import read_output
from tests.test_outputs import BASIC_INPUT, CASES, write_output

CODEBOOK = """\
name: Hand-made
language: en
themes:
  will:
    label: Creating will
    codes:
      motivation:
        terms: [motivate, motivation, enthusiasm, "want to"]
        not: [take part]
      commitment:
        terms: [commit, commitment]
  ideas:
    label: Ideas
    codes:
      idea_sharing:
        terms: [idea, share]
  sustain:
    label: Sustainability
    codes:
      routines:
        definition: Routines that keep improvements going.
"""


@pytest.fixture
def coded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_output(BASIC_INPUT, tmp_path / "qca-out")


@pytest.fixture
def with_codebook(coded: Path, tmp_path: Path) -> Path:
    """The output folder, with the run's codebook present and unchanged."""
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    run = json.loads((coded / RUN_FILE).read_text(encoding="utf-8"))
    run["codebook"]["sha256"] = hashlib.sha256(CODEBOOK.encode()).hexdigest()
    (coded / RUN_FILE).write_text(json.dumps(run), encoding="utf-8")
    return coded


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_explain_negated_hit_with_cue(with_codebook: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", "fg1:t0002"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert _lines(result.stdout) == [
        "fg1:t0002  Dan  document fg1 (role=coach)",
        "    I would not say commitment was there for me personally.",
        "hits (1):",
        "  will / commitment: 'commitment' at 166-176 by term 'commitment'; negated (cue 'not')",
        "codes:",
        "  will / motivation: not coded: no rule matched",
        "  will / commitment: coded, but every hit is negated (1 hit); --exclude-negated drops it",
        "  ideas / idea_sharing: not coded: no rule matched",
        "  sustain / routines: not coded: the code has no rules (terms, patterns or regex)",
    ]


def test_explain_codings_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.chdir(tmp_path)
    write_output(CASES / "themes-codings" / "input", tmp_path / "qca-out")
    result = runner.invoke(app, ["explain", "int2:t0002"])
    assert result.exit_code == 0
    assert _lines(result.stdout) == [
        "int2:t0002  Ben  document int2 (role=faculty)",
        "    We kept a weekly huddle.",
        "hits (0):",
        "codings:",
        "  sustain / routines: source manual",
        "codes:",
        "  will / motivation: not coded: no rule matched",
        "  will / commitment: not coded: no rule matched",
        "  ideas / idea_sharing: not coded: no rule matched",
        "  sustain / routines: coded: source manual (a manual decision)",
        "note: codebook codebook.yaml not found; vetoes are not shown",
    ]
    removed = runner.invoke(app, ["explain", "fg1:t0003", "--code", "ideas"])
    assert _lines(removed.stdout)[-2:] == [
        "  ideas / idea_sharing: not coded: 1 hit from term 'share', but no coding (removed by "
        "an override or dropped)",
        "note: codebook codebook.yaml not found; vetoes are not shown",
    ]


def test_explain_interviewer_and_veto(with_codebook: Path) -> None:
    out = read_output(with_codebook)
    explanation = explain_segment(out, "int1:t0000", code="motivation")
    assert explanation.verdicts["reason"].tolist() == [
        "not coded: interviewer segments were not coded in this run"
    ]
    run = dict(out.manifest, options={"include_interviewer": True})
    included = type(out)(out.folder, out.segments, out.hits.iloc[0:0], None, run)
    vetoed = explain_segment(included, "int1:t0000", code="motivation")
    assert vetoed.verdicts["reason"].tolist() == [
        "not coded: no hit; a hit may have been vetoed by not: 'take part'"
    ]


def test_explain_codebook_changed(with_codebook: Path, tmp_path: Path) -> None:
    (tmp_path / "codebook.yaml").write_text(CODEBOOK + "# edited\n", encoding="utf-8")
    explanation = explain_segment(read_output(with_codebook), "int1:t0001", code="will")
    assert explanation.notes == (
        "codebook codebook.yaml changed since the run; re-run qca code for exact reasons",
    )
    assert explanation.verdicts["reason"].tolist() == [
        "coded: 2 hits from phrase 'want to', term 'motivate'",
        "coded: 1 hit from term 'commit'",
    ]
    assert explanation.hits["start"].tolist() == [64, 91, 116]  # as in hits.csv (#18)
    assert explanation.spans == ((6, 15), (33, 40), (58, 67))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["int1:t9"],
            "segment_id: unknown segment 'int1:t9'; closest: int1:t0003, int1:t0002, int1:t0001; "
            "list them with qca show THEME",
        ),
        (
            ["int1:t0001", "--code", "motiv"],
            "unknown code or theme 'motiv'; use one of: motivation, routines, sustain, commitment, will, "
            "ideas, idea_sharing",
        ),
    ],
)
def test_explain_errors(coded: Path, runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["explain", *args])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == message + "\n"


def test_explain_no_codings_file_is_fine(coded: Path) -> None:
    assert not (coded / CODINGS_FILE).exists()
    explanation = explain_segment(read_output(coded), "int1:t0003")
    assert explanation.codings.empty


def test_explain_old_output_without_negation_cues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    """A folder coded before hits kept the cue: one line says so, no traceback (#18)."""
    monkeypatch.chdir(tmp_path)
    write_output(CASES / "themes-codings" / "input", tmp_path / "qca-out")  # no negation_cue
    result = runner.invoke(app, ["explain", "fg1:t0002"])
    assert result.exit_code == 0, result.stderr
    lines = _lines(result.stdout)
    assert "  will / commitment: 'commitment' at 166-176 by term 'commitment'; negated" in lines
    assert lines[-2:] == [
        "note: codebook codebook.yaml not found; vetoes are not shown",
        "note: negation cues are not recorded in this output folder; re-run qca code",
    ]


def test_explain_cue_comes_from_the_hits_not_the_codebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    """The cue is read from hits.parquet: shown with the codebook gone, and as written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    (tmp_path / "a.txt").write_text("Anna: We were NOT motivated.\n", encoding="utf-8")
    coded = runner.invoke(app, ["code", "a.txt", "-c", "cb.yaml"])
    assert coded.exit_code == 0, coded.stderr
    (tmp_path / "cb.yaml").unlink()
    result = runner.invoke(app, ["explain", "a:t0001", "--code", "motivation"])
    assert result.exit_code == 0, result.stderr
    assert _lines(result.stdout)[3] == (
        "  will / motivation: 'motivated' at 18-27 by term 'motivate'; negated (cue 'NOT')"
    )
