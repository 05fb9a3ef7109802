"""Coding units keep the speaker exclusions (#15): no unit codes an interviewer's words.

At turn, sentence and paragraph unit, every segment lies in one turn and keeps its
speaker and interviewer flag, so coding drops it. At document unit the coded text
is the document with labels and excluded turns blanked, at exact offsets.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import qca
from qca.cli import app
from qca.codebook.read import read_codebook
from qca.coding import CodeOptions
from qca.ingest import IngestOptions, read_corpus
from qca.ingest.units import blank, coded_text
from qca.models import (
    CODE,
    DOC_ID,
    END,
    IS_INTERVIEWER,
    SEGMENT_ID,
    SPEAKER,
    START,
    TEXT,
    WORDS,
)
from tests.conftest import ROOT

TRANSCRIPTS = ROOT / "transcripts"
ESTHER = ROOT / "codebooks" / "esther.yaml"
PARTICIPANTS = TRANSCRIPTS / "participants.csv"

FOCUS_GROUP = (
    "Moderator: Tell me about the idea.\n"
    "\n"
    "Anna: One idea was the board. Another idea came later.\n"
    "\n"
    "Second paragraph of Anna's idea.\n"
    "Chair: The chair has an idea too.\n"
    "Bo: No idea. Really.\n"
)


@pytest.fixture
def focus_group(tmp_path: Path) -> Path:
    path = tmp_path / "fg.txt"
    path.write_text(FOCUS_GROUP, encoding="utf-8")
    return path


@pytest.mark.parametrize("unit", ["sentence", "paragraph"])
def test_ingest_units_split_per_turn_and_keep_speaker_flags(focus_group: Path, unit: str) -> None:
    turns = read_corpus([focus_group]).segments
    segments = read_corpus([focus_group], IngestOptions(unit=unit)).segments
    assert len(segments) > len(turns)
    for row in segments.itertuples(index=False):
        start, end = getattr(row, START), getattr(row, END)
        inside = turns[(turns[START] <= start) & (turns[END] >= end)]
        assert len(inside) == 1, (start, end)
        assert getattr(row, SPEAKER) == inside[SPEAKER].iloc[0]
        assert getattr(row, IS_INTERVIEWER) == inside[IS_INTERVIEWER].iloc[0]
    assert segments.groupby(SPEAKER)[WORDS].sum().to_dict() == (
        turns.groupby(SPEAKER)[WORDS].sum().to_dict()
    )


@pytest.mark.parametrize(
    ("options", "expected", "speaker"),
    [
        (
            IngestOptions(unit="document"),
            "One idea was the board. Another idea came later.\n\n"
            "Second paragraph of Anna's idea.\n"
            "       The chair has an idea too.\n"
            "    No idea. Really.",
            None,
        ),
        (
            IngestOptions(unit="document", exclude_speakers=("chair ",)),
            "One idea was the board. Another idea came later.\n\n"
            "Second paragraph of Anna's idea.\n"
            "                                 \n"
            "    No idea. Really.",
            None,
        ),
        (
            IngestOptions(unit="document", exclude_speakers=("Chair", "Bo")),
            "One idea was the board. Another idea came later.\n\nSecond paragraph of Anna's idea.",
            "Anna",
        ),
        (
            IngestOptions(unit="document", exclude_speakers=("Chair",), include_interviewer=True),
            FOCUS_GROUP.replace("Moderator:", "          ")
            .replace("Anna:", "     ")
            .replace("Chair:", "      ")
            .replace("Bo:", "   ")
            .strip(),
            None,
        ),
    ],
)
def test_ingest_units_document_blanks_labels_and_excluded_turns(
    focus_group: Path, options: IngestOptions, expected: str, speaker: str | None
) -> None:
    corpus = read_corpus([focus_group], options)
    text = corpus.documents[TEXT].iloc[0]
    (segment,) = corpus.segments.to_dict("records")
    assert segment[TEXT] == expected
    assert segment[END] - segment[START] == len(segment[TEXT])
    assert text[segment[START] : segment[END]].startswith(segment[TEXT].split()[0])
    assert segment[WORDS] == len(expected.split())
    assert (segment[SPEAKER] if isinstance(segment[SPEAKER], str) else None) == speaker
    assert not segment[IS_INTERVIEWER]


def test_ingest_units_document_of_only_excluded_turns_has_no_segment(tmp_path: Path) -> None:
    path = tmp_path / "only.txt"
    path.write_text("Interviewer: Hello?\nInterviewer: Anyone?\n", encoding="utf-8")
    corpus = read_corpus([path], IngestOptions(unit="document"))
    assert len(corpus.documents) == 1
    assert corpus.segments.empty


def test_ingest_units_document_survey_rows_are_not_blanked(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,text\nq,An idea: more staff.\nr2,Fine\n", encoding="utf-8")
    options = IngestOptions(unit="document", exclude_speakers=("r2",))
    segments = read_corpus([path], options).segments
    assert segments[[SEGMENT_ID, TEXT]].values.tolist() == [
        ["q:d0001", "An idea: more staff."],
        ["r2:d0001", "Fine"],
    ]


@pytest.mark.parametrize(
    ("piece", "expected"), [("", ""), ("a\n", " \n"), ("\n\tI: x\n\n", "\n     \n\n")]
)
def test_ingest_units_blank_keeps_line_ends(piece: str, expected: str) -> None:
    assert blank(piece) == expected
    assert len(coded_text(piece, [])) == len(piece)


def test_ingest_units_excluding_only_at_document_unit() -> None:
    turn = IngestOptions()
    assert turn.excluding(["Chair"], include_interviewer=False) is turn
    document = IngestOptions(unit="document")
    assert document.excluding(["Chair"], include_interviewer=False).exclude_speakers == ("Chair",)
    included = document.excluding(["Chair"], include_interviewer=True)
    assert (included.exclude_speakers, included.include_interviewer) == ((), True)


# --- the demo corpus: document unit codes what turn unit codes -------------------------


def _demo(unit: str, tmp_path: Path, **options: bool) -> qca.CodeResult:
    ingest = IngestOptions(participants=PARTICIPANTS)
    code_options = CodeOptions(ingest=ingest, unit=unit, cache=False, **options)
    return qca.code([TRANSCRIPTS], ESTHER, outdir=tmp_path / unit, options=code_options)


def _mentions(hits: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in hits.groupby(CODE).size().items()}


def test_ingest_demo_document_unit_codes_no_interviewer_words(tmp_path: Path) -> None:
    turn = _demo("turn", tmp_path)
    document = _demo("document", tmp_path)
    assert _mentions(document.hits) == _mentions(turn.hits)
    assert sum(_mentions(turn.hits).values()) == 200  # 203 before #18 counted overlaps once
    key = [DOC_ID, CODE, START, END]
    assert sorted(map(tuple, document.hits[key].values.tolist())) == sorted(
        map(tuple, turn.hits[key].values.tolist())
    )
    segments = turn.segments
    exclude = {s.lower() for s in read_codebook(ESTHER).exclude_speakers}
    excluded = segments[
        segments[IS_INTERVIEWER] | segments[SPEAKER].str.lower().isin(exclude).fillna(False)
    ]
    assert len(excluded) == 36
    for hit in document.hits.itertuples(index=False):
        same = excluded[excluded[DOC_ID] == getattr(hit, DOC_ID)]
        inside = (same[START] < getattr(hit, END)) & (same[END] > getattr(hit, START))
        assert not inside.any(), hit
    # per-1,000-word rates use the same words
    coded = segments.drop(excluded.index)
    assert int(document.segments[WORDS].sum()) == int(coded[WORDS].sum()) == 6114


def test_ingest_demo_document_unit_include_interviewer(tmp_path: Path) -> None:
    turn = _demo("turn", tmp_path, include_interviewer=True)
    document = _demo("document", tmp_path, include_interviewer=True)
    assert _mentions(document.hits) == _mentions(turn.hits)
    assert sum(_mentions(document.hits).values()) == 217  # 220 before #18


def test_ingest_code_cli_document_unit_same_mentions_as_turn(
    runner: CliRunner, tmp_path: Path
) -> None:
    tables = {}
    for unit in ("turn", "document"):
        out = tmp_path / unit
        args = ["code", str(TRANSCRIPTS), "--participants", str(PARTICIPANTS), "-c", str(ESTHER)]
        result = runner.invoke(app, [*args, "--unit", unit, "-d", str(out), "--no-cache"])
        assert result.exit_code == 0, result.stderr
        themes = runner.invoke(app, ["themes", "-d", str(out), "-m", "mentions,per_1000_words"])
        assert themes.exit_code == 0, themes.stderr
        tables[unit] = themes.stdout
    assert tables["document"] == tables["turn"]
    assert tables["turn"].startswith("theme,code,mentions,per_1000_words\nwill,,23,3.76\n")


def test_ingest_source_cache_keys_the_exclusions(tmp_path: Path, focus_group: Path) -> None:
    """A cached document-unit read is not reused when the codebook's exclusions change."""
    codebook = tmp_path / "cb.yaml"
    found = {}
    for exclude in ("[Chair]", "[]"):
        codebook.write_text(
            f"name: t\nlanguage: en\nexclude_speakers: {exclude}\n"
            "themes:\n  ideas:\n    codes:\n      idea:\n        terms: [idea]\n",
            encoding="utf-8",
        )
        options = CodeOptions(unit="document", cache_dir=tmp_path / "cache")
        result = qca.code([focus_group], codebook, options=options)
        found[exclude] = len(result.hits)
    assert found == {"[Chair]": 4, "[]": 5}


