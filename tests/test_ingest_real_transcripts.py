"""Public interview transcripts written by others ingest with the right speakers.

The files are not in the repository; each test skips when its file is absent. To run
them, put the files in ``data/real-transcripts/`` (git-ignored) under these names:

- ``landgraf-altenpflege.md``, ``landgraf-jugendamt.md``: github.com/th-koeln-intia/ip-landgraf
  (commit 4a1b7bc), ``docs/pages/vorbereitung/interviews/{altenpflege,jugendamt}.md``
  (German, ``**Interviewer:**{: .text-yellow-000}`` then the text on the next line);
- ``zosmf-interview-transcript-zosmf-sample100.md``, ``zosmf-zos-interview-transcripts.md``:
  github.com/joshuapowell/coding-qualitative-data-from-an-interview-transcript (commit
  fc5212b), ``data/`` (``**Interviewer (I):**`` once, then ``**I:**``; nine respondents
  ``**R1:**`` ... ``**R9:**`` in one file).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qca.ingest import read_corpus

REAL = Path(__file__).resolve().parent.parent / "data" / "real-transcripts"


def _read(name: str) -> tuple[list[object], list[bool], list[str]]:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    segments = read_corpus([path]).segments
    speakers = [None if isinstance(s, float) else s for s in segments["speaker"]]
    return speakers, segments["is_interviewer"].tolist(), segments["text"].tolist()


@pytest.mark.parametrize(
    ("name", "turns"), [("landgraf-altenpflege.md", 76), ("landgraf-jugendamt.md", 92)]
)
def test_ingest_real_markdown_bold_labels_with_kramdown_classes(name: str, turns: int) -> None:
    speakers, interviewer, texts = _read(name)
    assert speakers[0] is None  # the page title before the first label
    assert speakers[1:] == ["Interviewer", "Befragte"] * (turns // 2)
    assert interviewer[1:] == [True, False] * (turns // 2)
    assert texts[1] == "Hallo."
    assert not any("{:" in text or "**" in text for text in texts[1:])


def test_ingest_real_interviewer_i_then_i_is_one_speaker() -> None:
    speakers, interviewer, texts = _read("zosmf-interview-transcript-zosmf-sample100.md")
    assert speakers[1:] == ["Interviewer", "Respondent"] * 11
    assert interviewer[1:] == [True, False] * 11
    assert texts[1].startswith("Thank you for participating in this interview.")


def test_ingest_real_numbered_respondents_stay_apart() -> None:
    speakers, interviewer, _ = _read("zosmf-zos-interview-transcripts.md")
    named = [s for s in speakers if s is not None]
    assert named.count("Interviewer") == 42
    # "Respondent (R1):" opens the first transcript, so R1 is Respondent; R2..R9 stay codes.
    assert sorted(set(named) - {"Interviewer"}) == [
        "R2",
        "R3",
        "R4",
        "R5",
        "R6",
        "R7",
        "R8",
        "R9",
        "Respondent",
    ]
    assert interviewer.count(True) == 42
