"""Words per second of `qca code`: cold, re-run after a codebook edit (cache), bare tokenizer.

Run from the repository root: .venv/bin/python benchmarks/coding.py
The NHS comments are read from ../shared/corpora when present.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import spacy

from qca.codebook import read_codebook
from qca.coding import CodeOptions, code
from qca.ingest import IngestOptions, read_corpus

ROOT = Path(__file__).resolve().parent.parent
NHS = ROOT.parent / "shared" / "corpora" / "nhs-fft" / "fft_framework_dev.csv"


def bench(name: str, paths: list[Path], ingest: IngestOptions) -> None:
    work = Path(tempfile.mkdtemp())
    codebook = read_codebook(ROOT / "codebooks" / "esther.yaml")
    edited = work / "edited.yaml"
    text = (ROOT / "codebooks" / "esther.yaml").read_text(encoding="utf-8")
    edited.write_text(text.replace("inspired]", "inspired, driven]"), encoding="utf-8")
    options = CodeOptions(ingest=ingest, cache_dir=work / "cache")
    code(paths, codebook, options=options, outdir=None)  # warm imports and lemma tables
    shutil.rmtree(work / "cache")
    started = time.perf_counter()
    result = code(paths, codebook, outdir=work / "out", options=options)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    code(paths, edited, outdir=work / "out", options=options)
    cached = time.perf_counter() - started
    texts = read_corpus(paths, ingest).segments["text"].tolist()
    nlp = spacy.blank("en")
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=256):
        pass
    bare = time.perf_counter() - started
    words = result.manifest["counts"]["words"]
    print(
        f"{name}: {words:,} words, {result.manifest['counts']['hits']:,} hits | "
        f"cold {words / cold:,.0f} w/s | re-run after edit {words / cached:,.0f} w/s | "
        f"bare tokenizer {words / bare:,.0f} w/s"
    )
    shutil.rmtree(work)


if __name__ == "__main__":
    bench(
        "demo",
        [ROOT / "transcripts"],
        IngestOptions(participants=ROOT / "transcripts" / "participants.csv"),
    )
    if NHS.is_file():
        bench("nhs-fft", [NHS], IngestOptions(text_column="FFT answer", id_column="Comment ID"))
    else:
        print("nhs-fft: ../shared/corpora absent; skipped", file=sys.stderr)
