"""Agreement between codings: readers, coefficients and comparison tables (``qca agree``).

``qca.agreement(codings, ...)`` works both as this package's :func:`agreement`
function and through the package itself (the module is callable), because the
package and its main function share the name the public API promises.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from qca.agreement.compare import (
    UNIT_LEVELS,
    agreement,
    agreement_warnings,
    align_codes,
    disagreements,
    verdict,
)
from qca.agreement.readers import (
    READERS,
    AgreementError,
    Coding,
    ReadOptions,
    read_coding,
    read_matrix,
)

__all__ = [
    "READERS",
    "UNIT_LEVELS",
    "AgreementError",
    "Coding",
    "ReadOptions",
    "agreement",
    "agreement_warnings",
    "align_codes",
    "disagreements",
    "read_coding",
    "read_matrix",
    "verdict",
]


class _CallableModule(types.ModuleType):
    """Lets ``qca.agreement(...)`` call :func:`agreement` once the package is imported."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return agreement(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
