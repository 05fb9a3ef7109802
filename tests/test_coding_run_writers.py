"""Speed work on the run around the engine (#9): the CSV writer, workers writing parts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.coding import CodeOptions, code

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


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two transcripts and a survey whose rows repeat a transcript's doc_id."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "a.txt").write_text("Anna: I was motivated.\n", encoding="utf-8")
    (tmp_path / "tr" / "b.txt").write_text("Bo: Motivating, not motivated.\n", encoding="utf-8")
    (tmp_path / "tr" / "s.csv").write_text(
        "id,text,site\nb,Motivated.,x\nc,We motivate.,y\n", encoding="utf-8"
    )
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("cache", [True, False])
def test_coding_speed4_jobs_2_parts_written_by_workers_give_the_same_files(
    corpus: Path, cache: bool
) -> None:
    written = {}
    for jobs in (1, 2):
        options = CodeOptions(jobs=jobs, cache=cache)
        result = code(["tr"], "cb.yaml", outdir=corpus / f"j{jobs}" / "out", options=options)
        assert result.manifest["counts"]["segments"] == 3
        written[jobs] = [
            (corpus / f"j{jobs}" / "out" / name).read_bytes()
            for name in ("hits.csv", "codings.csv", "hits.parquet", "segments.parquet")
        ]
    assert written[1] == written[2]
    assert written[2][1].decode() == (
        "segment_id,theme,code,source,hits\n"
        "a:t0001,will,motivation,auto,1\n"
        "b:t0001,will,motivation,auto,2\n"
        "c:t0001,will,motivation,auto,1\n"
    )


def test_coding_speed4_code_cli_jobs_2_matches_jobs_1(corpus: Path, runner: CliRunner) -> None:
    outputs = []
    for jobs in ("1", "2"):
        out = f"o{jobs}/out"
        result = runner.invoke(app, ["code", "tr", "-c", "cb.yaml", "-d", out, "--jobs", jobs])
        assert result.exit_code == 1  # the survey's row b is skipped
        assert result.stdout == ""
        unattributed = (
            "no speaker labels found, so no segment has a speaker; if speakers are marked, "
            "pass a regex matching the label at a line start, "
            "e.g. --speaker-pattern '^(?P<speaker>[A-Z]\\w+) -'"
        )
        assert result.stderr == (
            f"warning: tr/a.txt: {unattributed}\n"
            f"warning: tr/b.txt: {unattributed}\n"
            "tr/s.csv: row 1: doc_id 'b' is already used by tr/b.txt; "
            "give each row its own value in the id column (--id-column)\n"
            f"coded 3 documents, 3 segments, 10 words: 4 hits in 3 segments -> {out}\n"
            "theme / code  hits\n"
            "will             4\n"
            "  motivation     4\n"
            "skipped 1 file(s) (see above)\n"
        )
        outputs.append((corpus / out / "hits.csv").read_bytes())
    assert outputs[0] == outputs[1]


def test_hits_parquet_bytes_do_not_depend_on_the_batches_chunks(tmp_path: Path) -> None:
    """#16: a run's batches leave the hits' string columns in one Arrow chunk per batch, and
    past about 1 MB a column's parquet pages follow the chunks; hits.parquet is written from
    one chunk per column, the bytes pandas writes for the same rows in one piece."""
    import pandas as pd
    import pyarrow as pa

    from qca.run.write import write_hits_parquet

    rows = 120_000
    whole = pd.DataFrame(
        {
            "segment_id": [f"interview-{n // 40:05d}:t{n:06d}" for n in range(rows)],
            "match": [f"motivated by idea {n % 977}" for n in range(rows)],
            "start": range(rows),
        }
    )
    cuts = [n * rows // 7 for n in range(8)]  # seven batches
    parts = [whole.iloc[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    batches = pd.concat(parts, ignore_index=True)
    assert pa.Table.from_pandas(batches).column("segment_id").num_chunks == 7
    whole.to_parquet(tmp_path / "whole.parquet", index=False)
    batches.to_parquet(tmp_path / "pandas.parquet", index=False)
    write_hits_parquet(batches, tmp_path / "qca.parquet")
    expected = (tmp_path / "whole.parquet").read_bytes()
    assert (tmp_path / "pandas.parquet").read_bytes() != expected  # what the chunks did
    assert (tmp_path / "qca.parquet").read_bytes() == expected
