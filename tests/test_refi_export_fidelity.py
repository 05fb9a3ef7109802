"""Issue #17: REFI-QDA exports that keep labels, coders and cases (checked against Project.xsd)."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.export.qdpx import AUTO_CODER, export_qdpx
from qca.export.refi_codes import CodeNode, CodeText, describe, read_marker
from qca.outputs import read_output
from qca.refi import import_qdpx
from tests.conftest import ROOT

REFI = ROOT.parent / "shared" / "refi-qda"
NS = {"q": "urn:QDA-XML:project:1.0"}
CODER = "Anna L"

# Sub-codes with one name under different parents (QualCoder kept one `strong`).
CODEBOOK = """\
name: Duplicates
language: en
themes:
  feedback:
    label: Feedback
    codes:
      positive:
        label: Positive remarks
        definition: Praise.
        include: Thanks, praise.
        exclude: Irony.
        examples: ["It was good."]
        terms: [good]
        codes:
          strong:
            terms: [great]
  learning:
    label: Learning
    codes:
      improvement:
        label: Improvement
        terms: [better]
        codes:
          strong:
            terms: [much better]
"""

# Emoji outside the BMP, CRLF line ends; Anna speaks in both documents.
TEXTS = {
    "t1.txt": "Anna: Great 😀 work, much better now.\r\nInterviewer: Why?\r\nBo: It was good.\r\n",
    "t2.txt": "Anna: It was good 🎉.\r\nCarl: Fine.\r\n",
}
PARTICIPANTS = (
    "doc_id,speaker,role\nt1,Anna,nurse\nt1,Bo,doctor\nt2,Anna,patient\nt2,Carl,patient\n"
)
OVERRIDES = f"""\
- segment: t1:t0003
  code: improvement
  action: add
  coder: {CODER}
- segment: t1:t0001
  code: positive.strong
  action: accept
  coder: {CODER}
"""


def _xsd() -> Path:
    path = REFI / "Project.xsd"
    if not path.is_file():
        pytest.skip("../shared/refi-qda/Project.xsd is absent")
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Two documents coded by the rules, with two decisions by a second coder."""
    import qca

    folder = tmp_path_factory.mktemp("issue17")
    for name, text in TEXTS.items():
        (folder / name).write_bytes(text.encode("utf-8"))
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (folder / "participants.csv").write_text(PARTICIPANTS, encoding="utf-8")
    (folder / "overrides.yaml").write_text(OVERRIDES, encoding="utf-8")
    old = Path.cwd()
    os.chdir(folder)
    try:
        options = qca.CodeOptions(
            ingest=qca.IngestOptions(participants=Path("participants.csv")),
            overrides=Path("overrides.yaml"),
        )
        qca.code(list(TEXTS), "codebook.yaml", outdir="out", options=options)
        yield folder
    finally:
        os.chdir(old)


def _qde(path: Path) -> ElementTree.Element:
    with zipfile.ZipFile(path) as archive:
        return ElementTree.fromstring(archive.read("project.qde"))


def test_refi_export_export_validates_with_labels_users_cases(project: Path) -> None:
    import xmlschema

    schema = xmlschema.XMLSchema(str(_xsd()))
    report = export_qdpx("out", "p.qdpx")
    with zipfile.ZipFile(report.path) as archive:
        xml = archive.read("project.qde").decode("utf-8")
    assert [e.reason for e in schema.iter_errors(xml)] == []
    root = ElementTree.fromstring(xml)
    names = [c.get("name") for c in root.iterfind(".//q:Code", NS)]
    assert names == [
        "Feedback",
        "Positive remarks",
        "strong (Positive remarks)",
        "Learning",
        "Improvement",
        "strong (Improvement)",
    ]
    assert report.codes == tuple(names)
    users = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", NS)}
    assert sorted(users.values()) == sorted([AUTO_CODER, CODER])
    owners = []
    for selection in root.iterfind(".//q:PlainTextSelection", NS):
        codings = selection.findall("q:Coding", NS)
        assert {c.get("creatingUser") for c in codings} == {selection.get("creatingUser")}
        owners.append((selection.get("name"), users[selection.get("creatingUser")]))
    assert sorted(owners) == sorted(
        [
            ("t1:t0001", AUTO_CODER),
            ("t1:t0001", CODER),
            ("t1:t0003", AUTO_CODER),
            ("t1:t0003", CODER),
            ("t2:t0001", AUTO_CODER),
        ]
    )
    cases = {
        c.get("name"): [
            v.findtext("q:TextValue", namespaces=NS) for v in c.findall("q:VariableValue", NS)
        ]
        for c in root.iterfind(".//q:Case", NS)
    }
    assert cases == {"Anna (t1)": ["nurse"], "Anna (t2)": ["patient"], "Bo": ["doctor"]}
    assert [v.get("name") for v in root.iterfind(".//q:Variable", NS)] == ["role"]
    assert [str(p) for p in report.problems] == [
        "out: speaker 'Anna' is in 2 documents; exported as 2 cases named 'Anna (DOCUMENT)'; "
        "if they are one person, key the --participants sheet by speaker alone"
    ]
    description = root.find(".//q:Code[@name='Positive remarks']/q:Description", NS)
    assert description is not None
    assert description.text == (
        "Praise.\n\nInclude: Thanks, praise.\n\nExclude: Irony.\n\nExamples: It was good."
        "\n\nqca id: positive"
    )


