"""Tests of qca.coding (the run) and the `qca code` / `qca init` commands."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import qca
from qca.cli import app
from qca.coding import CodeOptions, code
from qca.errors import CodebookError, OutputError
from qca.ingest import IngestOptions
from qca.models import CODING_COLUMNS, HIT_COLUMNS, RUN_KEYS, SEGMENT_COLUMNS
from qca.packed import unpack

CODEBOOK = """\
name: Tiny
language: en
themes:
  will:
    label: Will
    codes:
      motivation:
        terms: [motivate]
  ideas:
    label: Ideas
    codes:
      idea:
        terms: [idea]
      unused:
        terms: [zebra]
"""

SUMMARY = """\
theme / code  hits
will             2
  motivation     2
ideas            1
  idea           1
  unused         0
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny corpus and codebook in a fresh working folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "a.txt").write_text(
        "Interviewer: Were you motivated?\n\nAnna: I was motivated. We had a new idea.\n\n"
        "Bo: Not motivated at all.\n",
        encoding="utf-8",
    )
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    return tmp_path


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_coding_cli_writes_outputs_and_summary(project: Path, runner: CliRunner) -> None:
    code_, stdout, stderr = run(runner, "code", "tr", "-c", "cb.yaml")
    assert (code_, stdout) == (0, "")
    assert stderr == (
        "coded 1 documents, 3 segments, 15 words: 3 hits in 2 segments -> qca-out\n" + SUMMARY
    )
    out = project / "qca-out"
    assert sorted(p.name for p in out.iterdir()) == [
        "codings.csv",
        "codings.parquet",
        "hits.csv",
        "hits.parquet",
        "run.json",
        "segments.parquet",
    ]
    assert (out / "codings.csv").read_text() == (
        "segment_id,theme,code,source,hits\n"
        "a:t0002,ideas,idea,auto,1\n"
        "a:t0002,will,motivation,auto,1\n"
        "a:t0003,will,motivation,auto,1\n"
    )
    segments = pd.read_parquet(out / "segments.parquet")
    assert list(segments.columns[: len(SEGMENT_COLUMNS)]) == list(SEGMENT_COLUMNS)
    assert segments["is_interviewer"].tolist() == [True, False, False]
    assert list(pd.read_parquet(out / "hits.parquet").columns) == list(HIT_COLUMNS)
    assert list(pd.read_parquet(out / "codings.parquet").columns) == list(CODING_COLUMNS)


def test_coding_run_json(project: Path, runner: CliRunner) -> None:
    assert run(runner, "code", "tr", "-c", "cb.yaml", "--jobs", "1")[0] == 0
    manifest = json.loads((project / "qca-out" / "run.json").read_text())
    assert sorted(manifest) == sorted(RUN_KEYS)
    assert [c["code"] for c in manifest["codes"]] == ["motivation", "idea", "unused"]
    assert [t["theme"] for t in manifest["themes"]] == ["will", "ideas"]
    assert manifest["counts"] == {
        "coded_segments": 2,
        "documents": 1,
        "hits": 3,
        "segments": 3,
        "skipped_files": 0,
        "words": 15,
    }
    assert manifest["inputs"][0]["path"] == "tr/a.txt"
    assert len(manifest["inputs"][0]["sha256"]) == 64
    assert manifest["codebook"]["sha256"] and manifest["codebook"]["name"] == "Tiny"
    assert manifest["pipeline"]["en"]["name"] == "blank:en"
    assert manifest["options"]["unit"] == "turn"
    assert manifest["options"]["jobs"] == 1


def test_coding_is_deterministic_with_and_without_cache_and_jobs(
    project: Path, runner: CliRunner
) -> None:
    outputs = {}
    for name, extra in [
        ("cold", []),
        ("cached", []),
        ("nocache", ["--no-cache"]),
        ("jobs2", ["--jobs", "2"]),
    ]:
        assert run(runner, "code", "tr", "-c", "cb.yaml", "-d", name, *extra)[0] == 0
        outputs[name] = [
            (project / name / f).read_bytes()
            for f in ("hits.csv", "codings.csv", "hits.parquet", "codings.parquet")
        ]
    assert outputs["cold"] == outputs["cached"] == outputs["nocache"] == outputs["jobs2"]
    assert (project / ".qca-cache").is_dir()


