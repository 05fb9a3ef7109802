"""Benchmark `qca code` against the spaCy floor and the scripts a user would write (#16).

    .venv/bin/python benchmarks/run.py --words 1000000 --work /tmp/qca-bench
    .venv/bin/python benchmarks/run.py --shapes C --only cold,jobs2 --repeat 5

Three corpus shapes (benchmarks/gen.py: Zipf words over a 150k vocabulary, the codebook's
terms mixed in): A, --files small transcript files (default 2,000); B, 10 large transcript
files; C, one survey CSV of --comments comments (default words / 13). Steps, each timed as a
whole process:

   1 floor: benchmarks/peers/spacy_floor.py (import spaCy, spacy.blank, read, nlp.pipe per unit)
   2 cold: qca code --no-cache --jobs 1
   3 same: qca code with the cache, nothing changed (the same command run before)
   4 edit: qca code after adding one term to one code, warm cache (a new term each round),
     into a folder the previous round (or an untimed run with the codebook) coded
   5 jobs2: qca code --no-cache --jobs 2
   6 phrasematcher: benchmarks/peers/phrasematcher.py (lookup lemmas, PhraseMatcher on LEMMA)
   7 pandas: benchmarks/peers/pandas_regex.py (Series.str.count, one compiled regex per term)
   8 perfile: --files one-line files vs one file of the same lines, qca cold; (difference) / files
   9 rss: peak RSS of qca code cold --jobs 1 at --words and at a tenth of it
  10 cache: size of the cache folder after step 3 vs the size of the corpus text
  11 themes: qca themes on step 2's output (the target is for shape C)
  5b with --scheduler ADDRESS: qca code --no-cache --scheduler ADDRESS (a Dask cluster, #23)

Measured here, not with an outside tool (benchmarks/measure.py): every command runs in a fresh
process reaped with os.wait4; CPU = user + system seconds of the child and of every process it
waited for, wall = monotonic clock around it, peak = ru_maxrss (the largest single process).
This script imports only the standard library and generates corpora in a subprocess, so it is
the small parent that ru_maxrss needs (its own peak is printed). Each figure is the median of
--repeat rounds; in a round the steps of a shape run one after another (interleaved). Targets
are judged on CPU seconds (steadier on a shared machine), except the --jobs 2 speed-up (wall).
Generated corpora are kept in --work, keyed by their parameters; the qca run folders are made
afresh on every invocation.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import CommandError, Sample, own_peak_mb, run  # noqa: E402
from report import Results, print_counts, print_perfile, print_shape, print_targets  # noqa: E402

VERSION = 2  # gen.py's VERSION: part of a corpus's key
STEPS = "floor cold same edit jobs2 phrasematcher pandas perfile rss cache themes".split()
SHAPES = {"A": "small transcript files", "B": "10 large transcript files", "C": "survey comments"}
PYTHON = sys.executable
PEERS = HERE / "peers"


def corpus_key(shape: str, words: int, args: argparse.Namespace) -> dict[str, object]:
    """Return the gen.py job of one corpus; its folder name holds every parameter."""
    files = args.files if shape in ("A", "F") else 0
    comments = 0
    if shape == "C":
        comments = args.comments if words == args.words else max(1, args.comments // 10)
    key = f"{shape}-w{words}-f{files}-c{comments}-s{args.seed}-v{VERSION}"
    out = str(args.work / "corpora" / key)
    job: dict[str, object] = {"out": out, "shape": shape, "words": words, "files": files}
    return job | {"comments": comments, "seed": args.seed}


def corpora(specs: list[dict[str, object]]) -> list[dict[str, object]]:
    """Generate the missing corpora (one subprocess); return each corpus's meta.json."""
    missing = [s for s in specs if not (Path(str(s["out"])) / "meta.json").is_file()]
    if missing:
        batch = Path(str(missing[0]["out"])).parent / "batch.json"
        batch.parent.mkdir(parents=True, exist_ok=True)
        batch.write_text(json.dumps(missing), encoding="utf-8")
        print(f"generating {len(missing)} corpora in {batch.parent} ...", flush=True)
        subprocess.run([PYTHON, str(HERE / "gen.py"), "--batch", str(batch)], check=True)
    # The job's parameters, then what was written (meta.json's words are the words counted).
    return [
        s | json.loads((Path(str(s["out"])) / "meta.json").read_text(encoding="utf-8"))
        for s in specs
    ]


