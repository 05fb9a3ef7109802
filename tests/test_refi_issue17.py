"""Issue #17: REFI-QDA exports that keep labels, coders and cases (checked against Project.xsd)."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.export.qdpx import AUTO_CODER, export_qdpx
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


def test_refi_issue_17_export_validates_with_labels_users_cases(project: Path) -> None:
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


def test_refi_issue_17_round_trip_keeps_codings_per_coder(project: Path, tmp_path: Path) -> None:
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
    assert {c.id: c.label for c in imported.codebook.codes()} == {
        "positive": "Positive remarks",
        "positive.strong": "strong (Positive remarks)",
        "improvement": "Improvement",
        "improvement.strong": "strong (Improvement)",
    }


def test_refi_issue_17_export_cli_names_users_and_warns(project: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["export", "qdpx", "out", "-o", "cli.qdpx"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: out: speaker 'Anna' is in 2 documents; exported as 2 cases named "
        "'Anna (DOCUMENT)'; if they are one person, key the --participants sheet by speaker "
        "alone\n"
        f"wrote cli.qdpx: 6 codes, users: {AUTO_CODER}, {CODER}\n"
    )


def test_refi_issue_17_demo_export_validates_with_labels(tmp_path: Path) -> None:
    import xmlschema

    import qca

    schema = xmlschema.XMLSchema(str(_xsd()))
    old = Path.cwd()
    os.chdir(ROOT)
    try:
        options = qca.CodeOptions(
            ingest=qca.IngestOptions(participants="transcripts/participants.csv")
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
