"""Reading, checking, converting and presenting codebooks and dictionaries.

Public API: :func:`read_codebook`, :func:`check_codebook`, :func:`read_dictionary`,
:func:`write_dictionary` and the frozen :class:`Codebook`.
"""

from __future__ import annotations

from qca.codebook.dictionaries import load_dictionary, read_dictionary
from qca.codebook.model import Code, Codebook, Negation, Theme
from qca.codebook.read import check_codebook, load_codebook, read_codebook
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
