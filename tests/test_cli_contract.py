"""One CLI contract (#18): the daily loop, one settings path, one output path, one vocabulary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.errors import OutputError
from qca.ingest.files import SUFFIXES
from qca.settings import resolve
from tests.conftest import ROOT

DEMO = ("fg-coaches.vtt", "fg-faculty.docx", "fg-seniors.txt")


def _init(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", "s"])
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(tmp_path / "s")
    return tmp_path / "s"


def test_issue_18_daily_loop_on_an_empty_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`qca init s && cd s && qca code && qca themes` before any transcript: one line, exit 1."""
    _init(runner, tmp_path, monkeypatch)
    result = runner.invoke(app, ["code"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"transcripts: no transcripts to code ({', '.join(SUFFIXES)}); put transcript files "
        "there, or name them: qca code PATH...\n"
    )
    assert not (tmp_path / "s" / "qca-out").exists()
    result = runner.invoke(app, ["themes"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == (
        "no coded output in qca-out/; run: qca code TRANSCRIPTS -c CODEBOOK -d qca-out\n"
    )


def test_issue_18_daily_loop_on_a_filled_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _init(runner, tmp_path, monkeypatch)
    for name in DEMO:
        shutil.copy(ROOT / "transcripts" / name, folder / "transcripts" / name)
    result = runner.invoke(app, ["code"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[1:4] == [
        "coded 3 documents, 198 segments, 6826 words: 36 hits in 29 segments -> qca-out",
        "theme / code  hits",
        "will             7",
    ]
    result = runner.invoke(app, ["themes", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "theme,code,mentions,segments,documents,speakers,pct_segments,per_1000_words",
        "will,,7,5,3,5,3.09,1.14",
        "will,motivation,7,5,3,5,3.09,1.14",
        "ideas,,29,25,3,14,15.43,4.74",
        "ideas,new_ideas,29,25,3,14,15.43,4.74",
    ]


def test_issue_18_empty_folder_with_an_unreadable_file_names_it(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _init(runner, tmp_path, monkeypatch)
    (folder / "transcripts" / "interview.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    result = runner.invoke(app, ["code"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("transcripts/interview.doc: ")
    assert lines[1].startswith("transcripts: no transcripts to code (")


# --- one settings path: qca.settings.resolve ------------------------------------


def test_project_resolve_options_win_over_environment_over_qca_yaml(tmp_path: Path) -> None:
    (tmp_path / "qca.yaml").write_text(
        "codebook: cb.yaml\noutput: out\nunit: sentence\nencoding: cp1252\n", encoding="utf-8"
    )
    environ = {"QCA_OUTPUT": "env-out", "QCA_UNIT": "paragraph"}
    settings = resolve({"unit": "document"}, directory=tmp_path, environ=environ)
    assert settings.codebook == tmp_path / "cb.yaml"  # qca.yaml
    assert settings.output == Path("env-out")  # environment over qca.yaml
    assert settings.unit == "document"  # option over both
    assert settings.encoding == "cp1252"
    assert settings.transcripts == (tmp_path / "transcripts",)


def test_project_resolve_defaults_without_a_project(tmp_path: Path) -> None:
    settings = resolve({"transcripts": ["a.txt"]}, directory=tmp_path, environ={})
    assert settings.project is None
    assert (settings.transcripts, settings.codebook, settings.output) == (
        (Path("a.txt"),),
        None,
        Path("qca-out"),
    )
    assert settings.ingest_options().unit == "turn"


def test_project_resolve_refuses_an_unknown_setting(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as info:
        resolve({"codebok": "x"}, directory=tmp_path, environ={})
    assert info.value.lines()[0].startswith("codebok: not a setting; use one of: transcripts, ")


def test_issue_18_ingest_reads_qca_yaml_like_code(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`qca ingest` with no path reads the project's transcripts with its settings."""
    folder = _init(runner, tmp_path, monkeypatch)
    (folder / "transcripts" / "a.txt").write_text(
        "Ann: one two three.\n\nBo: four five. Six seven.\n", encoding="utf-8"
    )
    (folder / "qca.yaml").write_text(
        (folder / "qca.yaml").read_text(encoding="utf-8").replace("unit: turn", "unit: sentence"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["ingest", "-f", "csv"])
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert [row.split(",")[1] for row in rows[1:]] == ["a:s0001", "a:s0002", "a:s0003"]


@pytest.mark.parametrize("extra", [[], ["--presence"], ["--by", "speaker"], ["--quotes", "1"]])
def test_issue_18_themes_on_an_output_with_no_segments(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: list[str]
) -> None:
    """A survey with a header and no rows codes to an empty folder; themes reads it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "survey.csv").write_text("id,answer\n", encoding="utf-8")
    codebook = str(ROOT / "codebooks" / "esther.yaml")
    result = runner.invoke(app, ["code", "survey.csv", "--text-column", "answer", "-c", codebook])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["themes", "-f", "csv", *extra])
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if not extra:
        assert result.stdout.splitlines()[1] == "will,,0,0,0,0,0.0,0.0"


# --- one output path: -f table -o FILE writes the rendered table ---------------


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus coded once (module scope): the folder holding qca-out."""
    import os

    folder = tmp_path_factory.mktemp("demo")
    for name in ("transcripts", "codebooks", "examples"):
        (folder / name).symlink_to(ROOT / name)
    old = Path.cwd()
    os.chdir(folder)
    try:
        args = "code transcripts --participants transcripts/participants.csv"
        result = CliRunner().invoke(app, [*args.split(), "-c", "codebooks/esther.yaml"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    return folder


@pytest.mark.parametrize(
    "args",
    [
        ["themes", "qca-out"],
        ["themes", "qca-out", "--by", "role", "-m", "mentions"],
        ["show", "motivation", "-d", "qca-out", "--limit", "1"],
        ["show", "motivation", "-d", "qca-out", "--kwic", "--limit", "2"],
        ["agree", "auto=qca-out", "human=examples/second-coder.csv"],
        ["ingest", "transcripts/fg-seniors.txt", "--speakers"],
        ["cache", "info"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_issue_18_format_table_to_a_file_writes_what_stdout_shows(
    demo_out: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """`-f table -o FILE` writes the rendered table to FILE, exactly what stdout would show.

    Before: themes/show/ingest refused it, agree printed to stdout, exited 0 and wrote no file.
    """
    monkeypatch.chdir(demo_out)
    shown = runner.invoke(app, [*args, "-f", "table"])
    assert shown.exit_code == 0, shown.output
    written = runner.invoke(app, [*args, "-f", "table", "-o", "table.txt"])
    assert written.exit_code == 0, written.output
    assert written.stdout == ""
    text = (demo_out / "table.txt").read_text(encoding="utf-8")
    (demo_out / "table.txt").unlink()
    assert text == shown.stdout
    assert "\x1b[" not in text
    assert "motivation" in text or "fg-seniors" in text or "entries" in text or "Moderator" in text


def test_issue_18_piped_table_is_not_cropped(
    demo_out: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make demo | cat`: the theme table keeps every column though wider than $COLUMNS."""
    monkeypatch.chdir(demo_out)
    monkeypatch.setenv("COLUMNS", "60")
    result = runner.invoke(app, ["themes", "qca-out", "-f", "table"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) > 60
    header = next(line for line in lines if "theme / code" in line)
    assert "mentions" in header and "speakers" in header
    assert any("1000 words" in line or "per 1,000" in line for line in lines[:6]), lines[:6]
    assert "│   systems_understanding │" in result.stdout


# --- one vocabulary: old spellings work for one release, with a warning ---------

DEPRECATED = "warning: {old} is deprecated and goes in the next release; use {new}"


@pytest.mark.parametrize(
    ("args", "old", "new"),
    [
        (["themes", "qca-out", "-f", "csv"], "qca themes OUTDIR", "qca themes -d OUTDIR"),
        (["explain", "fg-coaches:t0003", "-c", "motivation"], "qca explain -c CODE", "--code CODE"),
        (
            ["override", "list", "-c", "motivation", "-f", "csv"],
            "qca override list -c CODE",
            "--code CODE",
        ),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else "",
)
def test_issue_18_old_spellings_warn(
    demo_out: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    old: str,
    new: str,
) -> None:
    monkeypatch.chdir(demo_out)
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == DEPRECATED.format(old=old, new=new)


def test_issue_18_code_output_folder_is_d(
    demo_out: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`qca code -d FOLDER` writes the folder; `-o FOLDER` still does, with a warning."""
    monkeypatch.chdir(demo_out)
    args = ["code", "transcripts/fg-seniors.txt", "-c", "codebooks/esther.yaml", "--no-cache"]
    new = runner.invoke(app, [*args, "-d", "out-d"])
    assert new.exit_code == 0, new.output
    assert "deprecated" not in new.stderr
    old = runner.invoke(app, [*args, "-o", "out-o"])
    assert old.exit_code == 0, old.output
    assert old.stderr.splitlines()[0] == DEPRECATED.format(
        old="qca code -o/--output FOLDER", new="-d/--outdir FOLDER"
    )
    for name in ("hits.csv", "codings.csv"):
        assert (demo_out / "out-d" / name).read_bytes() == (demo_out / "out-o" / name).read_bytes()


def test_issue_18_explain_takes_code_not_c(
    demo_out: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-c` is the codebook everywhere; explain's code filter is `--code`."""
    monkeypatch.chdir(demo_out)
    new = runner.invoke(app, ["explain", "fg-coaches:t0003", "--code", "motivation"])
    old = runner.invoke(app, ["explain", "fg-coaches:t0003", "-c", "motivation"])
    assert new.exit_code == old.exit_code == 0
    assert new.stdout == old.stdout


# --- data columns named like qca's own columns ---------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".jsonl"])
def test_issue_18_survey_code_column_is_prefixed(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """A survey's own `code` column becomes `attr_code` (was: header theme,code,code,...)."""
    import pandas as pd

    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame(
        {"id": ["r1", "r2"], "answer": ["We wanted motivation.", "A new idea."], "code": ["A", "B"]}
    )
    name = "survey" + suffix
    if suffix == ".csv":
        frame.to_csv(name, index=False)
    elif suffix == ".jsonl":
        frame.to_json(name, orient="records", lines=True)
    else:
        frame.to_excel(name, index=False)
    codebook = str(ROOT / "codebooks" / "esther.yaml")
    result = runner.invoke(app, ["code", name, "--text-column", "answer", "-c", codebook])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"warning: {name}: column 'code' has the name of a qca column; it is kept as "
        "'attr_code' (rename it in the file to choose another name)"
    )
    result = runner.invoke(app, ["themes", "--by", "attr_code", "-m", "mentions", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "theme,code,attr_code,mentions",
        "will,,A,1",
        "will,,B,0",
    ]


# --- progress on long work -----------------------------------------------------


def test_issue_18_progress_shows_percentage_files_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bar says how far (percent of the bytes, files done of all) and how long still (ETA)."""
    import io

    from rich.console import Console

    import qca.cli.code as code_module
    from qca.progress import ProgressState
    from qca.render import render_text

    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=120, color_system=None)
    monkeypatch.setattr(code_module, "stderr", lambda: console)
    progress = code_module._Progress()
    progress.started -= 5  # as if the run had taken five seconds so far
    progress(ProgressState(100, 1000, 1, 4, 10, 2, 2.0))
    progress(ProgressState(250, 1000, 3, 4, 20, 4, 5.0))
    shown = render_text([progress.progress.get_renderable()], width=120)
    progress.stop()
    assert " 25% " in shown  # of the bytes: 3 of the 4 files are the small ones
    assert "3/4 files, 20 segments" in shown
    assert "ETA 0:00:15" in shown


def test_issue_18_progress_hidden_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    import qca.cli.code as code_module
    from qca.progress import ProgressState

    stream = io.StringIO()
    monkeypatch.setattr(code_module, "stderr", lambda: Console(file=stream, width=120))
    progress = code_module._Progress()
    progress.started -= 5
    progress(ProgressState(100, 1000, 1, 4, 10, 2, 5.0))
    progress.stop()
    assert progress.progress is None
    assert stream.getvalue() == ""


# --- qca explain: what the stored hits say -------------------------------------


def test_issue_18_explain_shows_regex_as_written_and_stored_offsets(
    demo_out: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The regex as the codebook has it (was '\\\\bfired up\\\\b'), offsets as in hits.csv."""
    monkeypatch.chdir(demo_out)
    result = runner.invoke(app, ["explain", "fg-coaches:t0003", "--code", "motivation"])
    assert result.exit_code == 0, result.output
    hits = (demo_out / "qca-out" / "hits.csv").read_text(encoding="utf-8").splitlines()
    row = next(line for line in hits if "fg-coaches:t0003" in line and "fired up" in line)
    start, end = row.split(",")[8:10]
    assert (
        f"  will / motivation: 'fired up' at {start}-{end} by regex '\\bfired up\\b'"
        in result.stdout.splitlines()
    )


def test_issue_18_explain_negation_cue_in_the_segment_language(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Swedish segment under an English codebook shows its Swedish cue (was: none)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cb.yaml").write_text(
        "name: t\nlanguage: en\nthemes:\n  will:\n    label: Will\n    codes:\n"
        "      motivation:\n        terms: [motivated]\n        terms_sv: [motiverad]\n",
        encoding="utf-8",
    )
    (tmp_path / "s.csv").write_text(
        "id,text,language\nr1,Jag var inte motiverad alls.,sv\n", encoding="utf-8"
    )
    coded = runner.invoke(app, ["code", "s.csv", "-c", "cb.yaml"])
    assert coded.exit_code == 0, coded.output
    result = runner.invoke(app, ["explain", "r1:t0001"])
    assert result.exit_code == 0, result.output
    assert (
        "  will / motivation: 'motiverad' at 13-22 by term 'motiverad'; negated (cue 'inte')"
        in result.stdout.splitlines()
    )
