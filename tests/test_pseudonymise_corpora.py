"""Real transcripts written by others pseudonymise and come back byte for byte (skip when absent).

Uses ../shared/corpora (see its README.md) and data/real-transcripts/ (git-ignored; see
tests/test_ingest_real_transcripts.py for the files).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qca.pseudonymise import pseudonymise_files, reverse_files

REAL = Path(__file__).resolve().parent.parent / "data" / "real-transcripts"


def _round_trip(paths: list[Path], tmp_path: Path) -> tuple[dict[str, int], str]:
    key = tmp_path / "k.key"
    result = pseudonymise_files(paths, tmp_path / "out", key)
    assert [p for p in result.problems if p.is_error] == []
    written, problems = reverse_files([tmp_path / "out"], tmp_path / "back", key)
    assert problems == []
    assert len(written) == len(result.written) == len(paths)
    for path in paths:
        assert (tmp_path / "back" / path.name).read_bytes() == path.read_bytes(), path.name
    text = "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "out").iterdir()
    )
    return result.counts, text


@pytest.mark.corpus
def test_pseudonymise_corpora_pdpilot_interviewer_name_replaced(
    corpora: Path, tmp_path: Path
) -> None:
    folder = corpora / "maxqda-coded-interviews-pdpilot" / "pdftotext"
    paths = sorted(folder.glob("P*.txt"))
    counts, text = _round_trip(paths, tmp_path)
    # the interviewer's name is the only speaker name ("Participant:" is a role)
    assert counts == {"person": 416}
    assert "Dan:" not in text
    assert "Participant:" in text


@pytest.mark.corpus
def test_pseudonymise_corpora_qualcoder_office_files(corpora: Path, tmp_path: Path) -> None:
    folder = corpora / "qualcoder-examples"
    paths = [folder / n for n in ("ID1.docx", "survey789.xlsx", "survey456.csv", "transcript.txt")]
    _round_trip([p for p in paths if p.is_file()], tmp_path)


@pytest.mark.parametrize(
    "name",
    [
        "landgraf-altenpflege.md",
        "landgraf-jugendamt.md",
        "zosmf-interview-transcript-zosmf-sample100.md",
        "zosmf-zos-interview-transcripts.md",
    ],
)
def test_pseudonymise_real_transcripts_round_trip(name: str, tmp_path: Path) -> None:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    _round_trip([path], tmp_path)
