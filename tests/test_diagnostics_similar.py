"""`qca suggest --segments`: a model's second opinion, reviewed by a person, scored by agree (#22)."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.models import CODE, CODER, PRECISION, RECALL
from qca.models_diagnostics import MODEL_CODING_COLUMNS, QUEUE_COLUMNS, SCORE
from tests.test_diagnostics_stats import DATA, code_ward

#: The three turns about the car park that the rule ``parking`` misses (t0010, t0013, t0017);
#: the eight turns it codes all talk about the car park too, the other 13 about anything else.
CAR_PARK = {"parking:t0010", "parking:t0013", "parking:t0017"}
TRUST = (
    "parking: the model learnt from 24 segments of the run's codings, 8 in the code; 5-fold "
    "cross-validated at score >= 0.5: precision 0.57, recall 0.50, F1 0.53; average precision 0.58\n"
)


def code_parking(out: Path, *extra: str) -> Path:
    """Code the 24-turn parking transcript (parking: 8 segments, staff: 3) into *out*."""
    args = ["code", str(DATA / "parking.txt"), "-c", str(DATA / "parking.yaml"), "-d", str(out)]
    result = CliRunner().invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture
def parking(tmp_path: Path) -> Path:
    return code_parking(tmp_path / "out")


def _suggest(runner: CliRunner, *args: str) -> tuple[str, str]:
    result = runner.invoke(app, ["suggest", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout, result.stderr


def test_suggest_segments_ranks_alike_first(runner: CliRunner, parking: Path) -> None:
    """The uncoded car-park turns come first, above every turn about something else."""
    out, err = _suggest(runner, "--segments", "parking", "-d", str(parking), "-f", "csv")
    queue = pd.read_csv(io.StringIO(out), dtype={SCORE: float})
    assert tuple(queue.columns) == QUEUE_COLUMNS
    assert len(queue) == 16  # the 24 codable segments less the 8 coded parking
    assert set(queue["segment_id"].head(3)) == CAR_PARK
    assert queue[SCORE].iloc[2] > queue[SCORE].iloc[3]
    assert list(queue[SCORE]) == sorted(queue[SCORE], reverse=True)
    assert set(queue[CODE]) == {"parking"}
    assert queue["text"].iloc[0] == (
        "The car park was full again and there were no spaces near the door."
    )
    assert err == TRUST


def test_suggest_segments_gold_labels(runner: CliRunner, parking: Path, tmp_path: Path) -> None:
    """With --gold the model learns the human positives: the car-park turns among them."""
    gold = tmp_path / "gold.csv"
    seen = [f"parking:t{i:04d}" for i in range(1, 25)]
    positives = {f"parking:t{i:04d}" for i in (1, 2, 3, 5, 6, 10, 13)}
    rows = [(s, "Parking" if s in positives else "") for s in seen]
    gold.write_text("unit_id,code\n" + "".join(f"{s},{c}\n" for s, c in rows), encoding="utf-8")
    args = ["--segments", "parking", "-d", str(parking), "--gold", str(gold), "-f", "csv"]
    out, err = _suggest(runner, *args, "-n", "1")
    assert pd.read_csv(io.StringIO(out))["segment_id"].tolist() == ["parking:t0017"]
    assert err.startswith("parking: the model learnt from 24 segments of the gold labels, 7 in")


def test_suggest_segments_same_seed_same_output(runner: CliRunner, parking: Path) -> None:
    args = ["--segments", "parking", "-d", str(parking), "-f", "json"]
    first, _ = _suggest(runner, *args)
    again, _ = _suggest(runner, *args)
    assert first == again
    other = code_parking(parking.parent / "again")
    third, _ = _suggest(runner, "--segments", "parking", "-d", str(other), "-f", "json")
    assert third == first


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_suggest_segments_never_codes(
    runner: CliRunner, parking: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Suggesting changes no file of the run and no decision; coding again gives the same tables."""
    monkeypatch.chdir(tmp_path)
    before = _digests(parking)
    themes = runner.invoke(app, ["themes", "-d", str(parking), "-f", "csv"]).stdout
    _suggest(runner, "--segments", "parking", "-d", str(parking), "-o", "queue.csv")
    _suggest(runner, "--segments", "parking", "-d", str(parking), "--as-coder", "m", "-o", "m.csv")
    assert _digests(parking) == before
    assert not (tmp_path / "overrides.yaml").exists()
    assert runner.invoke(app, ["themes", "-d", str(parking), "-f", "csv"]).stdout == themes
    recoded = code_parking(tmp_path / "recoded")
    for name in ("codings.csv", "hits.csv"):
        assert (recoded / name).read_bytes() == (parking / name).read_bytes()


