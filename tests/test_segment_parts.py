"""Tests of the cheap output writing in qca.coding: segments parts joined into segments.parquet."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qca.codebook import read_codebook
from qca.coding import CodeOptions, code, code_batches
from qca.ingest import iter_corpus
from qca.ingest.base import Batch, IngestOptions
from qca.models import SEGMENT_COLUMNS, SEGMENTS_FILE
from qca.overrides import Decision, add_decisions

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
"""

BASE_TYPES = {
    "doc_id": pa.large_string(),
    "segment_id": pa.large_string(),
    "unit": pa.large_string(),
    "speaker": pa.large_string(),
    "is_interviewer": pa.bool_(),
    "start": pa.int64(),
    "end": pa.int64(),
    "words": pa.int64(),
    "text": pa.large_string(),
}


@pytest.fixture
def mixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A transcript folder and two surveys whose extra columns differ (one all blank)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "a.txt").write_text(
        "Interviewer: Were you motivated?\n\nAnna: I was motivated. We had a new idea.\n",
        encoding="utf-8",
    )
    (tmp_path / "tr" / "b.txt").write_text(
        "Interviewer: And you?\n\nBo: Not motivated at all.\n", encoding="utf-8"
    )
    (tmp_path / "s1.csv").write_text(
        "id,text,site,age\ns1,A new idea.,north,41\ns2,So motivated.,,\n", encoding="utf-8"
    )
    (tmp_path / "s2.csv").write_text(
        "id,text,note\nt1,Motivated.,\nt2,An idea.,\n", encoding="utf-8"
    )
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    return tmp_path


