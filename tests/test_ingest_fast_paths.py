"""The fast ingest paths give what the general ones give; the per-file pieces compose.

Survey tables (.csv/.xlsx) are built column-wise unless ``corpus.FAST_SURVEYS`` is
off; speaker labels are searched at line starts only; ``iter_corpus`` is
``find_sources`` + ``read_source`` + ``claim_doc_ids``.
"""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from qca.errors import IngestError
from qca.ingest import (
    Batch,
    IngestOptions,
    Sources,
    claim_doc_ids,
    corpus,
    find_sources,
    iter_corpus,
    read_source,
)
from qca.ingest.base import DEFAULT_INTERVIEWER_LABELS
from qca.ingest.roles import Roles
from qca.ingest.speakers import _LABEL, _line_matches, clean_speaker, role_key
from qca.models import UNITS

CSV_ROWS = (
    "id,comment,site,speaker,age\n"
    "X,clashes with the transcript's id,north,a,1\n"
    'r1,"  Café e\u0301 ",south,,2\n'
    "r1,a duplicate within the file,east,b,3\n"
    "r2,,west,c,4\n"
    ',"no id. Second sentence!\n\n\nParagraph two.",,d,5\n'
    "Interviewer 2,asked by an interviewer-like id,x,e,6\n"
    "q1,\u00a0 nbsp around \u00a0,y,f\n"
    "r3,short row\n"
    "r4,   \n"
)


def _write_inputs(folder: Path) -> list[Path]:
    """Write a transcript, two CSVs, a workbook and JSON Lines with every awkward case."""
    (folder / "t.md").write_text(
        "---\ndoc_id: X\nsite: north\n---\nI: Hello there.\nR: Hi. Dr. Who came.\n",
        encoding="utf-8",
    )
    (folder / "s1.csv").write_text(CSV_ROWS, encoding="utf-8")
    (folder / "s2.csv").write_text("id,comment,grp\nr1,dup across files,z\nr9,fine,w\n")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "comment", None, "score", "score"])
    sheet.append(["x1", "text one", "c", 1.5, 2])
    sheet.append([None, None, None])
    sheet.append(["x2", 42, None, None, True, "beyond the header"])
    sheet.append(["x1", "duplicate", "d"])
    sheet.append(["Moderator", "  spaced\n\nparagraphs.  ", "e", 3, 4])
    workbook.save(folder / "w.xlsx")
    records = [{"id": "j1", "text": "I: q\nR: a", "k": 1}, {"id": "r9", "text": "dup"}]
    (folder / "j.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (folder / "people.csv").write_text("doc_id,role\nX,lead\nr1,resp\nx2,\n", encoding="utf-8")
    return [folder / name for name in ("t.md", "s1.csv", "s2.csv", "w.xlsx", "j.jsonl")]


def _assert_batches_equal(left: list[Batch], right: list[Batch]) -> None:
    assert [b.source for b in left] == [b.source for b in right]
    for a, b in zip(left, right, strict=True):
        assert a.problems == b.problems
        assert dict(a.turn_counts) == dict(b.turn_counts)
        for frame_a, frame_b in ((a.documents, b.documents), (a.segments, b.segments)):
            assert list(frame_a.columns) == list(frame_b.columns)
            assert_frame_equal(frame_a, frame_b, check_exact=True)


def _read(paths: list[Path], options: IngestOptions) -> list[Batch]:
    return list(iter_corpus(paths, options))


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("participants", [False, True])
def test_ingest_speed_fast_surveys_equal_general_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unit: str, participants: bool
) -> None:
    paths = _write_inputs(tmp_path)
    options = IngestOptions(
        unit=unit,
        text_column="comment",
        participants=tmp_path / "people.csv" if participants else None,
    )
    fast = _read(paths, options)
    monkeypatch.setattr(corpus, "FAST_SURVEYS", False)
    general = _read(paths, options)
    _assert_batches_equal(fast, general)
    segments = pd.concat([b.segments for b in fast if len(b.segments)])
    assert "Interviewer 2" in set(segments.loc[segments["is_interviewer"], "speaker"])
    assert sum(len(b.documents) for b in fast) == 10


def test_ingest_speed_fast_surveys_equal_general_path_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("qca.ingest.surveys.CHUNK_ROWS", 3)
    paths = _write_inputs(tmp_path)
    options = IngestOptions(text_column="comment", id_column="id", unit="sentence")
    fast = _read(paths, options)
    monkeypatch.setattr(corpus, "FAST_SURVEYS", False)
    general = _read(paths, options)
    _assert_batches_equal(fast, general)
    assert [b.source.name for b in fast].count("s1.csv") == 4