# --- a transcript with no speaker labels at all ----------------------------------------

SRT = "1\n00:00:01,000 --> 00:00:03,000\nWe had an idea.\n\n2\n00:00:03,500 --> 00:00:05,000\nIt worked.\n"
VTT_VOICES = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Anna>We had an idea.</v>\n"
NO_LABELS = (
    "warning: {path}: no speaker labels found, so no segment has a speaker; if speakers are "
    "marked, pass a regex matching the label at a line start, "
    "e.g. --speaker-pattern '^(?P<speaker>[A-Z]\\w+) -'\n"
)
NO_CUE_LABELS = (
    "warning: {path}: no speaker labels in the cues (no <v Name> voice tag or 'Name:' prefix), "
    "so no segment has a speaker; if speakers are marked, pass a regex matching the label at "
    "a cue's start, e.g. --speaker-pattern '^(?P<speaker>[A-Z]\\w+) -'\n"
)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("plain.txt", "We had an idea. It worked.\n\nThen it stopped.\n", NO_LABELS),
        ("whisper.srt", SRT, NO_CUE_LABELS),
        ("voices.vtt", VTT_VOICES, ""),
        ("survey.csv", "id,text\nr1,We had an idea.\n", ""),
        ("survey.jsonl", '{"id": "r1", "text": "We had an idea."}\n', ""),
        ("labelled.txt", "Anna: We had an idea.\nBo: It worked.\n", ""),
    ],
)
def test_ingest_ingest_cli_warns_when_no_speaker_labels(
    runner: CliRunner, tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(path), "-f", "csv"])
    assert result.exit_code == 0
    problems = result.stderr.split("┘\n", 1)[1]  # after the summary table
    assert problems == expected.format(path=path)


