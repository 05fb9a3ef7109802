"""Property: transcripts written in any convention of the label table ingest exactly.

Each convention of ``qca.ingest.labels.CONVENTIONS`` has a writer below; hypothesis
writes transcripts with random names, texts and times, and the segments must give
back the same speakers, texts and times, at exact offsets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qca.ingest import IngestOptions, read_corpus
from qca.ingest.labels import CONVENTIONS, NOT_SPEAKERS, ROLE_WORDS, Convention, stamp_seconds
from qca.ingest.speakers import detect_turns, label_spans
from tests.conftest import ROOT

# A turn as written: (name, text, seconds) -> the block's lines.
Writer = Callable[[str, str, int, int], str]


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


WRITERS: dict[str, Writer] = {
    "line-number": lambda name, text, s, i: f"{i + 2}    {name}: {text}",
    "time-before-label": lambda name, text, s, i: f"[{_hms(s)}] {name}: {text}",
    "sigil": lambda name, text, s, i: f"@{name}: {text}",
    "markdown-bold": lambda name, text, s, i: f"**{name}:**\n{text}",
    "zoom-header": lambda name, text, s, i: f"[{name}] {_hms(s)}\n{text}",
    "bracket": lambda name, text, s, i: f"[{name}] {text}",
    "otter-header": lambda name, text, s, i: f"{name}  {s // 60}:{s % 60:02d}\n{text}",
    "name-time": lambda name, text, s, i: f"{name} ({_hms(s)}): {text}",
    "name-role": lambda name, text, s, i: f"{name} ({name[:2].upper()}): {text}",
    "name-colon": lambda name, text, s, i: f"{name}: {text}",
    "name-tab": lambda name, text, s, i: f"{name}\t{text}",
    "name-dash": lambda name, text, s, i: f"{name} - {text}",
    "time-after-text": lambda name, text, s, i: f"{name}: {text} #{_hms(s)}-{s % 10}#",
    "markdown-heading": lambda name, text, s, i: f"{name}: {text}\n## Part {i}",
}
#: A line of each convention that some golden case tests/cases/ingest-speakers*/ must hold.
GOLDEN = {
    "line-number": r"^\d+ +Dan: ",
    "time-before-label": r"^\[00:00:05\] Moderator: ",
    "sigil": r"^#Anna: |^@\w+: ",
    "markdown-bold": r"^\*\*Interviewer \(I\):\*\*$",
    "zoom-header": r"^\[Maria Lopez\] 11:02:09$",
    "bracket": r"^\[Lina\] ",
    "otter-header": r"^Speaker 1  0:03$",
    "name-time": r"^Bo \(00:01:02\): ",
    "name-role": r"^Interviewer \(I\): ",
    "name-colon": r"^SARA LUND: ",
    "name-tab": r"^Nurse\t",
    "name-dash": r"^Per - ",
    "time-after-text": r" #00:00:05-2#$",
    "markdown-heading": r"^## Vorstellung des Teams$",
}
#: Where the writer's time lands: start_seconds, end_seconds, or nowhere.
TIMES = {
    "time-before-label": "start",
    "zoom-header": "start",
    "otter-header": "start",
    "name-time": "start",
    "time-after-text": "end",
}

NAMES = st.from_regex(r"[A-Z][a-z]{2,7}( [A-Z][a-z]{2,7})?", fullmatch=True).filter(
    lambda name: name.lower() not in NOT_SPEAKERS | ROLE_WORDS
)
# Text never starts with "word:" (that is a label, e.g. "i: ..." for the interviewer).
TEXTS = st.from_regex(
    r"[a-z]{1,8}( [a-z]{1,8}([ ,:.?!]{1,2}[a-z]{1,8}){0,7})?[.?!]?", fullmatch=True
)


def test_ingest_speaker_conventions_every_convention_has_a_writer() -> None:
    assert set(WRITERS) == {c.name for c in CONVENTIONS}


@pytest.mark.parametrize("convention", CONVENTIONS, ids=lambda c: c.name)
def test_ingest_speaker_conventions_are_documented_with_a_golden_case(
    convention: Convention,
) -> None:
    docs = (ROOT / "docs" / "ingest.md").read_text(encoding="utf-8")
    section = docs[docs.index("## Speaker conventions") :]
    assert f"| `{convention.name}` | `{convention.example.split(' / ')[0]}" in section.replace(
        "<TAB>", "\t"
    )
    cases = "".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "tests" / "cases").glob("ingest-speakers*/*")
        if path.suffix in (".txt", ".md")
    )
    assert re.search(GOLDEN[convention.name], cases, re.M), convention.name


@st.composite
def transcripts(draw: st.DrawFn) -> tuple[str, str, list[tuple[str, str, int]]]:
    convention = draw(st.sampled_from(sorted(WRITERS)))
    names = draw(st.lists(NAMES, min_size=2, max_size=4, unique_by=lambda n: n[:2].upper()))
    # Every speaker speaks at least once; the first two speak first.
    order = [*names[:2], *draw(st.lists(st.sampled_from(names), min_size=1, max_size=8))]
    order += [n for n in names if n not in order]
    texts = draw(st.lists(TEXTS, min_size=len(order), max_size=len(order)))
    gaps = draw(st.lists(st.integers(1, 400), min_size=len(order), max_size=len(order)))
    times = [sum(gaps[: i + 1]) for i in range(len(order))]
    turns = list(zip(order, texts, times, strict=True))
    separator = draw(st.sampled_from(["\n", "\n\n"]))
    write = WRITERS[convention]
    document = separator.join(write(n, t, s, i) for i, (n, t, s) in enumerate(turns)) + "\n"
    return convention, document, turns


@pytest.mark.parametrize("unit", ["turn"])
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=transcripts())
def test_ingest_speaker_conventions_round_trip(
    tmp_path: Path, unit: str, case: tuple[str, str, list[tuple[str, str, int]]]
) -> None:
    convention, document, turns = case
    path = tmp_path / "doc.txt"
    path.write_text(document, encoding="utf-8", newline="")
    corpus = read_corpus([path], IngestOptions(unit=unit))
    text = corpus.documents["text"].iloc[0]
    segments = corpus.segments
    starts, ends = segments["start"].tolist(), segments["end"].tolist()
    for start, end, piece in zip(starts, ends, segments["text"], strict=True):
        assert text[start:end] == piece
    assert all(a <= b for a, b in zip(ends, starts[1:], strict=False))
    assert segments["speaker"].tolist() == [name for name, _, _ in turns]
    assert segments["text"].tolist() == [body.strip() for _, body, _ in turns]
    where = TIMES.get(convention)
    if where is None:
        assert "start_seconds" not in segments.columns
    else:
        expected = [float(s) for _, _, s in turns]
        if convention == "time-after-text":
            expected = [stamp_seconds(f"#{_hms(s)}-{s % 10}#") for _, _, s in turns]
        assert segments[f"{where}_seconds"].tolist() == expected


@settings(max_examples=60, deadline=None)
@given(case=transcripts(), prose=st.lists(TEXTS, max_size=3))
def test_ingest_speaker_conventions_turns_cover_the_text(
    case: tuple[str, str, list[tuple[str, str, int]]], prose: list[str]
) -> None:
    _, document, _ = case
    document = "\n".join(prose) + "\n\n" + document if prose else document
    turns = detect_turns(document)
    for turn, following in zip(turns, turns[1:], strict=False):
        assert turn.label_start <= turn.start <= turn.end <= following.label_start
    covered = {i for t in turns for i in range(t.start, t.end)}
    covered |= {i for start, end in label_spans(document) for i in range(start, end)}
    assert all(document[i].isspace() for i in range(len(document)) if i not in covered)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # f4 with a no-break space after the stamp, and names with a slash (issue #15)
        (
            "#00:00:07-8#\u00a0I: Frage?\n#00:00:09-1#\u00a0Befragte/r: Antwort.\n",
            [("I", "Frage?", 7.8), ("Befragte/r", "Antwort.", 9.1)],
        ),
        # a stamp alone on a line goes on with the same speaker
        ("Anna: a\n#00:00:09-1#\nb\n", [("Anna", "a", None), ("Anna", "b", 9.1)]),
        # a lone Name (role): counts when its role pairs with a later code
        (
            "Anna (I): a\nBo: b\nI: c\n",
            [("Anna", "a", None), ("Bo", "b", None), ("Anna", "c", None)],
        ),
        # ToDo: above a **Name:** transcript is text
        (
            "ToDo: x\n**Anna:** a\n**Bo:** b\n",
            [(None, "ToDo: x", None), ("Anna", "a", None), ("Bo", "b", None)],
        ),
        # a lower-case phrase that recurs is no label; a one-word id is
        ("so yes: a\nso yes: b\n", [(None, "so yes: a\nso yes: b", None)]),
        (
            "[id1] a\n[id2] b\n[id1] c\n",
            [("id1", "a", None), ("id2", "b", None), ("id1", "c", None)],
        ),
    ],
)
def test_ingest_speaker_conventions_examples(
    text: str, expected: list[tuple[str | None, str, float | None]]
) -> None:
    turns = detect_turns(text)
    found = [(t.speaker, text[t.start : t.end].strip(), t.start_seconds) for t in turns]
    assert found == expected


def test_ingest_speaker_conventions_role_makes_an_interviewer(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("Anna (I): How?\nBo (R): Well.\nI: And?\n", encoding="utf-8")
    segments = read_corpus([path]).segments
    assert segments["speaker"].tolist() == ["Anna", "Bo", "Anna"]
    assert segments["is_interviewer"].tolist() == [True, False, True]
