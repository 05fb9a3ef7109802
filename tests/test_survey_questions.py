"""Several --text-column options: one segment per answer, with a question column (#18 item 5).

Also the participants sheet: its columns named like qca's own get the attr_ prefix.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from typer.testing import CliRunner

from qca.cli import app
from qca.errors import IngestError
from qca.ingest import Batch, IngestOptions, corpus, find_sources, iter_corpus
from qca.ingest.questions import SEPARATOR, join_answers
from qca.models import QUESTION, UNITS
from qca.project import read_project
from tests.test_rematch import assert_same_outputs

CASE = Path(__file__).parent / "cases" / "code-survey-two-questions"
SURVEY = (
    "id,q1,q2,question,ward\n"
    "r1,The nurses were kind. Very kind.,Less wait at night.,old,A\n"
    'r2,,"The delay was long.\n\nStaff were friendly.",old,B\n'
    "r3,,,old,A\n"
    "r1,a duplicate id,again,old,B\n"
    ",no id here,   ,,C\n"
    "r4,  Friendly porters  ,\u00a0,new,A\n"
)


def _inputs(folder: Path) -> list[Path]:
    """A CSV, a workbook and JSON Lines with two text columns and awkward rows."""
    (folder / "s.csv").write_text(SURVEY, encoding="utf-8")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "q1", "q2", "ward"])
    sheet.append(["x1", "Kind. Quick.", 42, "A"])
    sheet.append(["x2", None, "Only the second.", None])
    sheet.append(["x3", None, None, "B"])
    workbook.save(folder / "w.xlsx")
    lines = [{"id": "j1", "q1": "One.", "q2": "Two."}, {"id": "j2", "q2": "Second only."}]
    (folder / "j.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    (folder / "people.csv").write_text("doc_id,code\nr1,P1\nx1,P2\n", encoding="utf-8")
    return [folder / name for name in ("s.csv", "w.xlsx", "j.jsonl")]


def _assert_batches_equal(left: list[Batch], right: list[Batch]) -> None:
    assert [b.source for b in left] == [b.source for b in right]
    for a, b in zip(left, right, strict=True):
        assert a.problems == b.problems
        assert dict(a.turn_counts) == dict(b.turn_counts)
        for frame_a, frame_b in ((a.documents, b.documents), (a.segments, b.segments)):
            assert list(frame_a.columns) == list(frame_b.columns)
            assert_frame_equal(frame_a, frame_b, check_exact=True)


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("participants", [False, True])
def test_survey_questions_fast_path_equals_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unit: str, participants: bool
) -> None:
    monkeypatch.setattr("qca.ingest.surveys.CHUNK_ROWS", 2)
    paths = _inputs(tmp_path)
    options = IngestOptions(
        unit=unit,
        text_column=("q1", "q2"),
        participants=tmp_path / "people.csv" if participants else None,
    )
    fast = list(iter_corpus(paths, options))
    monkeypatch.setattr(corpus, "FAST_SURVEYS", False)
    general = list(iter_corpus(paths, options))
    _assert_batches_equal(fast, general)
    segments = pd.concat([b.segments for b in fast if len(b.segments)])
    assert QUESTION in segments.columns
    if unit == "document":
        assert segments[QUESTION].isna().all()
    else:
        assert set(segments[QUESTION]) == {"q1", "q2"}


def test_survey_questions_segments_ids_offsets_and_questions(tmp_path: Path) -> None:
    paths = _inputs(tmp_path)
    batches = list(iter_corpus(paths[:1], IngestOptions(text_column=["q1", "q2"])))
    documents = pd.concat([b.documents for b in batches])
    segments = pd.concat([b.segments for b in batches])
    rows = segments[["segment_id", "question", "start", "end", "text", "attr_question"]]
    assert rows.fillna("-").values.tolist() == [
        ["r1:t0001", "q1", 0, 32, "The nurses were kind. Very kind.", "old"],
        ["r1:t0002", "q2", 34, 53, "Less wait at night.", "old"],
        ["r2:t0001", "q2", 0, 41, "The delay was long.\n\nStaff were friendly.", "old"],
        ["s-5:t0001", "q1", 0, 10, "no id here", "-"],
        ["r4:t0001", "q1", 2, 18, "Friendly porters", "new"],
    ]
    text = dict(zip(documents["doc_id"], documents["text"], strict=True))
    assert text["r1"] == "The nurses were kind. Very kind." + SEPARATOR + "Less wait at night."
    for doc_id, start, end, piece in segments[["doc_id", "start", "end", "text"]].values:
        assert text[doc_id][start:end] == piece
    problems = [str(p) for b in batches for p in b.problems]
    assert problems == [
        f"{paths[0]}: column 'question' has the name of a qca column; it is kept as "
        "'attr_question' (rename it in the file to choose another name)",
        f"{paths[0]}: 1 row(s) with every text column empty ('q1', 'q2') were skipped",
        f"{paths[0]}: row 4: doc_id 'r1' is already used by {paths[0]}; "
        "give each row its own value in the id column (--id-column)",
    ]


def test_survey_questions_one_column_keeps_its_outputs(tmp_path: Path) -> None:
    """One --text-column (a string or a one-item list) gives no question column."""
    paths = _inputs(tmp_path)
    as_list = list(iter_corpus(paths[:1], IngestOptions(text_column=["q1"])))
    as_text = list(iter_corpus(paths[:1], IngestOptions(text_column="q1")))
    _assert_batches_equal(as_list, as_text)
    assert QUESTION in as_text[0].segments.columns  # the file's own column, not renamed
    assert IngestOptions(text_column=["q1"]).text_column == "q1"


def test_survey_questions_a_column_given_twice_is_an_error(tmp_path: Path) -> None:
    paths = _inputs(tmp_path)
    with pytest.raises(IngestError) as raised:
        find_sources(paths, IngestOptions(text_column=("q1", "q2", "q1")))
    assert raised.value.lines() == [
        "--text-column: column 'q1' is given twice; give each text column once"
    ]


ANSWERS = st.sampled_from(["", "  ", "\u00a0", "Yes.", "No. Maybe!", "a\n\nb", " x ", "é"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(ANSWERS, ANSWERS, ANSWERS), min_size=1, max_size=6))
def test_survey_questions_any_rows_give_answer_segments(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str, str]]
) -> None:
    """Each answer's segments lie inside it, name its column, and both paths agree."""
    folder = tmp_path_factory.mktemp("rows")
    frame = pd.DataFrame(rows, columns=["a", "b", "c"])
    frame.insert(0, "id", [f"r{n}" for n in range(len(rows))])
    path = folder / "s.csv"
    frame.to_csv(path, index=False)
    for unit in ("turn", "sentence"):
        options = IngestOptions(unit=unit, text_column=("c", "a"))
        fast = list(iter_corpus([path], options))
        corpus.FAST_SURVEYS = False
        try:
            general = list(iter_corpus([path], options))
        finally:
            corpus.FAST_SURVEYS = True
        _assert_batches_equal(fast, general)
        segments = pd.concat([b.segments for b in fast])
        answered = {
            (i, q) for i, row in frame.iterrows() for q in ("a", "c") if str(row[q]).strip()
        }
        if segments.empty:  # no answer at all: no segment, no attribute column
            assert not answered
            continue
        for doc_id, question, piece in segments[["doc_id", "question", "text"]].values:
            answer = dict(zip(frame["id"], frame[question], strict=True))[doc_id]
            assert piece in answer
        assert {(int(d[1:]), q) for d, q in segments[["doc_id", "question"]].values} == answered
        for doc_id, ids in segments.groupby("doc_id")["segment_id"]:
            letter = "t" if unit == "turn" else "s"
            assert ids.tolist() == [f"{doc_id}:{letter}{n:04d}" for n in range(1, len(ids) + 1)]


