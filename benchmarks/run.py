"""Benchmark `qca code` against spaCy's bare tokenizer and a pandas per-term script.

    python benchmarks/run.py --words 2000000            # the table (a few minutes)
    python benchmarks/run.py --memory-only 10000000     # peak RSS of one cold run

Every row codes the same generated texts (benchmarks/gen.py, seeded). `qca`
rows run `python -m qca` in a fresh process, so they include start-up, ingest
and writing the outputs. Peak memory is the child's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen import generate  # noqa: E402

PYTHON = sys.executable
RSS = """
import os, resource, runpy, sys
sys.argv = ["qca", *sys.argv[2:]]
try:
    runpy.run_module("qca", run_name="__main__")
finally:
    # VmHWM is this process's own peak. ru_maxrss is not: exec keeps the peak of
    # the parent that spawned it (vfork), so a big benchmark process would show.
    with open("/proc/self/status") as status:
        self = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(os.environ["QCA_BENCH_RSS"], "w") as handle:
        handle.write(f"{self} {kids}")
"""


def qca(args: list[str], rss_file: Path | None = None) -> float:
    """Run `qca ARGS` in a fresh process; return the wall time in seconds."""
    env = dict(os.environ)
    command = [PYTHON, "-m", "qca", *args]
    if rss_file is not None:
        env["QCA_BENCH_RSS"] = str(rss_file)
        command = [PYTHON, "-c", RSS, "-", *args]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0,):
        sys.exit(f"qca {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def help_seconds(runs: int = 7) -> float:
    """Return the median wall time of `qca --help` in a fresh process, after one warm-up run.

    The warm-up fills the OS file cache and writes any missing bytecode, so the
    median measures start-up, not the disk.
    """
    command = [PYTHON, "-m", "qca", "--help"]
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def inputs(corpus: Path) -> list[str]:
    return [
        str(corpus / "transcripts"),
        str(corpus / "comments.csv"),
        "--text-column",
        "comment",
        "--id-column",
        "id",
        "-c",
        str(corpus / "codebook.yaml"),
    ]


def segment_texts(corpus: Path) -> list[str]:
    """Return the texts `qca code` codes (the same segments, interviewer turns left out)."""
    from qca.coding import CodeOptions, code

    result = code(
        [corpus / "transcripts", corpus / "comments.csv"],
        corpus / "codebook.yaml",
        options=CodeOptions(
            ingest=__import__("qca.ingest", fromlist=["IngestOptions"]).IngestOptions(
                text_column="comment", id_column="id"
            ),
            cache=False,
        ),
    )
    from qca.engine.hits import selected_segments

    segments = result.segments
    mask = selected_segments(segments, frozenset({"interviewer"}), include_interviewer=False)
    return [str(t) for t in segments.loc[mask, "text"].tolist()]


SCRIPT = """
import sys, time
import spacy
nlp = spacy.blank("en")
texts = open(sys.argv[1], encoding="utf-8").read().split("\\x00")
started = time.perf_counter()
for _ in nlp.pipe(texts, batch_size=256):
    pass
print(time.perf_counter() - started)
"""


def bare_tokenizer(texts: Path) -> tuple[float, float]:
    """Return (nlp.pipe seconds, whole script seconds) of spaCy's bare tokenizer.

    It runs in a fresh process on the texts in *texts* (NUL-separated), as a user's
    script would: timed in this process, after the in-process run that found the
    texts, the same loop is up to twice as slow.
    """
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-c", SCRIPT, str(texts)], check=True, capture_output=True, text=True
    )
    return float(done.stdout), time.perf_counter() - started


def start_up(work: Path, corpus: Path) -> float:
    """Return the median wall time of `qca code` on a one-line transcript (fixed costs)."""
    tiny = work / "tiny"
    tiny.mkdir(exist_ok=True)
    (tiny / "one.txt").write_text("R: The coach came back.\n", encoding="utf-8")
    args = ["code", str(tiny / "one.txt"), "-c", str(corpus / "codebook.yaml")]
    args += ["-o", str(tiny / "out"), "--no-cache"]
    qca(args)
    return statistics.median(qca(args) for _ in range(3))


PANDAS = """
import re, sys, time
import pandas as pd
import yaml

data = yaml.safe_load(open(sys.argv[2], encoding="utf-8"))
terms = [
    str(term)
    for theme in data["themes"].values()
    for code in theme["codes"].values()
    for term in code.get("terms", [])
]
series = pd.Series(open(sys.argv[1], encoding="utf-8").read().split("\\x00"), dtype="str")
started = time.perf_counter()
counts = {}
for term in terms:
    if term.endswith("*"):
        pattern = r"\\b" + re.escape(term.rstrip("*")) + r"\\w*"
    else:
        pattern = r"\\b" + re.escape(term) + r"\\b"
    counts[term] = int(series.str.count(pattern, flags=re.IGNORECASE).sum())