def test_suggest_segments_review_round_trip(
    runner: CliRunner, parking: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Accepting a suggestion in review adds the coding, with the reviewer as coder."""
    monkeypatch.chdir(tmp_path)
    _suggest(runner, "--segments", "parking", "-d", str(parking), "-n", "3", "-o", "queue.csv")
    queue = pd.read_csv("queue.csv")["segment_id"].tolist()
    review = ["review", "parking", "--queue", "queue.csv", "-d", str(parking), "--coder", "zoe"]
    result = runner.invoke(app, review, input="a\nr\nq\n")
    assert result.exit_code == 0, result.stderr
    assert "  suggested by the model, score " in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "parking: 2 of 3 segments have a decision; re-run qca code to update the tables"
    )
    listed = runner.invoke(app, ["override", "list", "-f", "csv"]).stdout
    decisions = list(csv.DictReader(io.StringIO(listed)))
    assert [(d["segment"], d["action"], d["coder"]) for d in decisions] == [
        (queue[0], "add", "zoe"),
        (queue[1], "remove", "zoe"),
    ]
    recoded = code_parking(tmp_path / "recoded", "--overrides", "overrides.yaml")
    codings = pd.read_csv(recoded / "codings.csv")
    parked = codings[codings[CODE] == "parking"]
    assert len(parked) == 9
    added = parked[parked["segment_id"] == queue[0]]
    assert added["source"].tolist() == ["manual"]
    assert queue[1] not in set(parked["segment_id"])
    again = runner.invoke(app, [*review, "--only-unreviewed"], input="q\n")
    assert again.stdout.splitlines()[0] == (
        "parking: 1 segments to review, 0 with a decision; decisions go to overrides.yaml"
    )


def test_suggest_segments_model_as_coder_in_agree(runner: CliRunner, parking: Path) -> None:
    """agree reads the model's table; against the run, it scores the cross-validated figures."""
    model = parking.parent / "model.csv"
    args = ["--segments", "parking", "-d", str(parking), "--as-coder", "model", "-o", str(model)]
    _, err = _suggest(runner, *args)
    table = pd.read_csv(model, dtype=str, keep_default_na=False)
    assert tuple(table.columns) == MODEL_CODING_COLUMNS
    assert len(table) == 24 and set(table[CODER]) == {"model"}
    coded = table[table[CODE] != ""]
    assert (coded[SCORE].astype(float) >= 0.5).all()
    assert (table.loc[table[CODE] == "", SCORE].astype(float) < 0.5).all()
    result = runner.invoke(
        app, ["agree", f"auto={parking}", f"model={model}", "--gold", "auto", "-f", "csv"]
    )
    assert result.exit_code == 0, result.stderr
    scored = pd.read_csv(io.StringIO(result.stdout)).set_index(CODE)
    assert scored.loc["parking", "units"] == 24
    # The model's coding is its out-of-fold predictions: agree measures what stderr said.
    assert (scored.loc["parking", PRECISION], scored.loc["parking", RECALL]) == (0.5714, 0.5)
    assert err == TRUST


def test_suggest_segments_threshold(runner: CliRunner, parking: Path) -> None:
    args = ["--segments", "parking", "-d", str(parking), "--as-coder", "m", "-f", "csv"]
    out, err = _suggest(runner, *args, "--threshold", "0")
    assert set(pd.read_csv(io.StringIO(out), keep_default_na=False)[CODE]) == {"parking"}
    assert "cross-validated at score >= 0: precision 0.33, recall 1.00" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--segments", "food"],
            "food: 3 units are in this code in the run's codings; the model needs at least 5 "
            "to learn from; code more units, or pass --gold LABELS\n",
        ),
        (
            ["--segments", "fod"],
            "no code 'fod' in {out}; choose one of: food, staff\n",
        ),
        (
            [],
            "name a code: qca suggest CODE (terms) or qca suggest --segments CODE (segments)\n",
        ),
        (
            ["food", "--segments", "food"],
            "name a code: qca suggest CODE (terms) or qca suggest --segments CODE (segments)\n",
        ),
        (
            ["food", "-n", "3"],
            "-n and --as-coder go with --segments CODE; add it, or leave them out\n",
        ),
        (
            ["--segments", "food", "-f", "yaml"],
            "--segments writes csv, json or table, not yaml; choose -f csv\n",
        ),
    ],
)
def test_suggest_segments_errors(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    coded = code_ward(tmp_path / "ward")
    result = runner.invoke(app, ["suggest", *args, "-d", str(coded)])
    assert result.exit_code == 1
    assert result.stderr == message.format(out=coded.as_posix())
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("positives", "message"),
    [
        (
            6,
            "parking: 1 unit is out of this code in the gold labels; the model needs at least 5 "
            "units out of it to learn from\n",
        ),
        (
            2,
            "parking: 2 units are in this code in the gold labels; the model needs at least 5 "
            "to learn from; label more units in the gold file\n",
        ),
    ],
)
def test_suggest_segments_too_few_gold_units(
    runner: CliRunner, parking: Path, tmp_path: Path, positives: int, message: str
) -> None:
    gold = tmp_path / "gold.csv"
    units = [f"parking:t{i:04d}" for i in range(1, 8)]
    rows = [f"{u},{'parking' if i < positives else ''}\n" for i, u in enumerate(units)]
    gold.write_text("unit_id,code\n" + "".join(rows), encoding="utf-8")
    args = ["suggest", "--segments", "parking", "-d", str(parking), "--gold", str(gold)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr == message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "code,segment_id\nstaff,parking:t0010\n",
            "{q}:2: this queue is for 'staff', not 'parking'; review it as qca review staff\n",
        ),
        (
            "code,segment_id\nparking,parking:t0099\n",
            "{q}:2: segment 'parking:t0099' is not in {out}; write the queue again from this "
            "folder\n",
        ),
        (
            "segment_id\nparking:t0010\n",
            "{q}: no code column; a review queue is what qca suggest --segments writes\n",
        ),
    ],
)
def test_review_queue_errors(
    runner: CliRunner, parking: Path, tmp_path: Path, content: str, message: str
) -> None:
    queue = tmp_path / "queue.csv"
    queue.write_text(content, encoding="utf-8")
    overrides = tmp_path / "overrides.yaml"
    args = ["review", "parking", "--queue", str(queue), "-d", str(parking)]
    result = runner.invoke(app, [*args, "--overrides", str(overrides)], input="a\n")
    assert result.exit_code == 1
    assert result.stderr == message.format(q=queue.as_posix(), out=parking.as_posix())
    assert not overrides.exists()