def inputs(meta: dict[str, object]) -> list[str]:
    """Return the paths and ingest options of a corpus, as qca code takes them."""
    folder = Path(str(meta["out"]))
    if meta["shape"] == "C":
        return [str(folder / "comments.csv"), "--text-column", "comment", "--id-column", "id"]
    return [str(folder / "transcripts")]


def edited(meta: dict[str, object], target: Path, round_: int) -> Path:
    """Write the corpus's codebook with one term added to its first code (new each round)."""
    spare = list(meta["spare_terms"])  # type: ignore[call-overload]
    term = spare[round_ % len(spare)] + ("" if round_ < len(spare) else f"x{round_}")
    text = (Path(str(meta["out"])) / "codebook.yaml").read_text(encoding="utf-8")
    target.write_text(text.replace("terms: [", f"terms: [{term}, ", 1), encoding="utf-8")
    return target


def bench_shape(
    meta: dict[str, object], small: dict[str, object] | None, args: argparse.Namespace
) -> Results:
    """Run the selected steps on one shape, --repeat rounds; return the samples and counts."""
    folder = args.work / "runs" / str(meta["shape"])
    shutil.rmtree(folder, ignore_errors=True)
    notes = folder / "bench"
    notes.mkdir(parents=True)
    codebook = str(Path(str(meta["out"])) / "codebook.yaml")
    paths = inputs(meta)
    peer_paths = paths[:1]  # the folder or CSV, without qca's ingest options

    def code(out: str, *extra: str, book: str = codebook, corpus: list[str] = paths) -> Sample:
        command = [args.qca, "code", *corpus, "-c", book, "-d", str(folder / out), *extra]
        return run(command, cwd=folder)

    def peer(script: str, out: str) -> Sample:
        command = [PYTHON, str(PEERS / script), codebook, *peer_paths, "--text-column", "comment"]
        return run(command, cwd=folder, stdout=notes / out)

    steps = args.only
    results = Results(meta=meta, small=small)
    if {"same", "edit", "cache"} & steps:
        code("out-same", "--jobs", "1")  # fills the cache: the first of the two runs
    if "edit" in steps:  # the folder each round's edit re-codes, as a user re-codes theirs
        code("out-edit", "--jobs", "1")
    if "themes" in steps and not {"cold", "rss"} & steps:
        code("out-cold", "--no-cache", "--jobs", "1")
    for round_ in range(args.repeat):
        take = results.add
        if "floor" in steps:
            floor = [PYTHON, str(PEERS / "spacy_floor.py"), *peer_paths, "--text-column", "comment"]
            take("floor", run(floor, cwd=folder, stdout=notes / "floor.txt"))
        if {"cold", "rss"} & steps:
            take("cold", code("out-cold", "--no-cache", "--jobs", "1"))
        if "themes" in steps:
            themes = [args.qca, "themes", "-d", str(folder / "out-cold")]
            take("themes", run(themes, cwd=folder, stdout=notes / "themes.csv"))
        if "rss" in steps and small is not None:
            take("rss", code("out-small", "--no-cache", "--jobs", "1", corpus=inputs(small)))
        if "same" in steps:
            take("same", code("out-same", "--jobs", "1"))
        if "edit" in steps:
            book = str(edited(meta, notes / f"edit-{round_}.yaml", round_))
            take("edit", code("out-edit", "--jobs", "1", book=book))
        if "jobs2" in steps:
            take("jobs2", code("out-jobs2", "--no-cache", "--jobs", "2"))
        if args.scheduler:
            take("dask", code("out-dask", "--no-cache", "--scheduler", args.scheduler))
        if "phrasematcher" in steps:
            take("phrasematcher", peer("phrasematcher.py", "phrasematcher.json"))
        if "pandas" in steps:
            take("pandas", peer("pandas_regex.py", "pandas.json"))
    if "cache" in steps:
        results.cache_bytes = folder_bytes(folder, skip=("bench",))
    results.read_counts(folder)
    return results


