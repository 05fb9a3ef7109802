"""Write an output folder holding N copies of another one's coded comments (#23 item 5).

Coding 3x10^6 survey comments takes long on a shared machine; the readers (``qca themes``)
need only the output folder. Each copy's doc_id and segment_id get a prefix (``r0-``,
``r1-``, ...), which keeps every file in its sort order; segments.parquet keeps its row
groups' size, hits and codings are written as pandas writes them (pyarrow's defaults), and
run.json records the new files (the CSVs are left out). Example:

    python benchmarks/repeat_outputs.py out1m out3m --copies 3
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from qca.folders import stamp_files

FILES = ("segments.parquet", "hits.parquet", "codings.parquet")


def repeated(path: Path, copies: int, target: Path) -> None:
    """Write *copies* of *path* to *target*, ids prefixed; row groups as in the source."""
    source = pq.ParquetFile(path)
    groups = source.metadata.num_row_groups
    rows = max(source.metadata.row_group(i).num_rows for i in range(groups))
    with pq.ParquetWriter(target, source.schema_arrow) as out:
        for copy in range(copies):
            for group in range(groups):
                table = source.read_row_group(group)
                for name in ("doc_id", "segment_id"):
                    if name in table.column_names:
                        at = table.column_names.index(name)
                        kind = table.schema.field(name).type
                        prefix = pa.scalar(f"r{copy}-", kind)
                        prefixed = pc.binary_join_element_wise(
                            prefix, table[name], pa.scalar("", kind)
                        )
                        table = table.set_column(at, table.schema.field(name), prefixed)
                out.write_table(table, row_group_size=rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--copies", type=int, default=3)
    args = parser.parse_args()
    args.target.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        repeated(args.source / name, args.copies, args.target / name)
    manifest = json.loads((args.source / "run.json").read_text(encoding="utf-8"))
    manifest["outputs"] = stamp_files(args.target, FILES)
    counts = manifest.get("counts", {})
    for key in ("coded_segments", "documents", "hits", "segments", "words"):
        if key in counts:
            counts[key] *= args.copies
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    (args.target / "run.json").write_text(text, encoding="utf-8")
    print(pa.__version__, {n: (args.target / n).stat().st_size for n in FILES})


if __name__ == "__main__":
    main()
