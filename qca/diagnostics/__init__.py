"""Codebook diagnostics: per-rule statistics, term suggestions and sample-based estimates.

``qca codebook stats``, ``qca suggest`` (``--segments`` too), ``qca sample`` and ``qca agree --estimate``
call these (issue #22).
"""

from __future__ import annotations

from qca.diagnostics.gold import (
    DiagnosticsError,
    Gold,
    Units,
    align_gold,
    read_gold,
    read_units,
)
from qca.diagnostics.similar import (
    SimilarOptions,
    SimilarSegments,
    model_coding,
    review_queue,
    score_segments,
)
from qca.diagnostics.stats import codebook_rules, rule_stats

__all__ = [
    "DiagnosticsError",
    "Gold",
    "SimilarOptions",
    "SimilarSegments",
    "Units",
    "align_gold",
    "codebook_rules",
    "model_coding",
    "read_gold",
    "read_units",
    "review_queue",
    "rule_stats",
    "score_segments",
]