def test_coding_corrupt_cache_entry_is_rebuilt(project: Path) -> None:
    first = code(["tr"], "cb.yaml")
    entries = list((project / ".qca-cache").rglob("*.tok"))
    stored = list((project / ".qca-cache").rglob("*.hits"))
    assert len(entries) == len(stored) == 1
    entries[0].write_bytes(b"not a token entry")
    stored[0].write_text('{"stamp": 1', encoding="utf-8")
    again = code(["tr"], "cb.yaml")
    pd.testing.assert_frame_equal(first.hits, again.hits)
    assert entries[0].read_bytes()[:8] == b"QCAPACK1"  # rewritten as a valid entry
    assert set(json.loads(bytes(unpack(stored[0].read_bytes())["json"]))) == {"stamp", "codes"}


def test_coding_edit_rematches_only_the_edited_code(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qca.ingest
    from qca.engine.batch import HitColumns
    from qca.engine.match import Matcher

    matched: list[list[str]] = []
    real = Matcher.match

    def spy(self: Matcher, *args: object) -> HitColumns:
        used = {r.code for r in self.rules.terms["en"]}
        matched.append([self.rules.codes[n][1] for n in sorted(used)])
        return real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Matcher, "match", spy)
    code(["tr"], "cb.yaml", outdir="out")  # fills the cache
    code(["tr"], "cb.yaml", outdir="cold", options=CodeOptions(cache=False))
    code(["tr"], "cb.yaml", outdir="cold2", options=CodeOptions(cache=False, jobs=2))
    matched.clear()
    code(["tr"], "cb.yaml", outdir="warm")  # every code's hits come from the cache
    assert matched == []
    edited = CODEBOOK.replace("terms: [idea]", "terms: [idea, new]")
    (project / "cb2.yaml").write_text(edited, encoding="utf-8")
    with monkeypatch.context() as patch:  # the files are read from the source cache
        patch.setattr(qca.ingest, "read_source", None)
        edited_warm = code(["tr"], "cb2.yaml", outdir="edited")
        code(["tr"], "cb2.yaml", outdir="edited2", options=CodeOptions(jobs=2))
    assert matched == [["idea"]]
    code(["tr"], "cb2.yaml", outdir="edited-cold", options=CodeOptions(cache=False))
    names = ("hits.csv", "codings.csv", "hits.parquet", "codings.parquet", "segments.parquet")
    for name in names:
        expected = (project / "cold" / name).read_bytes()
        for folder in ("out", "cold2", "warm"):
            assert (project / folder / name).read_bytes() == expected, (folder, name)
        expected = (project / "edited-cold" / name).read_bytes()
        for folder in ("edited", "edited2"):
            assert (project / folder / name).read_bytes() == expected, (folder, name)
    assert len(edited_warm.hits) == 4