@given(st.lists(st.tuples(st.sampled_from(["q1", "q2", "q3"]), st.text(max_size=8)), max_size=5))
def test_survey_questions_join_answers_parts_slice_the_text(
    answers: list[tuple[str, str]],
) -> None:
    text, parts = join_answers(answers)
    kept = [(q, t) for q, t in answers if t and not t.isspace()]
    assert [(q, text[start:end]) for start, end, q in parts] == kept
    assert text == SEPARATOR.join(t for _, t in kept)


# --- the CLI ---------------------------------------------------------------------


def test_survey_questions_cli_ingest(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,q1,q2\nr1,Yes.,No.\nr2,,Maybe.\n", encoding="utf-8")
    args = ["ingest", str(path), "--text-column", "q1", "--text-column", "q2", "-f", "csv"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "doc_id,segment_id,unit,speaker,is_interviewer,start,end,words,text,question",
        "r1,r1:t0001,turn,r1,False,0,4,1,Yes.,q1",
        "r1,r1:t0002,turn,r1,False,6,9,1,No.,q2",
        "r2,r2:t0001,turn,r2,False,0,6,1,Maybe.,q2",
    ]
    result = runner.invoke(app, [*args[:-3], "q3", "-f", "csv"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"{path}:1: no column 'q3' (--text-column); the columns are: id, q1, q2; "
        "pass one of them with --text-column"
    )
    result = runner.invoke(app, [*args[:-2], "--text-column", "q1"])
    assert result.exit_code == 1
    assert result.stderr == (
        "--text-column: column 'q1' is given twice; give each text column once\n"
    )


def test_survey_questions_qca_yaml_list_and_themes_by_question(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "survey.csv").write_bytes((CASE / "survey.csv").read_bytes())
    (tmp_path / "codebook.yaml").write_bytes((CASE / "codebook.yaml").read_bytes())
    (tmp_path / "qca.yaml").write_text(
        "codebook: codebook.yaml\ntranscripts: [survey.csv]\ntext_column: [improve, liked]\n",
        encoding="utf-8",
    )
    assert read_project(tmp_path / "qca.yaml").text_column == ("improve", "liked")
    result = runner.invoke(app, ["code"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "qca-out" / "hits.csv").read_text() == (
        CASE / "expected_hits.csv"
    ).read_text()
    result = runner.invoke(app, ["themes", "--by", "question", "-m", "segments", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "theme,code,question,segments",
        "staff,,improve,1",
        "staff,,liked,2",
        "staff,,(total),3",
        "staff,kindness,improve,1",
        "staff,kindness,liked,2",
        "staff,kindness,(total),3",
        "waiting,,improve,2",
        "waiting,,liked,0",
        "waiting,,(total),2",
        "waiting,delay,improve,2",
        "waiting,delay,liked,0",
        "waiting,delay,(total),2",
    ]


def test_survey_questions_qca_yaml_text_column_of_the_wrong_type(tmp_path: Path) -> None:
    (tmp_path / "qca.yaml").write_text("text_column: {a: 1}\n", encoding="utf-8")
    with pytest.raises(Exception) as raised:
        read_project(tmp_path / "qca.yaml")
    assert str(raised.value) == (
        f"{tmp_path / 'qca.yaml'}:1:14: text_column: expected a column name or a list of them"
    )


@pytest.mark.parametrize("extra", [[], ["--jobs", "2"]])
def test_survey_questions_cached_and_edited_reruns_equal_cold_runs(
    runner: CliRunner, tmp_path: Path, extra: list[str]
) -> None:
    """Warm cache, an edited codebook (re-matched) and --jobs write what a cold run writes."""
    survey = str(CASE / "survey.csv")
    columns = ["--text-column", "improve", "--text-column", "liked", *extra]
    edited = tmp_path / "edited.yaml"
    text = (CASE / "codebook.yaml").read_text(encoding="utf-8")
    edited.write_text(text.replace("[wait, delay]", "[wait, delay, night]"), encoding="utf-8")
    said = []
    for book, again in (
        (CASE / "codebook.yaml", []),
        (CASE / "codebook.yaml", ["--force"]),
        (edited, []),
    ):
        out, cold = tmp_path / "out", tmp_path / f"cold-{book.stem}"
        args = ["code", survey, "-c", str(book), "-d", str(out), *columns, *again]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        said.append(result.stderr)
        args = ["code", survey, "-c", str(book), "-d", str(cold), "--no-cache", *columns]
        assert runner.invoke(app, args).exit_code == 0
        assert_same_outputs(out, cold)
    if not extra:  # --jobs records no corpus token file (qca.rematch): a full run
        assert "codebook edited: re-matched 1 of 2 codes" in said[-1]
    assert "night" in (tmp_path / "out" / "hits.csv").read_text()


def test_survey_questions_participants_clash_is_prefixed_once(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.txt").write_text("I: Why?\nAnna: We wanted motivation.\n")
    (tmp_path / "t" / "b.txt").write_text("I: Why?\nBo: A new idea.\n")
    (tmp_path / "p.csv").write_text("speaker,code,hits\nAnna,P1,3\nBo,P2,4\n")
    codebook = str(Path(__file__).parent.parent / "codebooks" / "esther.yaml")
    result = runner.invoke(app, ["code", "t", "--participants", "p.csv", "-c", codebook])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:2] == [
        "warning: p.csv: column 'code' has the name of a qca column; it is kept as "
        "'attr_code' (rename it in the file to choose another name)",
        "warning: p.csv: column 'hits' has the name of a qca column; it is kept as "
        "'attr_hits' (rename it in the file to choose another name)",
    ]
    assert result.stderr.count("warning:") == 2
    result = runner.invoke(app, ["themes", "--by", "attr_code", "-m", "mentions", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:4] == [
        "theme,code,attr_code,mentions",
        "will,,P1,1",
        "will,,P2,0",
        "will,,(total),1",
    ]
    # The sheet is no input: a re-run with nothing changed is up to date.
    result = runner.invoke(app, ["code", "t", "--participants", "p.csv", "-c", codebook])
    assert result.exit_code == 0
    assert "is up to date" in result.stderr


COLUMN_NAMES = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(COLUMN_NAMES, st.lists(COLUMN_NAMES, min_size=1, max_size=4)))
def test_survey_questions_qca_yaml_text_column_any_names(
    tmp_path_factory: pytest.TempPathFactory, value: str | list[str]
) -> None:
    """qca.yaml's text_column: a string stays a string, a list becomes a tuple, as written."""
    import yaml

    folder = tmp_path_factory.mktemp("project")
    path = folder / "qca.yaml"
    path.write_text(yaml.safe_dump({"text_column": value}, allow_unicode=True), encoding="utf-8")
    expected = value if isinstance(value, str) else tuple(value)
    assert read_project(path).text_column == expected


OWN_OR_NOT = st.sampled_from(["code", "theme", "hits", "mentions", "rule", "role", "site", "x"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(OWN_OR_NOT, min_size=1, max_size=5, unique=True))
def test_survey_questions_participants_columns_any_clash(
    tmp_path_factory: pytest.TempPathFactory, names: list[str]
) -> None:
    """Each participants column named like a qca column gets attr_, one warning each."""
    from qca.ingest.frames import RESERVED
    from qca.ingest.participants import read_participants

    path = tmp_path_factory.mktemp("people") / "p.csv"
    path.write_text("doc_id," + ",".join(names) + "\nd1" + ",v" * len(names) + "\n")
    read = read_participants(path, RESERVED, rename=())
    own = {"code", "theme", "hits", "mentions", "rule"}
    assert read.attributes == sorted(f"attr_{n}" if n in own else n for n in names)
    assert [p.message.split("'")[1] for p in read.problems] == [n for n in names if n in own]
    assert read_participants(path, RESERVED).attributes == sorted(names)  # rename=None
