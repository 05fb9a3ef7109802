"""qca.export.format_table: csv and tsv text that reads back as the same table."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qca.export.tables import format_table


def test_table_formats_csv_quotes_a_lone_carriage_return() -> None:
    frame = pd.DataFrame({"code": ["a"], "text": ["one\rtwo"], "n": [3]})
    assert format_table(frame, "csv") == '"code","text","n"\n"a","one\rtwo","3"\n'


def test_table_formats_csv_without_carriage_return_is_unquoted() -> None:
    frame = pd.DataFrame({"code": ["a"], "text": ["one, two"], "n": [3]})
    assert format_table(frame, "csv") == 'code,text,n\na,"one, two",3\n'


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@given(cells=st.lists(st.text(st.characters(blacklist_categories=("Cs",))), min_size=1, max_size=5))
def test_table_formats_text_reads_back(fmt: str, cells: list[str]) -> None:
    frame = pd.DataFrame({"id": [f"s{n}" for n in range(len(cells))], "text": cells})
    text = format_table(frame, fmt)
    back = pd.read_csv(
        io.StringIO(text),
        sep="," if fmt == "csv" else "\t",
        dtype=str,
        keep_default_na=False,
        lineterminator=None,
    )
    assert back["id"].tolist() == frame["id"].tolist()
    assert back["text"].tolist() == cells