def test_review_queue_missing_file_says_so(
    runner: CliRunner, parking: Path, tmp_path: Path
) -> None:
    queue = tmp_path / "missing.csv"
    args = ["review", "parking", "--queue", str(queue), "-d", str(parking)]
    result = runner.invoke(app, [*args, "--overrides", str(tmp_path / "overrides.yaml")])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{queue.as_posix()}: cannot read this review queue (No such file or directory); "
        "write it with qca suggest --segments\n"
    )


def test_suggest_segments_document_gold(runner: CliRunner, tmp_path: Path) -> None:
    """Gold ids that are document ids (a survey, one comment per row): the model learns
    documents and scores their segments; a one-hot gold file names the code by its label."""
    turns = (DATA / "parking.txt").read_text(encoding="utf-8").splitlines()
    comments = [turn.partition(": ")[2] for turn in turns]
    survey = tmp_path / "survey.csv"
    with survey.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment", "Parking", "Staff"])
        for i, comment in enumerate(comments, start=1):
            writer.writerow([f"R{i:02d}", comment, int(i <= 8 or i in (10, 13)), 0])
    out = tmp_path / "out"
    code = ["code", str(survey), "--text-column", "comment", "--id-column", "id"]
    coded = runner.invoke(app, [*code, "-c", str(DATA / "parking.yaml"), "-d", str(out)])
    assert coded.exit_code == 0, coded.stderr
    args = ["--segments", "parking", "-d", str(out), "--gold", str(survey)]
    args += ["--id-column", "id", "--code-columns", "Parking..Staff", "-f", "csv", "-n", "3"]
    queue, err = _suggest(runner, *args)
    assert err.startswith("parking: the model learnt from 24 documents of the gold labels, 10 ")
    # R10 and R13: coded by no rule, gold positives (scored out-of-fold); R17: the third.
    first = pd.read_csv(io.StringIO(queue))
    assert first["segment_id"].tolist() == ["R10:t0001", "R13:t0001", "R17:t0001"]
    # The model as a coder beside the rules and the one-hot gold: --id-column is the gold
    # file's, the model's unit_id,code table keeps its own ids, --unit document pairs them
    # up, and the output folder's labels match the gold's Parking column to the code parking.
    model = tmp_path / "model.csv"
    _suggest(runner, *args[:-4], "--as-coder", "model", "-o", str(model))
    agree = ["agree", f"rules={out}", f"model={model}", f"human={survey}", "--id-column", "id"]
    agree += ["--code-columns", "Parking", "--gold", "human", "--unit", "document", "-f", "csv"]
    result = runner.invoke(app, agree)
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout))
    rows = table[table[CODE] == "parking"].set_index(CODER)
    assert rows.loc["rules", [PRECISION, RECALL]].tolist() == [1.0, 0.8]
    # the model's out-of-fold coding: what stderr reported (precision 0.90, recall 0.90)
    assert rows.loc["model", [PRECISION, RECALL]].tolist() == [0.9, 0.9]


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            # codes and segment ids hold no control characters (a lone \r is a line end
            # to pandas' CSV reader, and write_table does not quote it)
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12),
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20),
            st.one_of(st.just(""), st.floats(0, 1).map(lambda f: f"{f:.4f}")),
        ),
        max_size=8,
    ),
    suffix=st.sampled_from([".csv", ".json"]),
)
def test_review_read_queue_round_trip(
    rows: list[tuple[str, str, str]], suffix: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever codes, ids and scores a queue holds, written as qca writes a queue (csv or
    json), read_queue gives them back."""
    from qca.export import write_table
    from qca.review import read_queue

    frame = pd.DataFrame(rows, columns=[CODE, "segment_id", SCORE], dtype=str)
    path = tmp_path_factory.mktemp("queue") / f"queue{suffix}"
    write_table(frame, path, suffix.lstrip("."))
    assert read_queue(path) == [(c, s, x) for c, s, x in rows]


def test_suggest_segments_no_words(runner: CliRunner, tmp_path: Path) -> None:
    transcript = tmp_path / "dots.txt"
    transcript.write_text("Ann: ...\nBob: ?\n" * 6, encoding="utf-8")
    out = tmp_path / "out"
    args = ["code", str(transcript), "-c", str(DATA / "parking.yaml"), "-d", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    gold = tmp_path / "gold.csv"
    rows = [f"dots:t{i:04d},{'parking' if i <= 6 else ''}\n" for i in range(1, 13)]
    gold.write_text("unit_id,code\n" + "".join(rows), encoding="utf-8")
    args = ["suggest", "--segments", "parking", "-d", str(out), "--gold", str(gold)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr == (
        "parking: the units' texts hold no word of two or more letters to learn from; check "
        "that the segments (or the gold units) have text\n"
    )