def test_ingest_speaker_pattern_that_matches_nothing(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("ANNA - We had an idea.\nBO - It worked.\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(path), "--speaker-pattern", "^(?P<speaker>\\w+):"])
    assert result.exit_code == 0
    assert result.stderr.split("┘\n", 1)[1] == (
        f"warning: {path}: --speaker-pattern matched no label at a line start, so no segment "
        "has a speaker; check the pattern against a labelled line of this file\n"
    )
    good = ["ingest", str(path), "--speaker-pattern", "^(?P<speaker>[A-Z]\\w+) -", "-f", "csv"]
    result = runner.invoke(app, good)
    assert result.exit_code == 0
    assert result.stderr.endswith("┘\n")
    assert [line.split(",")[3] for line in result.stdout.splitlines()[1:]] == ["ANNA", "BO"]


def test_ingest_speaker_pattern_that_matches_no_cue(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "whisper.srt"
    path.write_text(SRT, encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(path), "--speaker-pattern", "^(?P<speaker>\\w+):"])
    assert result.exit_code == 0
    assert result.stderr.split("┘\n", 1)[1] == (
        f"warning: {path}: --speaker-pattern matched no label at a cue's start, so no segment "
        "has a speaker; check the pattern against a labelled line of this file\n"
    )


def test_ingest_speaker_pattern_applies_to_caption_cues(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "dash.srt"
    path.write_text(SRT.replace("We had", "ANNA - We had").replace("It", "BO - It"), "utf-8")
    args = ["ingest", str(path), "--speaker-pattern", "^(?P<speaker>[A-Z]+) - ", "-f", "csv"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert result.stderr.endswith("┘\n")  # no warning
    rows = pd.read_csv(io.StringIO(result.stdout))
    assert rows[[SPEAKER, TEXT]].values.tolist() == [
        ["ANNA", "We had an idea."],
        ["BO", "It worked."],
    ]
