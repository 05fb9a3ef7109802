"""The output folder of a coding run: staged first, filled, then swapped in whole (qca.folders)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    """Return a fresh staging folder beside *outdir* (stale ones removed)."""
    from qca.folders import stage_folder

    return stage_folder(outdir)


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


def write_hits_parquet(hits: pd.DataFrame, path: Path) -> None:
    """Write *hits* as ``DataFrame.to_parquet(index=False)`` does, from one chunk per column.

    A run's batches leave some string columns in one Arrow chunk per batch, and past
    about 1 MB a column's parquet pages follow its chunks: runs with and without the
    cache, with ``--jobs 2`` and an edited re-run would write other bytes for the same
    rows. From one chunk the bytes depend on the rows alone.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(hits, preserve_index=False).combine_chunks()
    pq.write_table(table, path, compression="snappy")


def write_outputs(
    temp: Path,
    outdir: Path,
    hits: pd.DataFrame,
    codings: pd.DataFrame,
    manifest: dict[str, Any],
) -> None:
    """Write the tables into *temp*, then make *temp* the folder *outdir* (one swap).

    ``segments.parquet`` is already in *temp*.
    """
    from qca.folders import fault_point, switch_folder
    from qca.rerun import output_stamps

    write_hits_parquet(hits, temp / HITS_FILE)
    codings.to_parquet(temp / CODINGS_FILE, index=False)
    hits.to_csv(temp / HITS_CSV, index=False, lineterminator="\n")
    codings.to_csv(temp / CODINGS_CSV, index=False, lineterminator="\n")
    names = (SEGMENTS_FILE, HITS_FILE, CODINGS_FILE, HITS_CSV, CODINGS_CSV, RUN_FILE)
    manifest["outputs"] = output_stamps(temp, names[:-1])  # a rename keeps size and mtime
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    (temp / RUN_FILE).write_text(text, encoding="utf-8")
    output_stamps(temp, names[-1:])  # fsync run.json too
    fault_point("sealed")
    switch_folder(temp, outdir, RUN_FILE, names)  # one atomic swap: the old run or this one