def _plain(value: Any) -> Any:
    """Return *value* as pyarrow's to_pylist gives it back (NaN and NA are None)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _expected_rows(frames: list[pd.DataFrame], schema: pa.Schema) -> list[dict[str, Any]]:
    """Return the rows of *frames* in order, with every column of *schema* (absent: None)."""
    rows = []
    for frame in frames:
        for record in frame.to_dict("records"):
            row = {}
            for name in schema.names:
                value = _plain(record.get(name))
                if value is not None and pa.types.is_large_string(schema.field(name).type):
                    value = str(value)
                row[name] = value
            rows.append(row)
    return rows


def _batches(folder: Path) -> list[Batch]:
    return list(iter_corpus([folder / "tr", folder / "s1.csv", folder / "s2.csv"], IngestOptions()))


def test_outputs_speed_segments_file_equals_the_batches_with_mixed_columns(mixed: Path) -> None:
    batches = _batches(mixed)
    result = code(["tr", "s1.csv", "s2.csv"], "cb.yaml", outdir="out")
    table = pq.read_table(mixed / "out" / SEGMENTS_FILE)
    assert table.schema == pa.schema(
        [
            *BASE_TYPES.items(),
            ("age", pa.large_string()),
            ("note", pa.large_string()),
            ("site", pa.large_string()),
        ]
    )
    assert table.to_pylist() == _expected_rows([b.segments for b in batches], table.schema)
    # Row groups of ~4 MB of text, whatever the batches: one here.
    assert pq.ParquetFile(mixed / "out" / SEGMENTS_FILE).metadata.num_row_groups == 1
    assert list(result.segments.columns) == table.schema.names
    assert not list((mixed / "out").glob("*.arrow"))
    assert not list(mixed.glob(".out.*"))  # the temporary folder with the parts is gone


def test_outputs_speed_conflicting_and_null_only_columns_are_unified(mixed: Path) -> None:
    batches = _batches(mixed)
    first, second, third, fourth = batches
    ints = second.segments.assign(age=[41, 7], extra=np.array([None, None]))  # int64; null type
    assert pa.Table.from_pandas(ints, preserve_index=False).schema.field("extra").type == pa.null()
    floats = third.segments.assign(start_seconds=[1.5, math.nan])
    changed = [
        dataclasses.replace(first, segments=first.segments.assign(extra=None)),
        dataclasses.replace(second, segments=ints),
        # age: a string in this part
        dataclasses.replace(third, segments=floats.assign(age=np.array(["x", None]))),
        fourth,
    ]
    codebook = read_codebook(mixed / "cb.yaml")
    code_batches(changed, codebook, outdir=mixed / "out")
    table = pq.read_table(mixed / "out" / SEGMENTS_FILE)
    assert table.schema == pa.schema(
        [
            *BASE_TYPES.items(),
            ("age", pa.string()),  # int64 in one part, large_string in another
            ("extra", pa.string()),  # null in every part
            ("note", pa.large_string()),
            ("site", pa.large_string()),
            ("start_seconds", pa.float64()),
        ]
    )
    assert table.column("age").to_pylist() == [None, None, "41", "7", "x", None, None, None]
    assert table.column("extra").null_count == len(table)
    assert table.column("start_seconds").to_pylist() == [None] * 4 + [1.5] + [None] * 3
    frames = [b.segments for b in changed]
    expected = _expected_rows(frames, table.schema)
    for row in expected:
        row["age"] = None if row["age"] is None else str(row["age"])
    assert table.to_pylist() == expected
    assert pd.read_parquet(mixed / "out" / SEGMENTS_FILE).shape == (8, len(table.schema))


def test_outputs_speed_no_segments_writes_an_empty_table(mixed: Path) -> None:
    codebook = read_codebook(mixed / "cb.yaml")
    code_batches([], codebook, outdir=mixed / "out")
    table = pq.read_table(mixed / "out" / SEGMENTS_FILE)
    assert table.num_rows == 0
    assert table.schema.names == list(SEGMENT_COLUMNS)
    assert set(table.schema.types) == {pa.string()}


def test_outputs_speed_jobs_2_writes_the_same_files(mixed: Path) -> None:
    names = ("segments.parquet", "hits.parquet", "codings.parquet", "hits.csv", "codings.csv")
    outputs = []
    for jobs in (1, 2):
        out = mixed / f"out{jobs}"
        code(["tr", "s1.csv", "s2.csv"], "cb.yaml", outdir=out, options=CodeOptions(jobs=jobs))
        outputs.append([(out / name).read_bytes() for name in names])
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("cache", [True, False])
def test_outputs_speed_files_do_not_depend_on_batches_or_jobs(
    mixed: Path, monkeypatch: pytest.MonkeyPatch, cache: bool
) -> None:
    monkeypatch.setattr("qca.run.parts.ROW_GROUP_TEXT", 40)  # a row group per ~40 bytes of text
    names = ("segments.parquet", "hits.parquet", "codings.parquet", "hits.csv", "codings.csv")
    outputs = []
    for jobs, batch_chars in ((1, 1), (1, 10**6), (2, 1), (2, 10**6)):
        out = mixed / f"out{jobs}-{batch_chars}"
        options = CodeOptions(jobs=jobs, cache=cache)
        paths = ["tr", "s1.csv", "s2.csv"]
        code(paths, "cb.yaml", outdir=out, options=options, batch_chars=batch_chars)
        outputs.append([(out / name).read_bytes() for name in names])
    assert outputs[1:] == outputs[:1] * 3
    meta = pq.ParquetFile(mixed / "out1-1" / SEGMENTS_FILE).metadata
    # A row group ends at the row whose text reaches 40 bytes: 19 + 35, 8 + 21 + 11, the rest.
    assert [meta.row_group(n).num_rows for n in range(meta.num_row_groups)] == [2, 3, 3]


def test_outputs_speed_jobs_2_survey_first_gives_the_same_segments(
    mixed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The parent writes the survey's parts (one per row here), the workers the transcripts'
    # runs: in one folder, under names that never meet.
    monkeypatch.setattr("qca.ingest.surveys.CHUNK_ROWS", 1)
    paths = ["s1.csv", "tr", "s2.csv"]
    outputs = []
    for jobs in (1, 2):
        out = mixed / f"out{jobs}"
        code(paths, "cb.yaml", outdir=out, options=CodeOptions(jobs=jobs, cache=False))
        outputs.append((out / SEGMENTS_FILE).read_bytes())
    assert outputs[0] == outputs[1]
    assert pq.read_table(mixed / "out2" / SEGMENTS_FILE).column("doc_id").to_pylist() == [
        "s1",
        "s2",
        "a",
        "a",
        "b",
        "b",
        "t1",
        "t2",
    ]


def test_outputs_speed_overrides_read_the_parts(mixed: Path) -> None:
    overrides = mixed / "overrides.yaml"
    add_decisions(
        overrides,
        [
            Decision("t2:t0001", "motivation", "add", coder="ann", date="2026-01-01"),
            Decision("a:t0002", "idea", "remove", coder="ann", date="2026-01-01"),
        ],
    )
    result = code(
        ["tr", "s1.csv", "s2.csv"],
        "cb.yaml",
        outdir="out",
        options=CodeOptions(overrides=overrides),
    )
    rows = result.codings[["segment_id", "code", "source"]].values.tolist()
    assert ["t2:t0001", "motivation", "manual"] in rows
    assert [r for r in rows if r[0] == "a:t0002"] == [["a:t0002", "motivation", "auto"]]
    assert [str(p) for p in result.problems] == []


def test_segment_parts_hit_parts_on_disk_join_as_in_memory(tmp_path: Path) -> None:
    from qca.run.parts import HitParts

    kinds = pd.CategoricalDtype(["phrase", "term"])
    frames = [
        pd.DataFrame(
            {
                "doc_id": pd.Series(["a", "b"][:n], dtype="str"),
                "speaker": [None, "R"][:n] if n else pd.Series([], dtype=object),
                "rule_kind": pd.Categorical(["term", "phrase"][:n], dtype=kinds),
                "start_char": np.arange(n, dtype=np.int32),
                "negated": np.zeros(n, dtype=bool),
            }
        )
        for n in (2, 1)
    ]
    on_disk, in_memory = HitParts(tmp_path), HitParts(None)
    for frame in frames:
        on_disk.add(frame.copy())
        in_memory.add(frame.copy())
    assert len(list(tmp_path.iterdir())) == 2  # one file per batch, none kept in memory
    joined = on_disk.join()
    assert joined is not None
    pd.testing.assert_frame_equal(joined, in_memory.join(), check_exact=True)
    assert isinstance(joined["rule_kind"].dtype, pd.CategoricalDtype)
    assert joined["start_char"].dtype == np.int32
    assert not list(tmp_path.iterdir())  # the parts are gone: the folder becomes the output
    assert on_disk.join() is None