print(time.perf_counter() - started)
"""


def pandas_script(texts: Path, codebook: Path) -> float:
    """What a user would script: Series.str.count with one regex per term (no lemmas).

    Timed in a fresh process, from the texts in *texts* (NUL-separated).
    """
    done = subprocess.run(
        [PYTHON, "-c", PANDAS, str(texts), str(codebook)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout)


def edit_terms(codebook: Path, target: Path) -> None:
    """Write *codebook* with one term added to each of five codes (a terms-only edit)."""
    lines = codebook.read_text(encoding="utf-8").splitlines()
    edited = 0
    for n, line in enumerate(lines):
        if line.strip().startswith("terms: [") and edited < 5:
            lines[n] = line.replace("terms: [", f"terms: [added{edited}, ", 1)
            edited += 1
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def peak_rss(corpus: Path, work: Path) -> tuple[float, float]:
    """Return (seconds, peak RSS in MB) of one cold `qca code --jobs 1` run."""
    rss = work / "rss.txt"
    seconds = qca(["code", *inputs(corpus), "-o", str(work / "mem-out"), "--no-cache"], rss)
    own, kids = (int(v) for v in rss.read_text().split())
    shutil.rmtree(work / "mem-out", ignore_errors=True)
    return seconds, max(own, kids) / 1024


def corpus_of(words: int, work: Path) -> Path:
    folder = work / f"corpus-{words}"
    if not folder.is_dir():
        generate(folder, words)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument(
        "--memory", default="1000000,10000000", help="comma list of sizes for peak RSS"
    )
    parser.add_argument("--memory-only", type=int, default=None)
    parser.add_argument("--work", type=Path, default=None, help="keep corpora here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="qca-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.memory_only:
        corpus = corpus_of(args.memory_only, work)
        seconds, mb = peak_rss(corpus, work)
        print(f"peak RSS at {args.memory_only:,} words: {mb:,.0f} MB ({seconds:.1f} s)")
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}"
    )
    corpus = corpus_of(args.words, work)
    texts = segment_texts(corpus)
    words = sum(len(t.split()) for t in texts)
    rows: list[tuple[str, float, int]] = []
    texts_file = work / "segment-texts.txt"
    texts_file.write_text("\x00".join(texts), encoding="utf-8")
    pipe, script = bare_tokenizer(texts_file)
    rows.append(("(a) spaCy bare tokenizer (nlp.pipe, no components)", pipe, words))
    out = work / "out"
    cache = work / ".qca-cache"  # qca code keeps it next to the output folder
    base = ["code", *inputs(corpus), "-o", str(out)]
    qca([*base, "--no-cache"])  # warm the disk cache and lemma tables' files
    cold = qca([*base, "--no-cache", "--jobs", "1"])
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    all_words = int(manifest["counts"]["words"])
    rows.append(("(b) qca code, cold, --jobs 1", cold, all_words))
    rows.append(
        ("(c) qca code, cold, --jobs 2", qca([*base, "--no-cache", "--jobs", "2"]), all_words)
    )
    shutil.rmtree(cache, ignore_errors=True)
    qca(base)  # fill the cache
    edited = work / "edited.yaml"
    edit_terms(corpus / "codebook.yaml", edited)
    warm_args = [a if a != str(corpus / "codebook.yaml") else str(edited) for a in base]
    warm = qca(warm_args)
    rows.append(("(d) qca code after a terms edit (warm cache)", warm, all_words))
    rows.append(
        (
            "(e) pandas Series.str.count, one regex per term",
            pandas_script(texts_file, corpus / "codebook.yaml"),
            words,
        )
    )
    rows.append(("(f) qca themes on the hits", qca(["themes", str(out)]), all_words))
    floor = words / rows[0][1]
    print(
        f"corpus: {all_words:,} words ({words:,} in coded segments), {manifest['counts']['hits']:,} hits"
    )
    print(f"{'step':<52} {'seconds':>8} {'words/s':>12} {'x floor':>8}")
    for name, seconds, n in rows:
        rate = n / seconds
        print(f"{name:<52} {seconds:>8.2f} {rate:>12,.0f} {rate / floor:>8.2f}")
    rate = {name[:3]: n / s for name, s, n in rows}
    print(f"--jobs 2 / --jobs 1: {rate['(c)'] / rate['(b)']:.2f}x")
    print(f"warm / cold: {rate['(d)'] / rate['(b)']:.1f}x")
    print(f"qca cold --jobs 1 / pandas per-term: {rate['(b)'] / rate['(e)']:.1f}x")
    print(f"(a) as a whole script (python, import spaCy, spacy.blank, read, pipe): {script:.2f} s")
    print(f"fixed cost: qca code on a one-line transcript: {start_up(work, corpus):.2f} s")
    sizes = sorted(int(s) for s in args.memory.split(",") if s)
    peaks = [peak_rss(corpus_of(size, work), work)[1] for size in sizes]
    for size, mb in zip(sizes, peaks, strict=True):
        print(f"peak RSS, qca code --jobs 1 at {size:,} words: {mb:,.0f} MB")
    if len(sizes) > 1:
        print(f"peak RSS at {sizes[-1]:,} / at {sizes[0]:,} words: {peaks[-1] / peaks[0]:.2f}x")
    print(f"qca --help: {help_seconds():.3f} s (median of 7 after a warm-up run)")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
