"""Agreement between codings: readers, coefficients and comparison tables (``qca agree``)."""

from __future__ import annotations

from qca.agreement.alignment import agreement_warnings, align_codes
from qca.agreement.bootstrap import bootstrap_warnings
from qca.agreement.coding import Coding
from qca.agreement.compare import (
    UNIT_LEVELS,
    disagreements,
    measure_agreement,
    verdict,
)
from qca.agreement.matrix import read_matrix
from qca.agreement.readers import (
    READERS,
    AgreementError,
    ReadOptions,
    read_coding,
)

__all__ = [
    "READERS",
    "UNIT_LEVELS",
    "AgreementError",
    "Coding",
    "ReadOptions",
    "agreement_warnings",
    "bootstrap_warnings",
    "align_codes",
    "disagreements",
    "measure_agreement",
    "read_coding",
    "read_matrix",
    "verdict",
]