def test_refi_export_round_trip_keeps_codings_per_coder(project: Path, tmp_path: Path) -> None:
    export_qdpx("out", tmp_path / "p.qdpx")
    imported = import_qdpx(tmp_path / "p.qdpx", tmp_path / "back")
    before = read_output("out", check_project=False)
    assert before.codings is not None
    texts = dict(zip(before.segments["segment_id"], before.segments["text"], strict=True))
    expected = {
        (texts[s], c, AUTO_CODER if source == "auto" else CODER)
        for s, c, source in before.codings[["segment_id", "code", "source"]].itertuples(index=False)
    }
    back = imported.codings.merge(imported.segments[["segment_id", "text"]], on="segment_id")
    got = set(back[["text", "code", "coder"]].itertuples(index=False, name=None))
    assert got == expected
    assert len(got) == 6
    speakers = dict(zip(before.segments["segment_id"], before.segments["speaker"], strict=True))
    assert {s: speakers[s] for s in imported.segments["segment_id"]} == dict(
        zip(imported.segments["segment_id"], imported.segments["speaker"], strict=True)
    )
    assert {c.id: c.label for c in imported.codebook.codes()} == {
        "positive": "Positive remarks",
        "positive.strong": "strong (Positive remarks)",
        "improvement": "Improvement",
        "improvement.strong": "strong (Improvement)",
    }


