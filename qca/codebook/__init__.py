"""Reading, checking, converting and presenting codebooks and dictionaries.

Public API: :func:`read_codebook`, :func:`check_codebook`, :func:`read_dictionary`,
:func:`write_dictionary` and the frozen :class:`Codebook`. The dictionary readers and
writers are imported when first asked for: a re-run reads a codebook, not a dictionary.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from qca.codebook.model import Code, Codebook, Negation, Theme
from qca.codebook.read import check_codebook, load_codebook, read_codebook

if TYPE_CHECKING:
    from qca.codebook.dictionaries import load_dictionary, read_dictionary
    from qca.codebook.writers import write_dictionary

__all__ = [
    "Code",
    "Codebook",
    "Negation",
    "Theme",
    "check_codebook",
    "load_codebook",
    "load_dictionary",
    "read_codebook",
    "read_dictionary",
    "write_dictionary",
]

_LAZY = {
    "load_dictionary": "qca.codebook.dictionaries",
    "read_dictionary": "qca.codebook.dictionaries",
    "write_dictionary": "qca.codebook.writers",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qca.codebook' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
