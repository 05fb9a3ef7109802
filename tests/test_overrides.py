"""Tests of qca.overrides and `qca override add|remove|list|check|stats` (issue #6)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.errors import OverrideError
from qca.models import CODING_COLUMNS, text_hash
from qca.overrides import (
    Decision,
    add_decisions,
    apply_overrides,
    check_overrides,
    excerpt,
    read_overrides,
)

CODEBOOK = """\
name: Tiny
language: en
themes:
  will:
    codes:
      motivation:
        terms: [motivate]
  ideas:
    codes:
      idea:
        terms: [idea]
"""

TRANSCRIPT = (
    "Interviewer: Tell me about change.\n\n"
    "Anna: We were motivated to improve.\n\n"
    "Bo: The idea came from Esther.\n\n"
    "Anna: I had an idea and felt motivated.\n\n"
    "Bo: Nothing to add.\n"
)
CODE_SUMMARY_TAIL = "theme / code  hits\nwill             2\n  motivation     2\nideas            2\n  idea           2\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny coded corpus in a fresh working folder; $QCA_CODER is ann."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QCA_CODER", "ann")
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "a.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    return tmp_path


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def codings(folder: Path) -> list[str]:
    return (folder / "qca-out" / "codings.csv").read_text(encoding="utf-8").splitlines()[1:]


def test_overrides_cli_add_remove_then_code_applies(project: Path, runner: CliRunner) -> None:
    assert invoke(runner, "code", "tr", "-c", "cb.yaml")[0] == 0
    assert codings(project) == [
        "a:t0002,will,motivation,auto,1",
        "a:t0003,ideas,idea,auto,1",
        "a:t0004,ideas,idea,auto,1",
        "a:t0004,will,motivation,auto,1",
    ]
    status, stdout, stderr = invoke(
        runner, "override", "remove", "a:t0003", "idea", "--note", "a place, not an idea"
    )
    assert (status, stdout) == (0, "")
    assert stderr == (
        "removed idea on a:t0003 (ann) -> overrides.yaml; re-run qca code to update the tables\n"
    )
    status, _, stderr = invoke(runner, "override", "add", "a:t0005", "motivation", "--coder", "bo")
    assert status == 0
    assert stderr == (
        "added motivation on a:t0005 (bo) -> overrides.yaml; re-run qca code to update the tables\n"
    )
    status, _, stderr = invoke(runner, "code", "tr", "-c", "cb.yaml")
    assert status == 0, stderr
    assert codings(project) == [
        "a:t0002,will,motivation,auto,1",
        "a:t0004,ideas,idea,auto,1",
        "a:t0004,will,motivation,auto,1",
        "a:t0005,will,motivation,manual,0",
    ]
    # The hits stay: they are the rules' record.
    hits = pd.read_parquet(project / "qca-out" / "hits.parquet")
    assert sorted(hits["segment_id"]) == ["a:t0002", "a:t0003", "a:t0004", "a:t0004"]


def test_overrides_cli_unknown_segment_and_code(project: Path, runner: CliRunner) -> None:
    invoke(runner, "code", "tr", "-c", "cb.yaml")
    status, stdout, stderr = invoke(runner, "override", "add", "a:t0009", "motivatio")
    assert (status, stdout) == (1, "")
    assert stderr == (
        "unknown code 'motivatio'; use one of: motivation, idea\n"
        "unknown segment 'a:t0009' in qca-out; closest: a:t0005, a:t0004, a:t0003; "
        "find ids with qca show CODE\n"
    )
    assert not (project / "overrides.yaml").exists()


def test_overrides_cli_no_output_folder(project: Path, runner: CliRunner) -> None:
    status, _, stderr = invoke(runner, "override", "add", "a:t0002", "motivation")
    assert status == 1
    assert (
        stderr == "no coded output in qca-out/; run: qca code TRANSCRIPTS -c CODEBOOK -d qca-out\n"
    )


def test_overrides_survive_codebook_edit_and_insertion_elsewhere(
    project: Path, runner: CliRunner
) -> None:
    invoke(runner, "code", "tr", "-c", "cb.yaml")
    invoke(runner, "override", "remove", "a:t0003", "idea")
    invoke(runner, "override", "add", "a:t0005", "motivation")
    # A codebook edit (a new term) and a new turn inserted at the top shift every id by one.
    (project / "cb.yaml").write_text(
        CODEBOOK.replace("[motivate]", "[motivate, improve]"), encoding="utf-8"
    )
    (project / "tr" / "a.txt").write_text(
        "Interviewer: Welcome.\n\n" + TRANSCRIPT, encoding="utf-8"
    )
    status, _, stderr = invoke(runner, "code", "tr", "-c", "cb.yaml")
    assert status == 0, stderr
    assert codings(project) == [
        "a:t0003,will,motivation,auto,2",
        "a:t0005,ideas,idea,auto,1",
        "a:t0005,will,motivation,auto,1",
        "a:t0006,will,motivation,manual,0",
    ]
    status, stdout, stderr = invoke(runner, "override", "check")
    assert (status, stdout) == (0, "")
    assert stderr == (
        "warning: overrides.yaml:4:3: a:t0003 idea: moved to a:t0004: its text is unchanged "
        "but turns before it were added or removed; the decision applies there\n"
        "warning: overrides.yaml:12:3: a:t0005 motivation: moved to a:t0006: its text is "
        "unchanged but turns before it were added or removed; the decision applies there\n"
        "overrides.yaml: 2 decisions: 0 ok, 2 moved, 0 stale\n"
    )


def test_overrides_edit_inside_segment_is_stale(project: Path, runner: CliRunner) -> None:
    invoke(runner, "code", "tr", "-c", "cb.yaml")
    invoke(runner, "override", "remove", "a:t0003", "idea")
    (project / "tr" / "a.txt").write_text(
        TRANSCRIPT.replace("came from Esther", "came from Esther's family"), encoding="utf-8"
    )
    status, _, stderr = invoke(runner, "code", "tr", "-c", "cb.yaml")
    assert status == 0
    assert stderr.startswith(
        "warning: overrides.yaml:4:3: a:t0003 idea: stale: the segment's text changed since the "
        "decision (was characters 77-103); nearest now: a:t0003; decide again (qca override "
        "add/remove or qca review), then delete this entry\n"
    )
    # Not applied, never dropped: the rules' coding stands and the entry is still in the file.
    assert "a:t0003,ideas,idea,auto,1" in codings(project)
    assert len(read_overrides(project / "overrides.yaml").decisions) == 1
    status, stdout, stderr = invoke(runner, "override", "check")
    assert (status, stdout) == (1, "")
    assert stderr.endswith("overrides.yaml: 1 decisions: 0 ok, 0 moved, 1 stale\n")
    assert "stale: the segment's text changed" in stderr


def test_overrides_check_code_left_codebook_and_segment_gone(
    project: Path, runner: CliRunner
) -> None:
    invoke(runner, "code", "tr", "-c", "cb.yaml")
    invoke(runner, "override", "remove", "a:t0003", "idea")
    invoke(runner, "override", "add", "a:t0005", "motivation")
    (project / "cb.yaml").write_text(
        CODEBOOK.replace("      idea:\n", "      new_idea:\n"), encoding="utf-8"
    )
    (project / "tr" / "a.txt").write_text(
        TRANSCRIPT.replace("Bo: Nothing to add.\n", ""), encoding="utf-8"
    )
    status, _, stderr = invoke(runner, "code", "tr", "-c", "cb.yaml")
    assert status == 0
    status, stdout, stderr = invoke(runner, "override", "check")
    assert (status, stdout) == (1, "")
    assert stderr == (
        "overrides.yaml:4:3: a:t0003 idea: stale: code 'idea' is not in the codebook; rename it "
        "here to a current code, or delete this entry\n"
        "overrides.yaml:12:3: a:t0005 motivation: stale: the segment no longer exists (was "
        "characters 150-165); nearest now: a:t0004; decide again (qca override add/remove or "
        "qca review), then delete this entry\n"
        "overrides.yaml: 2 decisions: 0 ok, 0 moved, 2 stale\n"
    )


def test_overrides_cli_list_and_stats(project: Path, runner: CliRunner) -> None:
    invoke(runner, "code", "tr", "-c", "cb.yaml")
    (project / "overrides.yaml").write_text(
        "# decisions\n"
        "- {segment: 'a:t0003', code: idea, action: remove, coder: ann, date: '2026-01-01', "
        "note: 'a place', hash: x}\n"
        "- {segment: 'a:t0004', code: idea, action: accept, coder: bo, date: 2026-01-02}\n"
        "- {segment: 'a:t0002', code: motivation, action: accept, coder: bo}\n"
        "- {segment: 'a:t0005', code: idea, action: add}\n",
        encoding="utf-8",
    )
    status, stdout, stderr = invoke(runner, "override", "list", "--code", "idea", "-f", "csv")
    assert (status, stderr) == (0, "")
    assert stdout == (
        "segment,code,action,coder,date,note,hash,start,end,excerpt\n"
        "a:t0003,idea,remove,ann,2026-01-01,a place,x,,,\n"
        "a:t0004,idea,accept,bo,2026-01-02,,,,,\n"
        "a:t0005,idea,add,,,,,,,\n"
    )
    status, stdout, stderr = invoke(runner, "override", "stats", "-f", "csv")
    assert (status, stderr) == (0, "")
    # The remove has a stale hash ('x'), so it does not count.
    assert stdout == (
        "theme,code,segments,reviewed,accepted,rejected,added,precision\n"
        "will,motivation,2,1,1,0,0,1.0\n"
        "ideas,idea,2,1,1,0,1,1.0\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- segment: a:t0001\n  code: [x\n",
            "overrides.yaml:3:1: not valid YAML (expected ',' or ']', but got '<stream end>'); "
            "fix the file by hand (nothing was changed)",
        ),
        (
            "segment: a:t0001\n",
            "overrides.yaml:1:1: expected a list of decisions (- segment: ID, code: CODE, action: "
            "add); put a '- ' before each entry",
        ),
        (
            "- segment: a:t0001\n  code: idea\n  action: delete\n  notes: x\n- just text\n",
            "overrides.yaml:4:3: [0].notes: unknown key 'notes'; did you mean 'note'? use: "
            "segment, code, action, coder, date, note, hash, start, end, excerpt\n"
            "overrides.yaml:3:11: [0].action: unknown action 'delete'; use add, remove or accept\n"
            "overrides.yaml:5:3: [1]: expected a decision with keys segment, code and action",
        ),
        (
            "- segment: t0001\n  code: idea\n  action: add\n- code: idea\n",
            "overrides.yaml:1:12: [0].segment: 't0001' is not a segment id (DOC:t0042); copy it "
            "from qca show or qca explain\n"
            "overrides.yaml:4:3: [1]: missing segment, action; every decision needs segment, code "
            "and action",
        ),
    ],
)
def test_overrides_malformed_file_names_line_and_changes_nothing(
    project: Path, runner: CliRunner, text: str, message: str
) -> None:
    invoke(runner, "code", "tr", "-c", "cb.yaml")
    path = project / "overrides.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OverrideError) as error:
        read_overrides("overrides.yaml")
    assert "\n".join(error.value.lines()) == message
    status, stdout, stderr = invoke(runner, "override", "add", "a:t0002", "motivation")
    assert (status, stdout, stderr) == (1, "", message + "\n")
    assert path.read_text(encoding="utf-8") == text
    status, _, stderr = invoke(runner, "code", "tr", "-c", "cb.yaml")
    assert (status, stderr) == (1, message + "\n")


def test_overrides_write_keeps_comments_and_creates_header(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text("# my own notes\n# second line\n[]\n", encoding="utf-8")
    add_decisions(path, [Decision("d:t0001", "idea", "add", coder="ann", date="2026-01-01")])
    add_decisions(path, [Decision("d:t0002", "idea", "remove", note="yes: no")])
    assert path.read_text(encoding="utf-8") == (
        "# my own notes\n# second line\n"
        "- segment: d:t0001\n  code: idea\n  action: add\n  coder: ann\n  date: '2026-01-01'\n"
        "- segment: d:t0002\n  code: idea\n  action: remove\n  note: 'yes: no'\n"
    )
    fresh = tmp_path / "new.yaml"
    add_decisions(fresh, [Decision("d:t0001", "idea", "accept")])
    assert fresh.read_text(encoding="utf-8").startswith("# Manual coding decisions")
    assert [d.action for d in read_overrides(fresh).decisions] == ["accept"]
    assert read_overrides(tmp_path / "missing.yaml").decisions == ()


def test_overrides_apply_semantics_last_decision_wins() -> None:
    segments = pd.DataFrame(
        {
            "doc_id": ["d", "d", "d"],
            "segment_id": ["d:t0001", "d:t0002", "d:t0003"],
            "text": ["one", "two", "three"],
        }
    )
    codings = pd.DataFrame(
        [
            ["d:t0001", "will", "motivation", "auto", 2],
            ["d:t0002", "will", "motivation", "auto", 1],
        ],
        columns=list(CODING_COLUMNS),
    )
    decisions = [
        Decision("d:t0001", "motivation", "remove", hash=text_hash("one")),
        Decision("d:t0001", "motivation", "accept", hash=text_hash("one")),
        Decision("d:t0002", "motivation", "remove"),
        Decision("d:t0003", "idea", "add", hash=text_hash("three")),
        Decision("d:t0003", "gone_code", "add"),
    ]
    result = apply_overrides(
        codings, decisions, segments=segments, themes={"motivation": "will", "idea": "ideas"}
    )
    assert result.values.tolist() == [
        ["d:t0001", "will", "motivation", "reviewed", 2],
        ["d:t0003", "ideas", "idea", "manual", 0],
    ]
    assert list(result.columns) == list(CODING_COLUMNS)


def test_overrides_check_table_statuses() -> None:
    segments = pd.DataFrame(
        {"doc_id": ["d", "d"], "segment_id": ["d:t0001", "d:t0002"], "text": ["new", "one"]}
    )
    decisions = [
        Decision("d:t0001", "idea", "add", hash=text_hash("one"), excerpt="one"),
        Decision("e:t0001", "idea", "add", hash="abc", excerpt="elsewhere"),
    ]
    from qca.overrides import Overrides

    table, problems = check_overrides(
        Overrides(Path("o.yaml"), tuple(decisions)), segments, ["idea"]
    )
    assert table.values.tolist() == [
        ["d:t0001", "idea", "add", "moved", "d:t0002", "one"],
        ["e:t0001", "idea", "add", "gone", "", "elsewhere"],
    ]
    assert [str(p) for p in problems][1] == (
        "o.yaml: e:t0001 idea: stale: document e is not in the output; code it again, or delete "
        "this entry"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("short  text\n", "short text"), ("x" * 70, "x" * 57 + "...")],
)
def test_overrides_excerpt_is_short(text: str, expected: str) -> None:
    assert excerpt(text) == expected


def test_overrides_explain_shows_the_decision(project: Path, runner: CliRunner) -> None:
    invoke(runner, "code", "tr", "-c", "cb.yaml")
    invoke(runner, "override", "remove", "a:t0003", "idea", "--note", "a place")
    invoke(runner, "code", "tr", "-c", "cb.yaml")
    status, stdout, _ = invoke(runner, "explain", "a:t0003", "--code", "idea")
    assert status == 0
    flat = " ".join(stdout.split())
    date = read_overrides(project / "overrides.yaml").decisions[0].date[:10]
    assert (
        "ideas / idea: not coded: 1 hit from term 'idea', but no coding (removed by an override "
        f"or dropped) [removed by ann on {date}: a place, overrides.yaml:4]"
    ) in flat