def folder_bytes(folder: Path, skip: tuple[str, ...] = ()) -> int:
    """Return the bytes of the files under *folder*, leaving out its top-level *skip* entries."""
    total = 0
    for entry in folder.iterdir() if folder.is_dir() else []:
        if entry.name in skip or entry.name.startswith("out-"):
            continue
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        total += sum(p.stat().st_size for p in files)
    return total


def bench_perfile(meta: dict[str, object], args: argparse.Namespace) -> tuple[list[Sample], ...]:
    """Step 8: qca cold on --files one-line files and on one file of the same lines."""
    folder = args.work / "runs" / "F"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    corpus = Path(str(meta["out"]))
    many: list[Sample] = []
    one: list[Sample] = []
    for _ in range(args.repeat):
        for name, samples in (("many", many), ("one", one)):
            command = [args.qca, "code", str(corpus / name), "-c", str(corpus / "codebook.yaml")]
            command += ["-d", str(folder / f"out-{name}"), "--no-cache", "--jobs", "1"]
            samples.append(run(command, cwd=folder))
    return many, one


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=10_000_000, help="words per shape")
    parser.add_argument("--shapes", default="A,B,C", help="comma list of A, B, C")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; figures are medians")
    parser.add_argument("--work", type=Path, default=Path("/tmp/qca-bench"), help="corpora, runs")
    parser.add_argument("--qca", default=str(Path(PYTHON).parent / "qca"), help="qca to measure")
    parser.add_argument("--only", default="", help="comma list of steps (names or numbers)")
    parser.add_argument("--files", type=int, default=2000, help="files of shape A and step 8")
    parser.add_argument("--comments", type=int, default=0, help="comments of C (words / 13)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument(
        "--scheduler", default=None, help="also time qca code --scheduler ADDRESS (row 5b)"
    )
    args = parser.parse_args()
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or STEPS
    try:
        args.only = {STEPS[int(s) - 1] if s.isdigit() else STEPS[STEPS.index(s)] for s in chosen}
    except (ValueError, IndexError):
        parser.error(f"--only takes steps 1-11 or their names: {', '.join(STEPS)}")
    args.shapes = [s.strip().upper() for s in args.shapes.split(",") if s.strip()]
    if not args.shapes or set(args.shapes) - set(SHAPES):
        parser.error("--shapes takes a comma list of A, B, C")
    if args.repeat < 1 or args.words < 100:
        parser.error("--repeat must be at least 1 and --words at least 100")
    if not args.comments:
        args.comments = max(1, args.words // 13)
    args.qca = shutil.which(args.qca) or args.qca
    args.work = args.work.resolve()
    return args


def main() -> None:
    args = options()
    # Let the commands cache bytecode, as an installed qca has it: with
    # PYTHONDONTWRITEBYTECODE set (as on the project's machines) an editable checkout
    # compiles every module it imports on every run, ~0.3 CPU s of an edited re-run.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    specs = []
    for shape in args.shapes:
        specs.append(corpus_key(shape, args.words, args))
        specs.append(corpus_key(shape, max(100, args.words // 10), args))
    specs.append(corpus_key("F", args.files * 10, args))
    metas = corpora(specs)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"Python {platform.python_version()}; qca: {args.qca}\n"
        f"seconds are medians of {args.repeat} rounds; peak RSS cannot read below this "
        f"script's own peak, {own_peak_mb():.0f} MB",
        flush=True,
    )
    done: dict[str, Results] = {}
    try:
        for n, shape in enumerate(args.shapes):
            main_meta, small_meta = metas[2 * n], metas[2 * n + 1]
            done[shape] = bench_shape(main_meta, small_meta if "rss" in args.only else None, args)
            print_shape(shape, SHAPES[shape], done[shape])
        perfile = bench_perfile(metas[-1], args) if "perfile" in args.only else None
    except CommandError as error:
        sys.exit(f"benchmark stopped: {error}")
    if perfile is not None:
        print_perfile(args.files, int(str(metas[-1]["words"])), *perfile)
    print_counts(done)
    print_targets(done, perfile, args.files)


if __name__ == "__main__":
    main()
