"""One coder's decisions (:class:`Coding`), as readers of every format build them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qca.models import CODE, UNIT_ID

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, eq=False)
class Coding:
    """One coder's decisions on a set of units.

    Attributes:
        name: How tables name this coder (``--gold NAME`` refers to it).
        path: The file or folder it came from (for messages).
        units: Every unit this coder saw, coded or not, sorted.
        assignments: ``unit_id, code`` rows, one per code given, sorted and unique.
        codes: The codes this coder could give (codebook, columns, or those used), in order.
        labels: Code id -> label (from a codebook), used to match codes named by label.
        texts: Unit id -> text, when the source has the text.
        documents: Unit id -> document id (for ``unit="document"``).
        single_label: True when each unit has at most one value (a reliability matrix).
    """

    name: str
    path: str
    units: tuple[str, ...]
    assignments: pd.DataFrame
    codes: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)
    documents: Mapping[str, str] = field(default_factory=dict)
    single_label: bool = False


def assignments_frame(pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Return *pairs* as ``unit_id, code`` rows, unique and sorted (a Coding's assignments)."""
    import pandas as pd

    frame = pd.DataFrame(list(pairs), columns=[UNIT_ID, CODE], dtype=str)
    frame = frame.drop_duplicates().sort_values([UNIT_ID, CODE], kind="stable")
    return frame.reset_index(drop=True)
