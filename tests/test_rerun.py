"""Re-runs: `qca code` with nothing changed does nothing (qca.rerun, issue #16)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.codebook import read_codebook
from qca.coding import CodeOptions, code
from qca.ingest import IngestOptions
from qca.models import RUN_FILE
from qca.overrides import Decision, add_decisions
from qca.rerun import check_outputs, code_digests, output_stamps, package_version
from tests.conftest import ROOT

CODEBOOK = """\
name: Tiny
language: en
themes:
  will:
    label: Will
    codes:
      motivation:
        terms: [motivate]
"""
UP_TO_DATE = (
    "qca-out is up to date ({} documents, codebook unchanged); nothing to do. "
    "Use --force to code again.\n"
)
CODED = "coded 2 documents, 5 segments, 18 words: 2 hits in 2 segments -> qca-out\n"
OUTPUTS = (
    "segments.parquet",
    "hits.parquet",
    "codings.parquet",
    "hits.csv",
    "codings.csv",
    "run.json",
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two transcripts, a participants sheet and a codebook in a fresh working folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "a.txt").write_text(
        "Interviewer: Were you motivated?\n\nAnna: I was motivated. We had a new idea.\n",
        encoding="utf-8",
    )
    (tmp_path / "tr" / "b.txt").write_text(
        "Interviewer: And you?\n\nBo: Not motivated at all.\n\nBo: No.\n", encoding="utf-8"
    )
    (tmp_path / "people.csv").write_text("doc_id,speaker,role\na,Anna,coach\n", encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    return tmp_path


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["code", "tr", "-c", "cb.yaml", "--participants", "people.csv", *args]
    )
    return result.exit_code, result.stdout, result.stderr


def stamps(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        name: ((folder / name).stat().st_mtime_ns, (folder / name).read_bytes()) for name in OUTPUTS
    }


def test_rerun_nothing_changed_touches_nothing(project: Path, runner: CliRunner) -> None:
    assert run(runner)[0] == 0
    before = stamps(project / "qca-out")
    assert run(runner) == (0, "", UP_TO_DATE.format(2))
    assert stamps(project / "qca-out") == before
    assert sorted(p.name for p in (project / "qca-out").iterdir()) == sorted(OUTPUTS)


@pytest.mark.parametrize("flag", ["--force", "--no-cache"])
def test_rerun_force_codes_again(project: Path, runner: CliRunner, flag: str) -> None:
    assert run(runner)[0] == 0
    code_, stdout, stderr = run(runner, flag)
    assert (code_, stdout) == (0, "")
    assert stderr.startswith(CODED)


def test_rerun_jobs_do_not_change_outputs(project: Path, runner: CliRunner) -> None:
    assert run(runner)[0] == 0
    assert run(runner, "--jobs", "2") == (0, "", UP_TO_DATE.format(2))


def test_rerun_records_outputs_in_run_json(project: Path, runner: CliRunner) -> None:
    assert run(runner)[0] == 0
    out = project / "qca-out"
    manifest = json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
    assert manifest["outputs"] == output_stamps(out, OUTPUTS[:-1])
    assert manifest["rerun"] == {
        "code_digests": code_digests(read_codebook(project / "cb.yaml")),
        "codebook_exclude_speakers": [],
        "codebook_unit": "turn",
        "inputs": ["tr/a.txt", "tr/b.txt"],
        "lookups_version": package_version("spacy_lookups_data"),
        "model": None,
        "overrides_sha256": None,
        "participants_sha256": manifest["rerun"]["participants_sha256"],
        "severities": [],
    }
    assert len(manifest["rerun"]["participants_sha256"]) == 64


def _edit(path: str, text: str = "\nAnna: More.\n") -> Callable[[Path], None]:
    def change(root: Path) -> None:
        with (root / path).open("a", encoding="utf-8") as handle:
            handle.write(text)

    return change


def _touch(path: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        stat = (root / path).stat()
        os.utime(root / path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    return change


def _remove(path: str) -> Callable[[Path], None]:
    return lambda root: (root / path).unlink()


def _write(path: str, text: str) -> Callable[[Path], None]:
    return lambda root: (root / path).write_text(text, encoding="utf-8")


def _manifest(edit: Callable[[dict[str, object]], None]) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / "qca-out" / RUN_FILE
        manifest = json.loads(path.read_text(encoding="utf-8"))
        edit(manifest)
        path.write_text(json.dumps(manifest), encoding="utf-8")

    return change


CHANGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "transcript edited": (_edit("tr/b.txt"), "tr/b.txt changed"),
    "transcript added": (
        _write("tr/c.txt", "Interviewer: Hi?\n\nCarl: Motivated.\n"),
        "the input files are not those coded",
    ),
    "transcript removed": (_remove("tr/b.txt"), "the input files are not those coded"),
    "codebook edited": (_edit("cb.yaml", "# a comment\n"), "cb.yaml changed"),
    "participants edited": (
        _edit("people.csv", "b,Bo,faculty\n"),
        "the participants sheet changed",
    ),
    "overrides added": (
        lambda root: add_decisions(
            root / "overrides.yaml", [Decision("a:t0002", "motivation", "remove")]
        ),
        "the options differ",
    ),
    "output removed": (_remove("qca-out/hits.csv"), "qca-out/hits.csv is missing"),
    "output touched": (_touch("qca-out/codings.parquet"), "qca-out/codings.parquet changed"),
    "output edited": (_edit("qca-out/hits.csv", "x\n"), "qca-out/hits.csv changed"),
    "run.json removed": (_remove("qca-out/run.json"), "no readable run.json in qca-out"),
    "run.json broken": (_write("qca-out/run.json", "{"), "no readable run.json in qca-out"),
    "older qca": (
        _manifest(lambda m: m.update(qca_version="0.0.1")),
        "written by another qca version",
    ),
    "no rerun stamps": (
        _manifest(lambda m: m.pop("rerun")),
        "run.json has no rerun stamps (written by an older qca)",
    ),
    "no output stamps": (
        _manifest(lambda m: m.pop("outputs")),
        "run.json records no output files (written by an older qca)",
    ),
    "another spaCy": (_manifest(lambda m: m.update(spacy_version="2.0.0")), "spaCy changed"),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_rerun_change_codes_again(project: Path, runner: CliRunner, name: str) -> None:
    change, reason = CHANGES[name]
    assert run(runner)[0] == 0
    change(project)
    options = CodeOptions(
        ingest=IngestOptions(participants=Path("people.csv")),
        overrides=Path("overrides.yaml") if (project / "overrides.yaml").is_file() else None,
    )
    state = check_outputs(["tr"], "cb.yaml", "qca-out", options=options)
    assert (state.up_to_date, state.reason) == (False, reason)
    assert state.codebook_only == (name == "codebook edited")
    code_, _, stderr = run(runner)
    assert code_ == 0
    assert "up to date" not in stderr
    documents = len(list((project / "tr").iterdir()))
    assert run(runner) == (0, "", UP_TO_DATE.format(documents))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("--unit", "sentence"), ()),
        ((), ("--include-interviewer",)),
        ((), ("--speaker-pattern", r"^(?P<speaker>\w+): ")),
        ((), ("--encoding", "latin-1")),
        ((), ("--strict",)),
    ],
)
def test_rerun_option_change_codes_again(
    project: Path, runner: CliRunner, first: tuple[str, ...], second: tuple[str, ...]
) -> None:
    assert run(runner, *first)[0] == 0
    code_, _, stderr = run(runner, *second)
    assert code_ == 0
    assert "up to date" not in stderr


def test_rerun_codebook_unit_is_resolved(project: Path, runner: CliRunner) -> None:
    # --unit turn is the codebook's unit: the same run as none given.
    assert run(runner)[0] == 0
    assert run(runner, "--unit", "turn") == (0, "", UP_TO_DATE.format(2))


def test_rerun_repeats_problems_and_exit_code(project: Path, runner: CliRunner) -> None:
    (project / "tr" / "bad.docx").write_bytes(b"not a docx")
    first = run(runner)
    assert first[0] == 1
    code_, stdout, stderr = run(runner)
    problem = next(line for line in first[2].splitlines() if "bad.docx" in line)
    assert (code_, stdout) == (1, "")
    assert stderr == problem + "\n" + UP_TO_DATE.format(2)


def test_rerun_repeats_warnings(project: Path, runner: CliRunner) -> None:
    (project / "tr" / "empty").mkdir()
    args = ["code", "tr", "tr/empty", "-c", "cb.yaml", "--participants", "people.csv"]
    first = runner.invoke(app, args)
    warning = first.stderr.splitlines()[0]
    assert (first.exit_code, warning) == (
        0,
        "warning: tr/empty: folder has no transcripts (.txt, .md, .docx, .odt, .rtf, .pdf, .vtt, .srt, "
        ".csv, .xlsx, "
        ".jsonl); check the path",
    )
    again = runner.invoke(app, args)
    assert (again.exit_code, again.stderr) == (0, warning + "\n" + UP_TO_DATE.format(2))


def test_rerun_overrides_edited_codes_again(project: Path, runner: CliRunner) -> None:
    add_decisions("overrides.yaml", [Decision("a:t0002", "motivation", "remove")])
    assert run(runner)[0] == 0
    assert run(runner) == (0, "", UP_TO_DATE.format(2))
    add_decisions("overrides.yaml", [Decision("b:t0002", "motivation", "remove")])
    options = CodeOptions(
        ingest=IngestOptions(participants=Path("people.csv")), overrides=Path("overrides.yaml")
    )
    state = check_outputs(["tr"], "cb.yaml", "qca-out", options=options)
    assert (state.up_to_date, state.reason) == (False, "the overrides file changed")
    code_, _, stderr = run(runner)
    assert (code_, stderr.splitlines()[0]) == (0, CODED.replace("2 hits in 2", "2 hits in 0")[:-1])


def test_rerun_library_code_records_what_the_check_reads(project: Path) -> None:
    options = CodeOptions(ingest=IngestOptions(participants=Path("people.csv")))
    code(["tr"], "cb.yaml", outdir="qca-out", options=options)
    state = check_outputs(["tr"], "cb.yaml", "qca-out", options=options)
    assert (state.up_to_date, state.reason, state.documents, state.problems) == (True, "", 2, ())
    other = dataclasses.replace(options, include_interviewer=True)
    state = check_outputs(["tr"], "cb.yaml", "qca-out", options=other)
    assert (state.up_to_date, state.reason) == (False, "the options differ")


def test_rerun_imports_nothing_heavy(project: Path, runner: CliRunner) -> None:
    assert run(runner)[0] == 0
    script = (
        "import sys\n"
        "from qca.cli import app\n"
        "try:\n"
        "    app(['code', 'tr', '-c', 'cb.yaml', '--participants', 'people.csv'])\n"
        "except SystemExit as exit:\n"
        "    print('exit', exit.code)\n"
        "heavy = ('pandas', 'numpy', 'pyarrow', 'spacy', 'rich', 'qca.ingest.corpus')\n"
        "print('loaded', [name for name in heavy if name in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert (result.stdout, result.stderr) == ("exit 0\nloaded []\n", UP_TO_DATE.format(2))


def test_rerun_codebook_only_when_nothing_else_changed(project: Path, runner: CliRunner) -> None:
    assert run(runner)[0] == 0
    options = CodeOptions(ingest=IngestOptions(participants=Path("people.csv")))
    state = check_outputs(["tr"], "cb.yaml", "qca-out", options=options)
    assert (state.up_to_date, state.codebook_only) == (True, False)
    (project / "other.yaml").write_text(CODEBOOK, encoding="utf-8")
    state = check_outputs(["tr"], "other.yaml", "qca-out", options=options)
    assert (state.up_to_date, state.reason, state.codebook_only) == (
        False,
        "other.yaml changed",
        True,
    )
    assert (state.documents, state.problems) == (2, ())
    (project / "cb.yaml").write_text(CODEBOOK.replace("motivate]", "motivate, idea]"), "utf-8")
    state = check_outputs(["tr"], "cb.yaml", "qca-out", options=options)
    assert (state.up_to_date, state.reason, state.codebook_only) == (False, "cb.yaml changed", True)
    _edit("tr/b.txt")(project)  # the codebook and an input: an input is the reason
    state = check_outputs(["tr"], "cb.yaml", "qca-out", options=options)
    assert (state.up_to_date, state.reason, state.codebook_only) == (
        False,
        "tr/b.txt changed",
        False,
    )


TWO_CODES = """\
name: Two
language: en
themes:
  will:
    label: Will
    codes:
      motivation:
        label: Motivation
        terms: [motivate, inspired]
      ideas:
        terms: [idea]
        patterns:
          - [{LEMMA: new}, {LOWER: idea}]
