"""One batch of tokenised segments, as the matching steps see it, and its hits as columns."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from qca.engine.pipeline import Tokens

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass
class HitColumns:
    """Hits of one batch as columns (no Python object per hit).

    ``segment`` indexes the batch's texts; ``start``/``end`` are offsets into
    that segment's text; ``token`` is the hit's first token; ``cue`` is the
    negation cue as written ("" when the hit is not negated).
    """

    segment: list[int] = field(default_factory=list)
    code: list[int] = field(default_factory=list)
    order: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    rule: list[str] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    token: list[int] = field(default_factory=list)
    negated: list[bool] = field(default_factory=list)
    cue: list[str] = field(default_factory=list)

    def take(self, rows: list[int]) -> HitColumns:
        """Return the hits at *rows*, in that order (a column not filled yet stays empty)."""
        taken = {}
        for column in fields(self):
            values = getattr(self, column.name)
            taken[column.name] = [values[n] for n in rows] if values else []
        return HitColumns(**taken)

    def add(
        self, segment: int, rule: tuple[int, int, str, str], span: tuple[int, int, int]
    ) -> None:
        self.segment.append(segment)
        self.code.append(rule[0])
        self.order.append(rule[1])
        self.kind.append(rule[2])
        self.rule.append(rule[3])
        self.start.append(span[0])
        self.end.append(span[1])
        self.token.append(span[2])


@dataclass
class Batch:
    """Per-batch views of :class:`~qca.engine.pipeline.Tokens` shared by the matching steps.

    The per-token lists are made only when a step asks for them (most steps read
    the arrays at a few positions instead).
    """

    tokens: Tokens
    lowers_by_id: list[str]
    bounds: list[int]

    @classmethod
    def of(cls, tokens: Tokens) -> Batch:
        return cls(tokens, tokens.lowers(), tokens.bounds.tolist())

    @functools.cached_property
    def starts(self) -> list[int]:
        return self.tokens.starts.tolist()  # type: ignore[no-any-return]

    @functools.cached_property
    def ends(self) -> list[int]:
        return self.tokens.ends.tolist()  # type: ignore[no-any-return]

    def owners(self, positions: npt.NDArray[np.intp]) -> list[int]:
        """Return the segment of each token position."""
        import numpy as np

        owners: list[int] = (
            np.searchsorted(self.tokens.bounds, positions, side="right") - 1
        ).tolist()
        return owners

    def spans(self, first: list[int], last: list[int]) -> tuple[list[int], list[int]]:
        """Return the start offset of each token of *first* and the end offset of each of *last*."""
        import numpy as np

        tokens = self.tokens
        starts: list[int] = tokens.starts[np.asarray(first, dtype=np.intp)].tolist()
        ends: list[int] = tokens.ends[np.asarray(last, dtype=np.intp)].tolist()
        return starts, ends
