"""Validate a codebook on the NHS FFT development labels, on a fixed tune/held-out split.

    .venv/bin/python tools/nhs_validate.py codebooks/nhs_fft.yaml [--split test] [--workdir DIR]

The split is by Comment ID: a comment is held out (``test``) when the first 8 hex digits
of the sha256 of its id, as an integer, are 7, 8 or 9 modulo 10 (about 30%), else it is in
``tune``. Tune the codebook on ``tune`` (qca codebook stats / qca suggest with --gold
on tune.csv); report on ``test``. Blank comments are left out (qca code skips them).
Prints micro- and macro-F1 over the codebook's categories and over all 50, and one row
per category, as markdown. Reads ../shared/corpora/nhs-fft; writes only under --workdir.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT.parent / "shared" / "corpora" / "nhs-fft" / "fft_framework_dev.csv"
ID, TEXT = "Comment ID", "FFT answer"
FIRST, LAST = "Not assigned", "Positive experience & gratitude"


def split_of(comment_id: str) -> str:
    """Return ``test`` for the held-out ~30% of comment ids, else ``tune``."""
    digest = int(hashlib.sha256(comment_id.encode("utf-8")).hexdigest()[:8], 16)
    return "test" if digest % 10 >= 7 else "tune"


def read_dev(path: Path = DEV) -> tuple[pd.DataFrame, list[str]]:
    """Return the non-blank labelled comments (with a ``split`` column) and the 50 categories."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    columns = list(frame.columns)
    categories = columns[columns.index(FIRST) : columns.index(LAST) + 1]
    frame = frame[frame[TEXT].str.strip() != ""].copy()
    frame["split"] = frame[ID].map(split_of)
    return frame, categories


def code_labels(codebook: Path) -> dict[str, str]:
    """Return code id -> label (the category name) of every code of *codebook*."""
    spec = yaml.safe_load(codebook.read_text(encoding="utf-8"))
    return {c: v["label"] for t in spec["themes"].values() for c, v in t["codes"].items()}


def predictions(frame: pd.DataFrame, codebook: Path, workdir: Path, name: str) -> pd.DataFrame:
    """Code *frame*'s comments with *codebook*; return a 0/1 frame (comment id x label)."""
    source = workdir / f"{name}.csv"
    frame.drop(columns="split").to_csv(source, index=False)
    out = workdir / f"{name}-out"
    command = [
        sys.executable,
        "-m",
        "qca",
        "code",
        str(source),
        "--text-column",
        TEXT,
        "--id-column",
        ID,
    ]
    command += ["-c", str(codebook), "-o", str(out), "--force"]
    subprocess.run(command, check=True, capture_output=True)
    codings = pd.read_parquet(out / "codings.parquet")
    labels = code_labels(codebook)
    docs = codings["segment_id"].astype(str).str.rsplit(":", n=1).str[0]
    pairs = set(zip(docs, codings["code"].astype(str).map(labels), strict=True))
    ids = frame[ID].tolist()
    wanted = sorted(set(labels.values()))
    return pd.DataFrame({c: [(i, c) in pairs for i in ids] for c in wanted}, index=ids)


def scores(truth: pd.DataFrame, predicted: pd.DataFrame, categories: list[str]) -> pd.DataFrame:
    """Return support, predicted, precision, recall, F1 per category (absent codes predict 0)."""
    rows = []
    for category in categories:
        y = truth[category].isin(["1", "1.0"]).to_numpy()
        p = (
            predicted[category].to_numpy()
            if category in predicted.columns
            else [False] * len(truth)
        )
        tp = int((y & p).sum())
        support, guessed = int(y.sum()), int(sum(p))
        precision = tp / guessed if guessed else float("nan")
        recall = tp / support if support else float("nan")
        f1 = 2 * tp / (support + guessed) if support + guessed else float("nan")
        rows.append((category, support, guessed, tp, precision, recall, f1))
    return pd.DataFrame(
        rows, columns=["category", "support", "predicted", "tp", "precision", "recall", "f1"]
    )


def summary(table: pd.DataFrame) -> tuple[float, float]:
    """Return (micro-F1, macro-F1 over categories with support)."""
    tp, support, guessed = table["tp"].sum(), table["support"].sum(), table["predicted"].sum()
    micro = 2 * tp / (support + guessed)
    with_support = table[table["support"] > 0]
    return float(micro), float(with_support["f1"].fillna(0).mean())


def evaluate(codebook: Path, split: str, workdir: Path) -> dict[str, object]:
    """Code the *split* comments with *codebook*; return the tables and summaries."""
    frame, categories = read_dev()
    part = frame[frame["split"] == split] if split != "all" else frame
    predicted = predictions(part, codebook, workdir, split)
    truth = part.set_index(ID)
    table = scores(truth, predicted, categories)
    own = sorted(set(code_labels(codebook).values()))
    return {
        "comments": len(part),
        "table": table,
        "all": summary(table),
        "codebook": summary(table[table["category"].isin(own)]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("codebook", type=Path)
    parser.add_argument("--split", choices=["tune", "test", "all"], default="test")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="nhs-validate-"))
    workdir.mkdir(parents=True, exist_ok=True)
    result = evaluate(args.codebook, args.split, workdir)
    table = result["table"]
    assert isinstance(table, pd.DataFrame)
    print(f"{args.split}: {result['comments']} comments; workdir {workdir}", file=sys.stderr)
    print(f"micro/macro F1 over the codebook's categories: {result['codebook']}")
    print(f"micro/macro F1 over all 50 categories: {result['all']}")
    print("| category | support | predicted | precision | recall | F1 |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in table.itertuples(index=False):
        cells = [f"{v:.3f}" if v == v else "" for v in (row.precision, row.recall, row.f1)]
        print(f"| {row.category} | {row.support} | {row.predicted} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