"""


@pytest.mark.parametrize(
    ("edit", "changed"),
    [
        (lambda t: t.replace("[motivate, inspired]", "[motivate, inspired, keen]"), {"motivation"}),
        (lambda t: t.replace("[motivate, inspired]", "[motivate]"), {"motivation"}),
        (lambda t: t.replace("{LEMMA: new}", "{LEMMA: old}"), {"ideas"}),
        (lambda t: t.replace("label: Motivation", "label: Drive"), set()),
        (lambda t: t.replace("terms: [idea]", "terms: [idea]\n        not: [no idea]"), {"ideas"}),
        (
            lambda t: t.replace("language: en", "language: en\nunit: sentence"),
            {"ideas", "motivation"},
        ),
        (
            lambda t: t.replace("      ideas:", "      more:\n        terms: [more]\n      ideas:"),
            {"more"},
        ),
    ],
)
def test_code_digests_change_with_the_rules_of_a_code(
    tmp_path: Path, edit: Callable[[str], str], changed: set[str]
) -> None:
    (tmp_path / "a.yaml").write_text(TWO_CODES, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(edit(TWO_CODES), encoding="utf-8")
    before = code_digests(read_codebook(tmp_path / "a.yaml"))
    after = code_digests(read_codebook(tmp_path / "b.yaml"))
    assert {c for c in after if before.get(c) != after[c]} == changed
    assert all(len(d) == 64 for d in after.values())


def test_rerun_document_unit_with_codebook_exclusions(project: Path, runner: CliRunner) -> None:
    # The run adds the codebook's exclude_speakers to the options of the document
    # unit; the check resolves them the same way, so nothing changed is up to date.
    (project / "cb.yaml").write_text(
        CODEBOOK.replace("language: en", "language: en\nunit: document\nexclude_speakers: [Bo]"),
        encoding="utf-8",
    )
    code_, _, stderr = run(runner)
    assert (code_, stderr.splitlines()[0]) == (
        0,
        "coded 1 documents, 1 segments, 8 words: 1 hits in 1 segments -> qca-out",
    )
    assert run(runner) == (0, "", UP_TO_DATE.format(1))
    code_, _, stderr = run(runner, "--include-interviewer")
    assert code_ == 0
    assert "up to date" not in stderr