@pytest.mark.parametrize("jobs", [1, 2])
def test_coding_manifest_lists_each_input_file_once(
    project: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    monkeypatch.setattr("qca.ingest.surveys.CHUNK_ROWS", 2)  # the survey gives three batches
    rows = "".join(f"r{n},a new idea {n}\n" for n in range(5))
    (project / "s.csv").write_text("id,comment\n" + rows, encoding="utf-8")
    options = CodeOptions(
        ingest=IngestOptions(text_column="comment", id_column="id"), jobs=jobs, cache=False
    )
    result = code(["tr", "s.csv"], "cb.yaml", outdir="out", options=options)
    inputs = result.manifest["inputs"]
    assert [(i["path"], i["format"], i["documents"]) for i in inputs] == [
        ("s.csv", "csv", 5),
        ("tr/a.txt", "txt", 1),
    ]
    assert inputs[0]["sha256"] == hashlib.sha256((project / "s.csv").read_bytes()).hexdigest()


def test_coding_library_returns_tables(project: Path) -> None:
    result = qca.code(["tr"], "cb.yaml", options=CodeOptions(include_interviewer=True))
    assert result.hits["segment_id"].tolist() == ["a:t0001", "a:t0002", "a:t0002", "a:t0003"]
    assert result.hits["negated"].tolist() == [False, False, False, True]
    assert len(result.segments) == 3
    assert result.codings["hits"].sum() == 4
    assert result.problems == ()
    assert not (project / "qca-out").exists()


def test_coding_library_codebook_errors_stop_before_work(project: Path) -> None:
    (project / "bad.yaml").write_text("name: x\nthemes: {}\nlable: y\n", encoding="utf-8")
    with pytest.raises(CodebookError):
        code(["tr"], "bad.yaml", outdir="out")
    assert not (project / "out").exists()


def test_coding_cli_codebook_errors_are_reported(project: Path, runner: CliRunner) -> None:
    (project / "bad.yaml").write_text("name: x\nthemes:\n  will:\n    lable: y\n", encoding="utf-8")
    code_, stdout, stderr = run(runner, "code", "tr", "-c", "bad.yaml")
    assert (code_, stdout) == (1, "")
    assert stderr.startswith("bad.yaml:4:5: ")
    assert not (project / "qca-out").exists()


def test_coding_cli_bad_file_is_skipped_and_exit_1(project: Path, runner: CliRunner) -> None:
    (project / "tr" / "b.docx").write_bytes(b"\xff\xfe not a docx")
    code_, stdout, stderr = run(runner, "code", "tr", "-c", "cb.yaml")
    assert (code_, stdout) == (1, "")
    assert stderr == (
        "tr/b.docx: is not a valid .docx file (not a zip archive); re-save it from Word\n"
        "coded 1 documents, 3 segments, 15 words: 3 hits in 2 segments -> qca-out\n"
        + SUMMARY
        + "skipped 1 file(s) (see above)\n"
    )
    assert (project / "qca-out" / "hits.csv").read_text().count("\n") == 4


def test_coding_cli_output_folder_is_a_file(project: Path, runner: CliRunner) -> None:
    (project / "taken").write_text("x", encoding="utf-8")
    assert run(runner, "code", "tr", "-c", "cb.yaml", "-d", "taken") == (
        1,
        "",
        "taken: the output folder is a file; remove it or choose another folder with -d\n",
    )


def test_coding_cli_unknown_model(project: Path, runner: CliRunner) -> None:
    assert run(runner, "code", "tr", "-c", "cb.yaml", "--model", "nope_xx") == (
        1,
        "",
        "cannot load spaCy pipeline 'nope_xx': it is neither an installed pipeline nor a "
        "folder saved with nlp.to_disk; check the name or path, or leave out --model\n",
    )


def test_coding_interrupt_leaves_previous_outputs(project: Path) -> None:
    code(["tr"], "cb.yaml", outdir="out")
    before = {p.name: p.read_bytes() for p in (project / "out").iterdir()}

    def interrupt(state: object) -> None:
        raise KeyboardInterrupt

    (project / "tr" / "a.txt").write_text("Anna: an idea\n\nBo: another idea\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        code(["tr"], "cb.yaml", outdir="out", progress=interrupt)
    after = {p.name: p.read_bytes() for p in (project / "out").iterdir()}
    assert after == before
    assert sorted(p.name for p in project.iterdir()) == [".qca-cache", "cb.yaml", "out", "tr"]


def test_coding_output_error_when_parent_is_not_writable(project: Path) -> None:
    (project / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError) as info:
        code(["tr"], "cb.yaml", outdir=project / "file" / "out")
    assert info.value.lines()[0].startswith(f"{project / 'file' / 'out'}: cannot write")


def test_coding_init_then_code_from_qca_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.chdir(tmp_path)
    code_, stdout, stderr = run(runner, "init")
    assert (code_, stdout) == (0, "")
    assert stderr == (
        "created codebooks/\n"
        "created codebooks/starter.yaml\n"
        "created overrides.yaml\n"
        "created qca.yaml\n"
        "created transcripts/\n"
        "next: put transcripts in transcripts/, edit the codebook, then run qca code\n"
    )
    (tmp_path / "transcripts" / "a.txt").write_text(
        "Interviewer: Any ideas?\n\nAnna: One idea: try out a new idea.\n", encoding="utf-8"
    )
    code_, stdout, stderr = run(runner, "code")
    assert (code_, stdout) == (0, "")
    assert stderr.splitlines()[0] == (
        "coded 1 documents, 2 segments, 9 words: 3 hits in 1 segments -> qca-out"
    )
    assert (tmp_path / "qca-out" / "hits.csv").read_text().count("new_ideas") == 3


def test_coding_init_refuses_to_overwrite(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "qca.yaml").write_text("x: 1\n", encoding="utf-8")
    code_, stdout, stderr = run(runner, "init", str(tmp_path / "p"))
    assert (code_, stdout) == (1, "")
    assert stderr == (
        f"{tmp_path / 'p' / 'qca.yaml'}: already exists; qca init never overwrites: "
        "move it away or choose another folder\n"
    )
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["qca.yaml"]


def test_coding_cli_without_paths_or_project(project: Path, runner: CliRunner) -> None:
    assert run(runner, "code", "-c", "cb.yaml") == (
        1,
        "",
        "no transcripts given: name files or folders (qca code PATH... -c CODEBOOK), "
        "or run qca init to write a qca.yaml\n",
    )


@pytest.mark.parametrize("cache", [True, False])
def test_coding_jobs_2_reads_files_in_workers_with_the_same_result(
    project: Path, cache: bool
) -> None:
    (project / "tr2").mkdir()
    (project / "tr2" / "a.txt").write_text(
        "Cy: A motivated idea.\n", encoding="utf-8"
    )  # doc_id a again
    (project / "tr2" / "b.txt").write_text("Dee: An idea, an idea.\n", encoding="utf-8")
    (project / "tr2" / "broken.docx").write_bytes(b"not a zip file")
    (project / "tr2" / "survey.csv").write_text(  # row a is dropped: tr/a.txt has doc_id a
        "id,text\ns1,A new idea.\na,So motivated.\ns2,Motivated.\n", encoding="utf-8"
    )
    results = {}
    for jobs in (1, 2):
        out = project / f"out{jobs}"
        options = CodeOptions(jobs=jobs, cache=cache)
        result = code(["tr", "tr2"], "cb.yaml", outdir=out, options=options)
        manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
        results[jobs] = (
            [(out / f).read_bytes() for f in ("hits.csv", "codings.csv", "segments.parquet")],
            manifest["problems"],
            manifest["counts"],
            manifest["inputs"],
            [str(p) for p in result.problems],
        )
    assert results[1] == results[2]
    problems = results[2][1]
    assert any("doc_id 'a' is already used by" in p for p in problems)
    assert any("broken.docx" in p for p in problems)
    assert any("row 2: doc_id 'a' is already used by" in p for p in problems)
    assert results[2][2]["documents"] == 4
    hits = results[2][0][0].decode()
    assert [line.split(",")[7] for line in hits.splitlines() if line.startswith("a,")] == [
        "motivated",
        "idea",
        "motivated",
    ]


@pytest.mark.parametrize("cache", [False, True])
def test_coding_many_small_files_in_batches_equals_one_batch_per_file(
    project: Path, cache: bool
) -> None:
    lines = ["I was motivated by a new idea.", "Nothing here.", "Not motivated, no idea."]
    for n in range(50):
        speaker = "Interviewer" if n % 7 == 0 else f"P{n}"
        text = f"{speaker}: {lines[n % 3]} ({n})\n"
        (project / "tr" / f"f{n:03d}.txt").write_text(text, encoding="utf-8")
    (project / "tr" / "f010.txt").write_bytes(b"\xff\xfe\x00bad")  # a problem reported per file
    outputs = {}
    for name, chars, jobs in (("batched", 200, 1), ("per-file", 1, 1), ("jobs", 200, 2)):
        options = CodeOptions(cache=cache, jobs=jobs)
        result = code(["tr"], "cb.yaml", outdir=name, options=options, batch_chars=chars)
        run = json.loads((project / name / "run.json").read_text(encoding="utf-8"))
        outputs[name] = (
            {p.name: p.read_bytes() for p in (project / name).iterdir() if p.name != "run.json"},
            [str(p) for p in result.problems],
            len(result.hits),
            (run["inputs"], run["counts"], run["problems"]),
        )
    assert outputs["batched"] == outputs["per-file"] == outputs["jobs"]
    assert outputs["batched"][2] > 20
    assert any("f010.txt" in p for p in outputs["batched"][1])
