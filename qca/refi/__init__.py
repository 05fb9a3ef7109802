"""Read REFI-QDA projects (``.qdpx`` archives and bare ``.qde`` files), GitHub issue #8.

``read_qdpx`` returns the project as qca tables; ``import_qdpx`` writes them as an
output folder that ``qca themes``, ``qca show`` and ``qca agree`` read:

- every text source (``TextSource``, and the text ``Representation`` of a PDF) is a
  document; its text is kept in ``sources/`` of the output folder;
- segments are the distinct coded selections (``unit`` = ``selection``): one segment
  per (document, start, end), so codings map one-to-one onto segments. A selection
  named by a qca segment id (as ``qca export qdpx`` writes) keeps that id;
- codings keep ``CODING_COLUMNS`` and add a ``coder`` column (the user who made the
  coding); the auto-coder's codings have source ``auto``, all others ``manual``;
- the codebook (names, hierarchy, descriptions, colours) is ``codebook.yaml``.

Offsets: the spec counts code points on the source text, but NVivo counts UTF-16
units on the text with CRLF kept, and other programs differ on line ends. For each
source every reading is tried, and the one that puts the most selection boundaries
on word boundaries is used (the spec's on a tie); ``RefiProject.offsets`` says which.

Modules: ``model`` (limits, ``RefiError``, ``RefiProject``), ``archive`` (opening and
parsing), ``offsets``, ``codebook`` (the code tree), ``read`` (``read_qdpx``),
``losses`` (what cannot be imported, issue #17), ``output`` (``import_qdpx``) and
``coders`` (one coder for ``qca agree``).

The archive is read defensively: XML through defusedxml (no entity expansion), zip
entries that escape the folder are refused, and entry sizes are bounded.
"""

from __future__ import annotations

from qca.refi.coders import read_refi_coding
from qca.refi.model import (
    AUTO_CODER,
    CODEBOOK_FILE,
    MAX_ENTRY_BYTES,
    MAX_TOTAL_BYTES,
    PROJECT_NS,
    SOURCES_FOLDER,
    RefiError,
    RefiProject,
)
from qca.refi.offsets import READINGS, choose_reading
from qca.refi.output import import_qdpx
from qca.refi.read import read_qdpx

__all__ = [
    "AUTO_CODER",
    "CODEBOOK_FILE",
    "MAX_ENTRY_BYTES",
    "MAX_TOTAL_BYTES",
    "PROJECT_NS",
    "READINGS",
    "SOURCES_FOLDER",
    "RefiError",
    "RefiProject",
    "choose_reading",
    "import_qdpx",
    "read_qdpx",
    "read_refi_coding",
]
