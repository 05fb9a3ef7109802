"""NHS FFT validation: `qca code` + `qca agree --gold` equal scikit-learn's precision/recall/F1."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from qca.cli import app
from qca.models import CODE, F1, PRECISION, RECALL
from tests.conftest import ROOT


@pytest.mark.corpus
def test_agreement_nhs_fft_matches_sklearn(
    runner: CliRunner, corpora: Path, tmp_path: Path
) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    dev = corpora / "nhs-fft" / "fft_framework_dev.csv"
    codebook = ROOT / "codebooks" / "nhs_fft.yaml"
    out = tmp_path / "out"
    coded = runner.invoke(
        app,
        ["code", str(dev), "--text-column", "FFT answer", "--id-column", "Comment ID"]
        + ["-c", str(codebook), "-d", str(out)],
    )
    assert coded.exit_code == 0, coded.stderr
    spec = yaml.safe_load(codebook.read_text(encoding="utf-8"))
    codes = {c: v["label"] for t in spec["themes"].values() for c, v in t["codes"].items()}
    args = [a for label in codes.values() for a in ("--code-columns", label)]
    result = runner.invoke(
        app,
        ["agree", f"qca={out}", f"human={dev}", "--id-column", "Comment ID", *args]
        + ["--gold", "human", "--unit", "document", "--format", "json"],
    )
    assert result.exit_code == 0, result.stderr
    table = pd.read_json(io.StringIO(result.stdout)).set_index(CODE)

    # The same arrays, built independently: human one-hot rows vs coded documents.
    human = pd.read_csv(dev, dtype=str, keep_default_na=False).set_index("Comment ID")
    segments = pd.read_parquet(out / "segments.parquet")
    codings = pd.read_parquet(out / "codings.parquet")
    docs = sorted(set(segments["doc_id"]))
    coded_docs = codings.assign(doc=codings["segment_id"].str.rsplit(":", n=1).str[0])
    y_true = human.loc[docs, list(codes.values())].isin(["1", "1.0"]).to_numpy()
    pairs = set(zip(coded_docs["doc"], coded_docs["code"], strict=True))
    y_pred = np.array([[(d, c) in pairs for c in codes] for d in docs])
    p, r, f, _ = metrics.precision_recall_fscore_support(
        y_true, y_pred, average=None, zero_division=np.nan
    )
    ids = list(codes)
    np.testing.assert_allclose(table.loc[ids, PRECISION], p, atol=5e-5)
    np.testing.assert_allclose(table.loc[ids, RECALL], r, atol=5e-5)
    np.testing.assert_allclose(table.loc[ids, F1], f, atol=5e-5)
