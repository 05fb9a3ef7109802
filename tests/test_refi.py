"""REFI-QDA exchange (issue #8): export qdpx/qdc, import, round trips, and coders for qca agree."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.export.qdpx import export_qdpx
from qca.outputs import read_output
from qca.refi import RefiError, choose_reading, import_qdpx, read_qdpx
from tests.conftest import ROOT

REFI = ROOT.parent / "shared" / "refi-qda"

CODEBOOK = """\
name: Round trip
language: en
themes:
  will:
    label: Will
    definition: Motivation to improve.
    color: "#AA0000"
    codes:
      motivation:
        definition: Drive to change.
        terms: [motivation, motiverad]
        codes:
          strong:
            terms: [eager]
  ideas:
    codes:
      ideas:
        terms: [idea, idé]
"""

# Emoji (outside the BMP), Swedish letters and CRLF line ends.
TRANSCRIPT = (
    "Anna: Vi är motiverad 😀 och eager att börja.\r\n"
    "Interviewer: Why?\r\n"
    "Bo: En idé 🎉🎉 om motivation, åäö.\r\n"
)


@pytest.fixture(scope="module")
def coded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny coded project (code run in the project folder, as a user would)."""
    import os

    import qca

    folder = tmp_path_factory.mktemp("refi")
    (folder / "talk.txt").write_bytes(TRANSCRIPT.encode("utf-8"))
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    old = Path.cwd()
    os.chdir(folder)
    try:
        qca.code(["talk.txt"], "codebook.yaml", outdir="out")
    finally:
        os.chdir(old)
    return folder


def _xsd(name: str) -> Path:
    path = REFI / name
    if not path.is_file():
        pytest.skip(f"../shared/refi-qda/{name} is absent")
    return path


def _export(coded: Path, target: Path) -> Path:
    import os

    old = Path.cwd()
    os.chdir(coded)
    try:
        return export_qdpx("out", target).path
    finally:
        os.chdir(old)


def test_refi_export_validates_against_project_xsd(coded: Path, tmp_path: Path) -> None:
    import xmlschema

    schema = xmlschema.XMLSchema(str(_xsd("Project.xsd")))
    path = _export(coded, tmp_path / "p.qdpx")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        xml = archive.read("project.qde").decode("utf-8")
        texts = [archive.read(n) for n in names if n.startswith("sources/")]
    assert names[0] == "project.qde"
    assert [e.reason for e in schema.iter_errors(xml)] == []
    assert len(texts) == 1
    assert b"\r" not in texts[0] and not texts[0].startswith(b"\xef\xbb\xbf")
    assert 'name="qca auto-coder"' in xml and 'origin="qca ' in xml
    assert "<Description>Motivation to improve.\n\nqca theme: will</Description>" in xml
    assert 'color="#AA0000"' in xml


def test_refi_export_is_deterministic(coded: Path, tmp_path: Path) -> None:
    first = _export(coded, tmp_path / "a.qdpx").read_bytes()
    second = _export(coded, tmp_path / "b.qdpx").read_bytes()
    assert first == second


def test_refi_round_trip_emoji_swedish_crlf(coded: Path, tmp_path: Path) -> None:
    path = _export(coded, tmp_path / "p.qdpx")
    project = import_qdpx(path, tmp_path / "imported")
    before = read_output(coded / "out", check_project=False)
    after = read_output(tmp_path / "imported", check_project=False)
    assert before.codings is not None and after.codings is not None
    keys = ["segment_id", "code"]
    assert sorted(map(tuple, after.codings[keys].values.tolist())) == sorted(
        map(tuple, before.codings[keys].values.tolist())
    )
    original = before.segments.set_index("segment_id")
    for row in after.segments.itertuples():
        assert (row.start, row.end, row.text) == tuple(
            original.loc[row.segment_id, ["start", "end", "text"]]
        )
    assert after.code_ids == before.code_ids
    assert project.offsets == {"talk": "codepoints"}
    assert set(after.codings["coder"]) == {"qca auto-coder"}
    assert set(after.codings["source"]) == {"auto"}


