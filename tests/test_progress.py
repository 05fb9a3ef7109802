"""Progress over the input bytes (#18 item 8): a fake clock and sizes, no timings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.coding import code
from qca.ingest import IngestOptions, iter_corpus
from qca.progress import ByteProgress, ProgressState, chunk_bytes, format_seconds
from tests.conftest import ROOT

CODEBOOK = ROOT / "codebooks" / "esther.yaml"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_weighs_files_by_their_bytes() -> None:
    """One big file is most of the work: three small files done is 25%, not 75%."""
    clock = FakeClock()
    sizes = {"a.txt": 50, "b.txt": 50, "c.txt": 150, "big.docx": 750}
    progress = ByteProgress(sizes, clock=clock)
    for name in ("a.txt", "b.txt", "c.txt"):
        progress.read(name)
    clock.now += 10
    state = progress.state(segments=30, hits=4)
    assert state == ProgressState(250, 1000, 3, 4, 30, 4, 10.0)
    assert state.fraction == 0.25
    assert state.eta == 30.0  # 10 s for a quarter: 30 s for the rest
    progress.read("big.docx")
    clock.now += 30
    done = progress.state(segments=90, hits=9)
    assert (done.fraction, done.eta, done.files_done) == (1.0, 0.0, 4)


def test_progress_survey_chunks_advance_by_their_bytes_capped_at_the_size() -> None:
    clock = FakeClock()
    progress = ByteProgress({"t.txt": 100, "s.csv": 900}, clock=clock)
    progress.read("t.txt")
    progress.read("s.csv", 300)
    clock.now += 4
    state = progress.state(segments=1, hits=0)
    assert (state.done_bytes, state.files_done, state.fraction) == (400, 1, 0.4)
    assert state.eta == pytest.approx(6.0)
    progress.read("s.csv", 800)  # an estimate past the end stops at the file's size
    assert progress.state(segments=1, hits=0).done_bytes == 1000
    assert progress.state(segments=1, hits=0).files_done == 1  # not done until it ends
    progress.finish()
    assert progress.state(segments=1, hits=0).files_done == 2


def test_progress_next_file_finishes_the_survey_before_it() -> None:
    progress = ByteProgress({"s.csv": 900, "t.txt": 100}, clock=FakeClock())
    progress.read("s.csv", 10)
    progress.read("t.txt")
    state = progress.state(segments=0, hits=0)
    assert (state.done_bytes, state.files_done) == (1000, 2)
    progress.read("s.csv", 10)  # a late chunk of a finished file changes nothing
    assert progress.state(segments=0, hits=0).done_bytes == 1000


def test_progress_unknown_or_empty_totals() -> None:
    nothing = ByteProgress({}, clock=FakeClock())
    nothing.read("x.txt")
    state = nothing.state(segments=0, hits=0)
    assert (state.fraction, state.eta, state.files_done) == (None, None, 1)
    empty = ByteProgress({"a.txt": 0, "b.txt": 0}, clock=FakeClock())
    empty.read("a.txt")
    assert empty.state(segments=0, hits=0).fraction == 0.5  # files, when no bytes at all
    assert ByteProgress({"a.txt": 10}, clock=FakeClock()).state(segments=0, hits=0).eta is None


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "-:--:--"), (0.4, "0:00:00"), (59.6, "0:01:00"), (3725, "1:02:05")],
)
def test_progress_format_seconds(seconds: float | None, shown: str) -> None:
    assert format_seconds(seconds) == shown


def test_progress_chunk_bytes_counts_a_survey_chunk_and_not_a_transcript(tmp_path: Path) -> None:
    survey = tmp_path / "s.csv"
    survey.write_text("id,text,site\nr1,Hello café.,north\nr2,Hi.,\n", encoding="utf-8")
    (batch,) = iter_corpus([survey], IngestOptions())
    # r1 + "Hello café." (11 characters, 12 bytes) + north, r2 + "Hi."; one delimiter per
    # cell (3 columns x 2 rows)
    assert chunk_bytes(batch) == (2 + 12 + 5) + (2 + 3) + 6
    transcript = tmp_path / "t.txt"
    transcript.write_text("Anna: Hello.\n", encoding="utf-8")
    (batch,) = iter_corpus([transcript], IngestOptions())
    assert chunk_bytes(batch) is None


def test_progress_of_a_coding_run_reaches_the_total_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """qca.code reports the bytes of the files: a survey's chunks on the way, all at the end."""
    monkeypatch.setattr("qca.ingest.surveys.CHUNK_ROWS", 5)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Anna: We wanted motivation.\n", encoding="utf-8")
    rows = pd.DataFrame({"id": [f"r{n}" for n in range(20)], "text": ["A new idea."] * 20})
    rows.to_csv(folder / "b.csv", index=False)
    total = sum(p.stat().st_size for p in folder.iterdir())
    states: list[ProgressState] = []
    code([folder], CODEBOOK, progress=states.append)
    assert states[-1].done_bytes == states[-1].total_bytes == total
    assert states[-1].files_done == states[-1].total_files == 2
    done = [s.done_bytes for s in states]
    assert done == sorted(done)
    survey_size = (folder / "b.csv").stat().st_size
    between = {d for d in done if 0 < d - (total - survey_size) < survey_size}
    assert len(between) >= 3  # 4 chunks of 5 rows: the bar moved while the survey was read


def test_progress_nothing_on_stderr_off_a_terminal(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CliRunner's stderr is no terminal: the run prints its summary and no bar, however long."""
    import types

    import qca.cli.code as code_module

    ticks = iter(range(0, 10**6, 10))  # every reading of the clock is 10 s later
    fake_time = types.SimpleNamespace(monotonic=lambda: float(next(ticks)))
    monkeypatch.setattr(code_module, "time", fake_time)
    (tmp_path / "a.txt").write_text("I: Why?\nAnna: We wanted motivation.\n", encoding="utf-8")
    args = ["code", str(tmp_path / "a.txt"), "-c", str(CODEBOOK), "-d", str(tmp_path / "out")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert next(ticks) > 10  # the bar was asked to draw, past its one-second wait
    assert result.stderr.splitlines()[0] == (
        f"coded 1 documents, 2 segments, 4 words: 1 hits in 1 segments -> {tmp_path / 'out'}"
    )
    assert "ETA" not in result.stderr
    assert "\r" not in result.stderr
