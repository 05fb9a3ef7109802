"""The output folder of a coding run: prepared first, filled at the end, renamed into place."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError
from qca.models import CODINGS_CSV, CODINGS_FILE, HITS_CSV, HITS_FILE, RUN_FILE, SEGMENTS_FILE

if TYPE_CHECKING:
    import pandas as pd

    from qca.codebook.model import Codebook
    from qca.engine.hits import Engine
    from qca.options import CodeOptions


def cache_dir(options: CodeOptions, outdir: Path | None) -> Path | None:
    """Return the cache folder, or None with ``cache=False``."""
    if not options.cache:
        return None
    return options.cache_dir or (outdir.parent if outdir is not None else Path(".")) / ".qca-cache"


def prepare_outdir(outdir: Path) -> Path:
    """Create *outdir* if needed; return a fresh temporary folder beside it."""
    if outdir.exists() and not outdir.is_dir():
        raise OutputError(
            f"{outdir}: the output folder is a file; remove it or choose another folder with -o"
        )
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", suffix=".tmp", dir=outdir.parent))
    except OSError as exc:
        raise OutputError(
            f"{outdir}: cannot write the output folder ({exc.strerror or exc}); "
            "choose a writable folder with -o"
        ) from None


def pipeline_manifest(engine: Engine, languages: Iterable[str]) -> dict[str, Any]:
    manifest: dict[str, Any] = {}
    for language in sorted(set(languages) | {engine.rules.language}):
        pipeline = engine.pipelines.get(language)
        manifest[language] = {
            "name": pipeline.model or f"blank:{pipeline.nlp.lang}",
            "model": pipeline.model,
            "components": ["tokenizer", *pipeline.components, "lemma_lookup", "sentence_rule"],
            "fingerprint": pipeline.fingerprint,
        }
    return manifest


def codebook_manifest(codebook: Codebook) -> tuple[dict[str, Any], list[Any], list[Any]]:
    info = {
        "path": str(codebook.path) if codebook.path else None,
        "sha256": codebook.sha256,
        "name": codebook.name,
        "version": codebook.version,
        "language": codebook.language,
    }
    themes = [{"theme": t.id, "label": t.label} for t in codebook.themes]
    codes = [
        {"theme": c.theme, "code": c.id, "label": c.label, "parent": c.parent}
        for c in codebook.codes()
    ]
    return info, themes, codes


def write_outputs(
    temp: Path,
    outdir: Path,
    hits: pd.DataFrame,
    codings: pd.DataFrame,
    manifest: dict[str, Any],
) -> None:
    """Write the tables into *temp*, then rename each into *outdir* (run.json last).

    ``segments.parquet`` is already in *temp*.
    """
    from qca.rerun import output_stamps

    hits.to_parquet(temp / HITS_FILE, index=False)
    codings.to_parquet(temp / CODINGS_FILE, index=False)
    hits.to_csv(temp / HITS_CSV, index=False, lineterminator="\n")
    codings.to_csv(temp / CODINGS_CSV, index=False, lineterminator="\n")
    names = (SEGMENTS_FILE, HITS_FILE, CODINGS_FILE, HITS_CSV, CODINGS_CSV, RUN_FILE)
    for name in names[:-1]:
        with (temp / name).open("rb") as handle:
            os.fsync(handle.fileno())
    manifest["outputs"] = output_stamps(temp, names[:-1])  # a rename keeps size and mtime
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    (temp / RUN_FILE).write_text(text, encoding="utf-8")
    with (temp / RUN_FILE).open("rb") as handle:
        os.fsync(handle.fileno())
    try:
        for name in names:
            os.replace(temp / name, outdir / name)
    except OSError as exc:
        raise OutputError(
            f"{outdir}: cannot write the outputs ({exc.strerror or exc}); "
            "choose a writable folder with -o"
        ) from None
