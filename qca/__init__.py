"""qca: qualitative content analysis of interview and focus-group transcripts.

The public API is re-exported here lazily, so that ``import qca`` (and
``qca --help``) does not import spaCy or pandas until they are needed.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Problem": "qca.errors",
    "QcaError": "qca.errors",
    "CodebookError": "qca.errors",
    "IngestError": "qca.errors",
    "IngestOptions": "qca.ingest",
    "iter_corpus": "qca.ingest",
    "read_corpus": "qca.ingest",
    "read_transcripts": "qca.ingest",
    "Codebook": "qca.codebook",
    "read_codebook": "qca.codebook",
    "check_codebook": "qca.codebook",
    "read_dictionary": "qca.codebook",
    "write_dictionary": "qca.codebook",
    "write_table": "qca.export",
    "code": "qca.coding",
    "CodeOptions": "qca.coding",
    "CodeResult": "qca.coding",
    "code_segments": "qca.engine.hits",
    "init_project": "qca.project",
    "read_output": "qca.outputs",
    "CodedOutput": "qca.outputs",
    "theme_table": "qca.themes",
    "stream_theme_table": "qca.themes_stream",
    "presence_matrix": "qca.presence",
    "quotes": "qca.exemplars",
    "cooccurrence": "qca.cooccur",
    "group_stats": "qca.stats",
    "ReportOptions": "qca.report",
    "build_report": "qca.report",
    "write_report": "qca.report",
    "read_overrides": "qca.overrides",
    "apply_overrides": "qca.overrides",
    "measure_agreement": "qca.agreement",
    "read_coding": "qca.agreement",
    "read_matrix": "qca.agreement",
    "Coding": "qca.agreement",
    "export_qdpx": "qca.export.qdpx",
    "read_qdpx": "qca.refi",
    "import_qdpx": "qca.refi",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qca' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
