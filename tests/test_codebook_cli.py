"""CLI tests of `qca codebook check|show|convert`, and the golden codebook-* cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app

CASES = Path(__file__).parent / "cases"
CODEBOOK_CASES = sorted(p for p in CASES.glob("codebook-*") if p.is_dir())
SHIPPED = sorted((Path(__file__).parent.parent / "codebooks").glob("*.yaml"))

TINY = """\
name: Tiny
version: 2
themes:
  will:
    label: Creating will
    definition: Motivation to improve.
    codes:
      motivation:
        label: Motivation
        definition: Drive to change.
        include: Wanting to improve.
        exclude: Obligation.
        examples: ["We wanted | to do better."]
        terms: [motivation, "want to"]
        regex: ['\\bfired up\\b']
        codes:
          personal:
            definition: A personal reason.
            terms: [my mother]
"""


@pytest.mark.parametrize("case", CODEBOOK_CASES, ids=lambda p: p.name)
def test_codebook_cli_golden_case(
    runner: CliRunner, case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)
    args_file = case / "args.txt"
    args = args_file.read_text().split() if args_file.exists() else []
    result = runner.invoke(app, ["codebook", "check", *args, "codebook.yaml"])
    assert result.stderr == (case / "expected.txt").read_text(encoding="utf-8")
    assert result.exit_code == int((case / "exit_code.txt").read_text())
    assert result.stdout == ""


@pytest.mark.parametrize("name", ["tiny.yaml"])
def test_codebook_cli_check_clean(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(TINY, encoding="utf-8")
    result = runner.invoke(app, ["codebook", "check", "--strict", name])
    assert result.exit_code == 0
    assert result.stderr == "tiny.yaml: ok (1 theme, 2 codes, 4 rules)\n"
    assert result.stdout == ""


@pytest.mark.parametrize("missing", ["nope.yaml"])
def test_codebook_cli_check_batch_continues(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tiny.yaml").write_text(TINY, encoding="utf-8")
    result = runner.invoke(app, ["codebook", "check", missing, "tiny.yaml"])
    assert result.exit_code == 1
    assert result.stderr == (
        "nope.yaml: no such file; check the path\ntiny.yaml: ok (1 theme, 2 codes, 4 rules)\n"
    )


@pytest.mark.parametrize("fmt", ["tree"])
def test_codebook_cli_show_tree(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tiny.yaml").write_text(TINY, encoding="utf-8")
    result = runner.invoke(app, ["codebook", "show", "tiny.yaml", "--format", fmt])
    assert result.exit_code == 0
    assert result.stdout == (
        "Tiny (version 2; 1 theme, 2 codes, 4 rules)\n"
        "└── will Creating will: Motivation to improve.\n"
        "    └── motivation Motivation (3 rules): Drive to change.\n"
        "        └── motivation.personal (1 rule): A personal reason.\n"
    )


@pytest.mark.parametrize("fmt", ["markdown"])
def test_codebook_cli_show_markdown(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tiny.yaml").write_text(TINY, encoding="utf-8")
    result = runner.invoke(app, ["codebook", "show", "tiny.yaml", "-f", fmt])
    assert result.exit_code == 0
    assert result.stdout == (
        "# Codebook: Tiny\n"
        "\n"
        "Version 2; language `en`; unit: turn.\n"
        "\n"
        "## Creating will (`will`)\n"
        "\n"
        "Motivation to improve.\n"
        "\n"
        "| Code | Definition | Include | Exclude | Example |\n"
        "|---|---|---|---|---|\n"
        "| Motivation (`motivation`) | Drive to change. | Wanting to improve. | Obligation. "
        "| “We wanted \\| to do better.” |\n"
        "| &nbsp;&nbsp;↳ personal (`motivation.personal`) | A personal reason. |  |  |  |\n"
    )


@pytest.mark.parametrize("fmt", ["json"])
def test_codebook_cli_show_json(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tiny.yaml").write_text(TINY, encoding="utf-8")
    result = runner.invoke(app, ["codebook", "show", "tiny.yaml", "-f", fmt])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert list(data) == ["name", "version", "language", "unit", "themes"]
    code = data["themes"]["will"]["codes"]["motivation"]
    assert code["terms"] == ["motivation", "want to"]
    assert code["codes"] == {
        "personal": {"definition": "A personal reason.", "terms": ["my mother"]}
    }


@pytest.mark.parametrize("name", ["broken.yaml"])
def test_codebook_cli_show_reports_errors(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_text("name: x\nthemes: []\n", encoding="utf-8")
    result = runner.invoke(app, ["codebook", "show", name])
    assert result.exit_code == 1
    assert result.stderr == (
        "broken.yaml:2:9: themes: expected a mapping of `key: value` lines, got a list "
        "(indent the keys under this one)\n"
    )
    assert result.stdout == ""


@pytest.mark.parametrize("target", ["tiny.dic"])
def test_codebook_cli_convert_names_what_is_not_carried(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tiny.yaml").write_text(TINY, encoding="utf-8")
    result = runner.invoke(app, ["codebook", "convert", "tiny.yaml", "-o", target])
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: tiny.dic: codebook: name (Tiny), version (2) are not carried by LIWC .dic\n"
        "warning: tiny.dic: theme will: label, definition are not carried by LIWC .dic\n"
        "warning: tiny.dic: code motivation: label, definition, include, exclude, examples, "
        "regex (1) are not carried by LIWC .dic\n"
        "warning: tiny.dic: code motivation.personal: definition is not carried by LIWC .dic\n"
        "wrote tiny.dic (LIWC .dic: 1 theme, 2 codes, 4 rules)\n"
    )
    assert Path(target).read_text(encoding="utf-8") == (
        "%\n1\twill\n\t2\tmotivation\n\t\t3\tpersonal\n%\nmotivation\t2\nwant to\t2\nmy mother\t3\n"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "mary.lc3",
            "+A\nword\n",
            "mary.lc3: unknown dictionary format `.lc3`; qca reads qca or quanteda YAML "
            "(.yaml, .yml), LIWC (.dic, .dicx), WordStat (.cat) and REFI-QDA (.qdc)\n",
        ),
        ("gone.dic", None, "gone.dic: no such file; check the path\n"),
    ],
)
def test_codebook_cli_convert_bad_input(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: str | None,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    if content is not None:
        Path(name).write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["codebook", "convert", name, "-o", "out.yaml"])
    assert result.exit_code == 1
    assert result.stderr == message
    assert not Path("out.yaml").exists()


@pytest.mark.parametrize("target", ["out.txt"])
def test_codebook_cli_convert_unknown_output_format(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tiny.yaml").write_text(TINY, encoding="utf-8")
    result = runner.invoke(app, ["codebook", "convert", "tiny.yaml", "-o", target])
    assert result.exit_code == 1
    assert result.stderr == (
        "out.txt: cannot tell the output format from `.txt`; use a suffix "
        "(.cat, .dic, .dicx, .qdc, .yaml, .yml) or --to {qca,quanteda,liwc,dicx,wordstat,qdc}\n"
    )


@pytest.mark.parametrize("shipped", SHIPPED, ids=lambda p: p.name)
def test_codebook_cli_shipped_codebooks_pass_strict(runner: CliRunner, shipped: Path) -> None:
    result = runner.invoke(app, ["codebook", "check", "--strict", str(shipped)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"{shipped}: ok (")
