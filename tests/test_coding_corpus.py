"""Coding the real PDPilot interviews: hit counts equal an independent regex count."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qca.codebook import read_codebook
from qca.engine.hits import code_segments
from qca.ingest import read_corpus

#: code -> (term, every surface form a plain regex counts for it).
#: Documented differences (docs/coding.md): a term also matches every word the lookup
#: table lemmatises to it (listed here as the inflected forms), and only those: a plural
#: the table does not know ("PDPs") is not matched by the term "pdp" (write "pdp*").
WORDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "plot": ("plot", ("plot", "plots", "plotted", "plotting")),
    "feature": ("feature", ("feature", "features", "featured")),
    "interaction": ("interaction", ("interaction", "interactions")),
    "ice": ("ice", ("ice",)),
    "pdp": ("pdp", ("pdp",)),
    "average": ("average", ("average", "averages", "averaged", "averaging")),
}


@pytest.mark.corpus
def test_coding_pdpilot_counts_equal_regex_counts(corpora: Path, tmp_path: Path) -> None:
    files = sorted((corpora / "maxqda-coded-interviews-pdpilot" / "pdftotext").glob("P*.txt"))
    assert len(files) == 7
    codes = "\n".join(
        f"      {code}:\n        terms: [{term}]" for code, (term, _) in WORDS.items()
    )
    (tmp_path / "words.yaml").write_text(
        f"name: words\nlanguage: en\nthemes:\n  words:\n    codes:\n{codes}\n", encoding="utf-8"
    )
    segments = read_corpus(files).segments
    hits = code_segments(segments, read_codebook(tmp_path / "words.yaml"), include_interviewer=True)
    found = hits.groupby("code").size().to_dict()
    expected = {}
    for code, (_, forms) in WORDS.items():
        pattern = re.compile(r"(?<![\w-])(?:" + "|".join(forms) + r")(?![\w])", re.IGNORECASE)
        expected[code] = sum(len(pattern.findall(text)) for text in segments["text"])
    assert found == {code: n for code, n in expected.items() if n}
    assert sum(expected.values()) > 300