def _qdpx(tmp_path: Path, source: bytes, start: int, end: int, *, name: str = "p.qdpx") -> Path:
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="nvivo">
  <Users><User guid="00000000-0000-0000-0000-00000000000A" name="alice"/>
  <User guid="00000000-0000-0000-0000-00000000000B" name="bob"/></Users>
  <CodeBook><Codes>
    <Code guid="00000000-0000-0000-0000-0000000000C1" name="Feelings" isCodable="true">
      <Code guid="00000000-0000-0000-0000-0000000000C2" name="joy" isCodable="true"/>
    </Code>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="00000000-0000-0000-0000-0000000000D1" name="interview.docx"
        plainTextPath="internal://00000000-0000-0000-0000-0000000000D1.txt">
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000E1"
          startPosition="{start}" endPosition="{end}">
        <Coding guid="00000000-0000-0000-0000-0000000000F1"
            creatingUser="00000000-0000-0000-0000-00000000000A">
          <CodeRef targetGUID="00000000-0000-0000-0000-0000000000C2"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000E2"
          startPosition="{start}" endPosition="{end}">
        <Coding guid="00000000-0000-0000-0000-0000000000F2"
            creatingUser="00000000-0000-0000-0000-00000000000B">
          <CodeRef targetGUID="00000000-0000-0000-0000-0000000000C1"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
        archive.writestr("Sources/00000000-0000-0000-0000-0000000000D1.txt", source)
    return path


# "joyful" after two CRLF lines and an emoji: UTF-16 units with CRLF kept (NVivo).
NVIVO_TEXT = "Hi 😀 there.\r\nSecond line.\r\nI felt joyful today."


@pytest.mark.parametrize(
    ("start", "end", "reading"),
    [
        (35, 41, "utf16-crlf"),  # NVivo: UTF-16 units, CRLF counted as two
        (32, 38, "codepoints"),  # the spec: code points on the LF text
    ],
)
def test_refi_import_detects_offset_reading(
    tmp_path: Path, start: int, end: int, reading: str
) -> None:
    project = read_qdpx(_qdpx(tmp_path, NVIVO_TEXT.encode("utf-8"), start, end))
    assert project.offsets == {"interview": reading}
    assert project.segments["text"].tolist() == ["joyful"]
    assert project.coders == ("alice", "bob")
    assert project.codings["code"].tolist() == ["Feelings", "joy"]


def test_refi_choose_reading_prefers_the_spec_on_a_tie() -> None:
    assert choose_reading("plain words here", [(0, 5)])[0] == "codepoints"


