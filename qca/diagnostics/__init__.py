"""Codebook diagnostics: per-rule statistics, term suggestions and sample-based estimates.

``qca codebook stats``, ``qca suggest``, ``qca sample`` and ``qca agree --estimate``
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
from qca.diagnostics.stats import codebook_rules, rule_stats

__all__ = [
    "DiagnosticsError",
    "Gold",
    "Units",
    "align_gold",
    "codebook_rules",
    "read_gold",
    "read_units",
    "rule_stats",
]