def test_ingest_speed_claim_doc_ids_drops_documents_an_earlier_file_used(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text("---\ndoc_id: same\n---\nI: one\n", encoding="utf-8")
    second.write_text("---\ndoc_id: same\nextra: 1\n---\nI: two\n", encoding="utf-8")
    options = IngestOptions()
    sources = find_sources([tmp_path], options)
    used: dict[str, str] = {}
    batches = [
        claim_doc_ids(b, used) for p in sources.files for b in read_source(p, options, sources)
    ]
    assert used == {"same": str(first)}
    assert len(batches[1].documents) == 0
    assert len(batches[1].segments) == 0
    assert "extra" not in batches[1].documents.columns
    assert dict(batches[1].turn_counts) == {}
    assert [str(p) for p in batches[1].problems] == [
        f"{second}: doc_id 'same' is already used by {first}; "
        "rename the file or set doc_id in its front matter"
    ]


def test_ingest_speed_read_source_in_any_order_then_claim_in_input_order(
    tmp_path: Path,
) -> None:
    paths = _write_inputs(tmp_path)
    options = IngestOptions(text_column="comment", participants=tmp_path / "people.csv")
    sources = pickle.loads(pickle.dumps(find_sources(paths, options)))
    assert isinstance(sources, Sources)
    # As a worker pool would: read the files in another order, ship batches back pickled.
    read = {
        path: [pickle.loads(pickle.dumps(b)) for b in read_source(path, options, sources)]
        for path in reversed(sources.files)
    }
    used: dict[str, str] = {}
    composed = [claim_doc_ids(b, used) for path in sources.files for b in read[path]]
    _assert_batches_equal(composed, _read(paths, options))


def test_ingest_speed_find_sources_raises_as_iter_corpus(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(IngestError) as raised:
        find_sources([missing])
    assert raised.value.lines() == [f"{missing}: no such file or folder; check the path"]
    with pytest.raises(IngestError) as bad_unit:
        find_sources([tmp_path], IngestOptions(unit="line"))
    assert bad_unit.value.lines() == [
        "--unit: unknown unit 'line'; use one of: turn, sentence, paragraph, document"
    ]


def test_ingest_speed_read_source_reports_an_unreadable_file_as_a_batch(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    options = IngestOptions(strict=True)
    sources = find_sources([path], options)
    (batch,) = read_source(path, options, sources)
    assert batch.skipped
    assert [str(p) for p in batch.problems] == [
        f"{path}: file is empty; add the transcript text or remove the file"
    ]


LINE_PIECES = st.sampled_from(
    [
        "Dan: ",
        "I: ",
        "[Anna] ",
        "@Bo: ",
        "#00:01:02-3# ",
        "[00:01:02] ",
        "Mod (00:02): ",
        "Speaker 1  0:03",
        "2    ",
        "word ",
        "\n",
        "\n\n",
        "\t",
        " ",
        ":",
    ]
)


@settings(max_examples=150, deadline=None)
@given(text=st.lists(st.one_of(LINE_PIECES, st.text(max_size=4)), max_size=30).map("".join))
def test_ingest_speed_line_start_matches_equal_finditer(text: str) -> None:
    expected = [(m.span(), m.groups()) for m in _LABEL.finditer(text) if m.end() > m.start()]
    assert [(m.span(), m.groups()) for m in _line_matches(text)] == expected


@settings(max_examples=150, deadline=None)
@given(name=st.text(max_size=12))
def test_ingest_speed_clean_speaker_equals_regex(name: str) -> None:
    assert clean_speaker(name) == (re.sub(r"\s+", " ", name).strip() or None)


@settings(max_examples=150, deadline=None)
@given(
    labels=st.lists(st.sampled_from(["I ", " int2", "Q", "MOD 1", "İ", "Σ", "", "1"]), max_size=4),
    speakers=st.lists(
        st.one_of(st.sampled_from(["Int 3", " q", "İ", "i̇", "σ"]), st.text(max_size=6))
    ),
)
def test_ingest_speed_interviewer_flags_equal_role_key(
    labels: list[str], speakers: list[str]
) -> None:
    roles = Roles(IngestOptions(interviewer_labels=(*DEFAULT_INTERVIEWER_LABELS, *labels)))
    expected = [role_key(s) in roles.interviewers for s in speakers]
    assert roles.interviewer_flags(speakers) == expected
