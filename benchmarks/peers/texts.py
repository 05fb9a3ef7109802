"""Read the texts a user's script codes: speaker turns of transcripts, or one CSV column.

Shared by the peer scripts (standard library only). A transcript turn starts with a
``Label:`` at the start of a line and runs to the next one; turns whose label is in
*exclude* (the codebook's ``exclude_speakers``) are left out, as qca leaves them out.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from pathlib import Path

LABEL = re.compile(r"^([A-Z][\w .'-]{0,40}):[ \t]*", re.M)


def turns(text: str, exclude: frozenset[str]) -> Iterator[str]:
    """Yield the turns of one transcript whose speaker is not in *exclude*."""
    starts = list(LABEL.finditer(text))
    for n, match in enumerate(starts):
        end = starts[n + 1].start() if n + 1 < len(starts) else len(text)
        if match.group(1) not in exclude:
            yield text[match.end() : end].strip()


def read_texts(paths: list[str], text_column: str, exclude: frozenset[str]) -> list[str]:
    """Return the texts of *paths* (files or folders of .txt, or .csv surveys), in order."""
    csv.field_size_limit(sys.maxsize)
    out: list[str] = []
    for name in paths:
        path = Path(name)
        files = sorted(path.rglob("*.txt")) if path.is_dir() else [path]
        for file in files:
            if file.suffix == ".csv":
                with file.open(encoding="utf-8", newline="") as handle:
                    out += [row[text_column] for row in csv.DictReader(handle)]
            else:
                out += turns(file.read_text(encoding="utf-8"), exclude)
    return out


def codebook_terms(path: str) -> tuple[str, frozenset[str], dict[str, list[str]]]:
    """Return the codebook's language, excluded speakers and terms per code."""
    import yaml

    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    terms: dict[str, list[str]] = {}
    for theme in data["themes"].values():
        for code, body in theme["codes"].items():
            terms[code] = [str(term) for term in body.get("terms", [])]
    return data.get("language", "en"), frozenset(data.get("exclude_speakers", [])), terms