def test_refi_import_cli_reports_offsets(tmp_path: Path, runner: CliRunner) -> None:
    path = _qdpx(tmp_path, NVIVO_TEXT.encode("utf-8"), 35, 41)
    out = tmp_path / "out"
    result = runner.invoke(app, ["import", str(path), "-d", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "interview: offsets read as utf16-crlf\n"
        f"wrote {out.as_posix()}: 1 documents, 2 codes, 2 codings (coders: alice, bob)\n"
    )
    assert (out / "codebook.yaml").read_text(encoding="utf-8").count("joy") == 1


def test_refi_agree_compares_coders_of_an_imported_folder(
    tmp_path: Path, runner: CliRunner
) -> None:
    path = _qdpx(tmp_path, NVIVO_TEXT.encode("utf-8"), 35, 41)
    out = tmp_path / "out"
    import_qdpx(path, out)
    result = runner.invoke(app, ["agree", f"{out}#alice", f"{out}#bob", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("code,units,")
    assert any(line.startswith("joy,1,0.0") for line in result.stdout.splitlines())


def test_refi_agree_asks_for_a_coder(tmp_path: Path, runner: CliRunner) -> None:
    path = _qdpx(tmp_path, NVIVO_TEXT.encode("utf-8"), 35, 41)
    result = runner.invoke(app, ["agree", str(path), f"{path}#carol"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path.as_posix()}: this project has 2 coders (alice, bob); pick one: "
        f"{path.as_posix()}#CODER\n"
        f"{path.as_posix()}: no coder 'carol'; the coders are: alice, bob\n"
    )


def test_refi_import_refuses_entries_outside_the_folder(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "evil.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
        archive.writestr("../escape.txt", "x")
    result = runner.invoke(app, ["import", str(path), "-d", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path.as_posix()}: archive entry '../escape.txt' points outside the archive folder; "
        "refusing to read it (the file may be malicious)\n"
    )
    assert not (tmp_path / "escape.txt").exists()


def test_refi_import_refuses_entity_expansion(tmp_path: Path) -> None:
    path = tmp_path / "bomb.qde"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE P [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
        '<Project name="&b;"/>',
        encoding="utf-8",
    )
    with pytest.raises(RefiError, match="refusing unsafe XML"):
        read_qdpx(path)


def test_refi_import_warns_on_schema_deviations(tmp_path: Path) -> None:
    path = tmp_path / "old.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Project.qde", '<Project name="x"><Sources/></Project>')
    project = read_qdpx(path)
    assert [p.message for p in project.problems] == [
        "the project file is 'Project.qde'; the spec names it project.qde",
        "the project is not in namespace urn:QDA-XML:project:1.0; read it anyway",
    ]


def test_refi_import_of_a_non_project_fails(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "x.qdpx"
    path.write_text("hello", encoding="utf-8")
    result = runner.invoke(app, ["import", str(path), "-d", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path.as_posix()}:1:1: not valid XML (syntax error); is this a REFI-QDA project? "
        "export it again\n"
    )


def test_refi_export_qdc_cli_validates(coded: Path, tmp_path: Path, runner: CliRunner) -> None:
    import xmlschema

    schema = xmlschema.XMLSchema(str(_xsd("Codebook.xsd")))
    target = tmp_path / "c.qdc"
    result = runner.invoke(app, ["export", "qdc", str(coded / "codebook.yaml"), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == f"wrote {target.as_posix()}"
    assert [e.reason for e in schema.iter_errors(target.read_text(encoding="utf-8"))] == []


def test_refi_export_qdpx_cli_missing_folder(tmp_path: Path, runner: CliRunner) -> None:
    missing = tmp_path / "nope"
    result = runner.invoke(
        app, ["export", "qdpx", "-d", str(missing), "-o", str(tmp_path / "p.qdpx")]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"no coded output in {missing.as_posix()}/; run: qca code TRANSCRIPTS -c CODEBOOK "
        f"-d {missing.as_posix()}\n"
    )


# --- the real ATLAS.ti exports (shared corpora) ------------------------------------------------


def test_refi_atlas_projects_import_all_text_codings(corpora: Path, tmp_path: Path) -> None:
    samples = corpora / "refi-qda-samples"
    for name in ("atlasti8_standard_project.qde", "atlasti8_standard_project_TestProject.qdpx"):
        project = import_qdpx(samples / name, tmp_path / name)
        # 8 PlainTextSelections (6 in text sources, 2 in PDF representations), 9 codings.
        assert len(project.codings) == 9
        assert len(project.segments) == 7  # one selection has no coding
        assert project.coders == ("Friedrich Markgraf",)
        assert len(project.codebook.codes()) == 14
        assert read_output(tmp_path / name, check_project=False).codings is not None
    nested = read_qdpx(samples / "atlasti23_target-atlas-project.qdpx")
    assert [c.id for c in nested.codebook.codes()] == [
        "2022-05-10T02:05:59Z 19e4dce",
        "2022-02-11T10:39:25Z cdbfd92",
    ]


def test_refi_agree_compares_atlas_coders(corpora: Path, runner: CliRunner) -> None:
    samples = corpora / "refi-qda-samples"
    result = runner.invoke(
        app,
        [
            "agree",
            f"qde={samples / 'atlasti8_standard_project.qde'}#Friedrich Markgraf",
            f"qdpx={samples / 'atlasti8_standard_project_TestProject.qdpx'}#friedrich markgraf",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "(micro),7,1.0,1.0,1.0,1.0,1.0,reliable" in result.stdout.splitlines()


def test_refi_demo_corpus_export_validates(tmp_path: Path) -> None:
    import os

    import xmlschema

    import qca

    schema = xmlschema.XMLSchema(str(_xsd("Project.xsd")))
    old = Path.cwd()
    os.chdir(ROOT)
    try:
        options = qca.CodeOptions(
            ingest=qca.IngestOptions(participants="transcripts/participants.csv")
        )
        qca.code(["transcripts"], "codebooks/esther.yaml", outdir=tmp_path / "out", options=options)
        path = export_qdpx(tmp_path / "out", tmp_path / "demo.qdpx").path
    finally:
        os.chdir(old)
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("project.qde").decode("utf-8")
        assert len([n for n in archive.namelist() if n.startswith("sources/")]) == 3
    assert [e.reason for e in schema.iter_errors(xml)] == []
    assert "<Case " in xml and "<VariableValue>" in xml