def test_refi_export_export_cli_names_users_and_warns(project: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["export", "qdpx", "-d", "out", "-o", "cli.qdpx"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: out: speaker 'Anna' is in 2 documents; exported as 2 cases named "
        "'Anna (DOCUMENT)'; if they are one person, key the --participants sheet by speaker "
        "alone\n"
        f"wrote cli.qdpx: 6 codes and themes, users: {AUTO_CODER}, {CODER}\n"
    )


def test_refi_export_demo_export_validates_with_labels(tmp_path: Path) -> None:
    import xmlschema

    import qca

    schema = xmlschema.XMLSchema(str(_xsd()))
    old = Path.cwd()
    os.chdir(ROOT)
    try:
        overrides = tmp_path / "overrides.yaml"
        overrides.write_text(
            f"- segment: fg-coaches:t0002\n  code: motivation\n  action: accept\n  coder: {CODER}\n"
            f"- segment: fg-coaches:t0002\n  code: idea_generation\n  action: add\n"
            f"  coder: {CODER}\n",
            encoding="utf-8",
        )
        options = qca.CodeOptions(
            ingest=qca.IngestOptions(participants="transcripts/participants.csv"),
            overrides=overrides,
        )
        qca.code(["transcripts"], "codebooks/esther.yaml", outdir=tmp_path / "out", options=options)
        report = export_qdpx(tmp_path / "out", tmp_path / "demo.qdpx")
        codebook = qca.read_codebook(Path("codebooks/esther.yaml"))
    finally:
        os.chdir(old)
    root = _qde(report.path)
    with zipfile.ZipFile(report.path) as archive:
        xml = archive.read("project.qde").decode("utf-8")
    assert [e.reason for e in schema.iter_errors(xml)] == []
    names = [c.get("name") for c in root.iterfind(".//q:Code", NS)]
    labels = {t.label for t in codebook.themes} | {c.label for c in codebook.codes()}
    assert "Creating will" in names
    assert len(set(names)) == len(names)
    assert set(names) == labels
    variables = {v.get("name") for v in root.iterfind(".//q:Variable", NS)}
    assert variables == {"gender", "role", "site"}
    users = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", NS)}
    assert sorted(users.values()) == sorted([AUTO_CODER, CODER])
    owners: dict[str, int] = {}
    for selection in root.iterfind(".//q:PlainTextSelection", NS):
        creators = {c.get("creatingUser") for c in selection.findall("q:Coding", NS)}
        assert creators == {selection.get("creatingUser")}
        owner = users[selection.get("creatingUser")]
        owners[owner] = owners.get(owner, 0) + len(selection.findall("q:Coding", NS))
    assert owners[CODER] == 2


# --- qca import says what it cannot represent ------------------------------------------------

MEDIA_PROJECT = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="media">
  <Users><User guid="00000000-0000-0000-0000-00000000000A" name="alice"/></Users>
  <CodeBook><Codes>
    <Code guid="00000000-0000-0000-0000-0000000000C1" name="joy" isCodable="true"/>
    <Code guid="00000000-0000-0000-0000-0000000000C2" name="anger" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="00000000-0000-0000-0000-0000000000D1" name="a.txt">
      <PlainTextContent>I felt joy.</PlainTextContent>
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000E1" startPosition="7"
          endPosition="10" creatingUser="00000000-0000-0000-0000-00000000000A">
        <Coding guid="00000000-0000-0000-0000-0000000000F1">
          <CodeRef targetGUID="00000000-0000-0000-0000-0000000000C1"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="00000000-0000-0000-0000-0000000000D2" name="gone.txt"
        plainTextPath="internal://gone.txt">
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000E2" startPosition="0"
          endPosition="3" creatingUser="00000000-0000-0000-0000-00000000000A">
        <Coding guid="00000000-0000-0000-0000-0000000000F2">
          <CodeRef targetGUID="00000000-0000-0000-0000-0000000000C1"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <PictureSource guid="00000000-0000-0000-0000-0000000000D3" name="p.png" path="internal://p.png">
      <PictureSelection guid="00000000-0000-0000-0000-0000000000E3" firstX="1" firstY="1"
          secondX="9" secondY="9">
        <Coding guid="00000000-0000-0000-0000-0000000000F3">
          <CodeRef targetGUID="00000000-0000-0000-0000-0000000000C1"/></Coding>
        <Coding guid="00000000-0000-0000-0000-0000000000F4">
          <CodeRef targetGUID="00000000-0000-0000-0000-0000000000C1"/></Coding>
      </PictureSelection>
    </PictureSource>
    <VideoSource guid="00000000-0000-0000-0000-0000000000D4" name="v.mp4" path="internal://v.mp4">
      <VideoSelection guid="00000000-0000-0000-0000-0000000000E4" begin="0" end="9">
        <Coding guid="00000000-0000-0000-0000-0000000000F5">
          <CodeRef targetGUID="00000000-0000-0000-0000-0000000000C1"/></Coding>
      </VideoSelection>
    </VideoSource>
  </Sources>
</Project>
"""

LOSSES = (
    "warning: {p}: 3 codings of PDF, picture, audio or video selections are not imported "
    "(2 PictureSelection, 1 VideoSelection); qca codes text only: code them on the text in the "
    "other tool, or use its text export\n"
    "warning: {p}: 1 sources have no text in the archive (gone); their 1 codings are kept with "
    "their offsets and empty segment text; export the project again with its sources\n"
    "warning: {p}: 1 codes have no codings (anger); they are kept in the codebook\n"
)


def _media(tmp_path: Path) -> Path:
    path = tmp_path / "media.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", MEDIA_PROJECT)
    return path


def test_refi_export_import_reports_what_it_drops(tmp_path: Path, runner: CliRunner) -> None:
    path = _media(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["import", str(path), "-d", str(out)])
    assert result.exit_code == 0, result.output
    shown = path.as_posix()
    assert result.stderr == LOSSES.format(p=shown) + (
        "a: offsets read as codepoints\n"
        "gone: offsets read as missing\n"
        f"wrote {out.as_posix()}: 2 documents, 2 codes, 2 codings (coders: alice)\n"
    )


def test_refi_export_import_strict_fails(tmp_path: Path, runner: CliRunner) -> None:
    path = _media(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["import", str(path), "-d", str(out), "--strict"])
    assert result.exit_code == 1
    assert result.stderr == LOSSES.format(p=path.as_posix()).replace("warning: ", "")
    assert not out.exists()


def test_refi_export_atlas8_names_the_non_text_codings(corpora: Path) -> None:
    from qca.refi import read_qdpx

    path = corpora / "refi-qda-samples" / "atlasti8_standard_project_TestProject.qdpx"
    messages = [p.message for p in read_qdpx(path).problems]
    assert messages[1] == (
        "7 codings of PDF, picture, audio or video selections are not imported (4 PDFSelection, "
        "2 PictureSelection, 1 VideoSelection); qca codes text only: code them on the text in "
        "the other tool, or use its text export"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.from_regex(r"[a-z_]{1,8}(\.[a-z_]{1,8}){0,2}", fullmatch=True),
)
def test_refi_export_description_marker_round_trip(definition: str, code_id: str) -> None:
    node = CodeNode("code", code_id, "Label")
    text, kind, found = read_marker(describe(node, CodeText(definition)))
    assert (text, kind, found) == (definition.strip(), "id", code_id)


TWO_CODERS = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="two">
  <Users><User guid="00000000-0000-0000-0000-00000000000A" name="alice"/>
  <User guid="00000000-0000-0000-0000-00000000000B" name="bob"/></Users>
  <CodeBook><Codes>
    <Code guid="00000000-0000-0000-0000-0000000000C1" name="joy" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="00000000-0000-0000-0000-0000000000D1" name="a.txt">
      <PlainTextContent>I felt joy.</PlainTextContent>
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000E1" startPosition="7"
          endPosition="10" creatingUser="00000000-0000-0000-0000-00000000000A">
        <Coding guid="00000000-0000-0000-0000-0000000000F1">
          <CodeRef targetGUID="00000000-0000-0000-0000-0000000000C1"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000E2" startPosition="7"
          endPosition="10" creatingUser="00000000-0000-0000-0000-00000000000B">
        <Coding guid="00000000-0000-0000-0000-0000000000F2">
          <CodeRef targetGUID="00000000-0000-0000-0000-0000000000C1"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""


def test_refi_export_second_coder_same_code_survives(tmp_path: Path) -> None:
    # Two coders, one segment, one code: one selection each, so neither is a duplicate.
    source = tmp_path / "two.qdpx"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("project.qde", TWO_CODERS)
    import_qdpx(source, tmp_path / "first")
    report = export_qdpx(tmp_path / "first", tmp_path / "again.qdpx")
    root = _qde(report.path)
    users = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", NS)}
    owners = [users[s.get("creatingUser")] for s in root.iterfind(".//q:PlainTextSelection", NS)]
    assert sorted(owners) == ["alice", "bob"]
    back = import_qdpx(report.path, tmp_path / "second")
    assert sorted(back.codings["coder"]) == ["alice", "bob"]
    assert back.segments["text"].tolist() == ["joy"]


@pytest.mark.parametrize(
    ("keys", "expected"),
    [(None, ["role"]), (("doc_id", "speaker"), ["role", "site"]), (("doc_id",), [])],
)
def test_refi_export_only_participant_attributes(
    keys: tuple[str, ...] | None, expected: list[str]
) -> None:
    import pandas as pd

    from qca.export.refi_cases import ParticipantSheet, participant_attributes

    segments = pd.DataFrame(
        {
            "doc_id": ["d1", "d1", "d1", "d2"],
            "speaker": ["Anna", "Anna", "Bo", "Carl"],
            "start_seconds": [1.0, 5.0, 9.0, 1.0],  # per segment: never a case variable
            "site": ["Eksjö", "Eksjö", "Eksjö", "Aneby"],  # per document (front matter)
            "role": ["coach", "coach", "nurse", "coach"],  # per speaker
        }
    )
    sheet = None if keys is None else ParticipantSheet(keys, ("role", "site"))
    assert participant_attributes(segments, sheet) == expected


def test_refi_export_qdc_names_codes_by_label(
    project: Path, tmp_path: Path, runner: CliRunner
) -> None:
    import xmlschema

    xsd = REFI / "Codebook.xsd"
    if not xsd.is_file():
        pytest.skip("../shared/refi-qda/Codebook.xsd is absent")
    target = tmp_path / "c.qdc"
    result = runner.invoke(app, ["export", "qdc", "codebook.yaml", "-o", str(target)])
    assert result.exit_code == 0, result.output
    shown = target.as_posix()
    assert result.stderr == (
        f"warning: {shown}: code positive: terms (1) is not carried by REFI-QDA .qdc (rules stay "
        "in qca)\n"
        f"warning: {shown}: code positive.strong: terms (1) is not carried by REFI-QDA .qdc "
        "(rules stay in qca)\n"
        f"warning: {shown}: code improvement: terms (1) is not carried by REFI-QDA .qdc (rules "
        "stay in qca)\n"
        f"warning: {shown}: code improvement.strong: terms (1) is not carried by REFI-QDA .qdc "
        "(rules stay in qca)\n"
        f"wrote {shown}\n"
    )
    xml = target.read_text(encoding="utf-8")
    assert [e.reason for e in xmlschema.XMLSchema(str(xsd)).iter_errors(xml)] == []
    root = ElementTree.fromstring(xml)
    names = [c.get("name") for c in root.iter("{urn:QDA-XML:codebook:1.0}Code")]
    assert names == [
        "Feedback",
        "Positive remarks",
        "strong (Positive remarks)",
        "Learning",
        "Improvement",
        "strong (Improvement)",
    ]


def test_refi_export_exported_qdpx_gets_the_umask_mode(project: Path, runner: CliRunner) -> None:
    """`stat -c %a` of an exported .qdpx under umask 022 is 644 (the atomic writer made 600)."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        result = runner.invoke(app, ["export", "qdpx", "-d", "out", "-o", "mode.qdpx"])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(Path("mode.qdpx").stat().st_mode) == 0o644
